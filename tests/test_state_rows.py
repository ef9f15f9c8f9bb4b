"""A stream's rows against a state without rebuilding records whole (#16 point 9): the
API and `--out -` decide each row from its record's head (IncrementalClusterer(whole=
False)); the rows, events and what the state holds must be what rebuilding every touched
record whole gives, whatever the batches and their order."""

import collections
import random

import pytest

from cleaner import Deduplicator
from cleaner.store.state import State

TABLES = {"groups": "SELECT g, key, rid, created, root, canonical, day, head FROM groups ORDER BY g",
          "docs": "SELECT n, id, g, batch, date, member, doc, text FROM docs ORDER BY n",
          "events": "SELECT n, batch, record_id, event, detail FROM events ORDER BY n"}


@pytest.fixture(scope="module")
def raw_items(raw_run):
    rows = [d.to_json() for d in raw_run.documents]
    return [{k: r[k] for k in ("id", "text", "title", "date", "url", "site")} for r in rows
            if r["status"] != "rejected"]


def _stream(batches, whole, config=None):
    """Rows, events and the state's tables after adding `batches` (lists of items)."""
    with Deduplicator(batch_size=10_000, config=config) as dedup:
        dedup._clusterer.whole = whole
        rows = [row for batch in batches for row in dedup.add(batch)]
        tables = {name: dedup._state.db.execute(sql).fetchall() for name, sql in TABLES.items()}
        return rows, dedup.events, tables


def _shuffled(items, seed):
    items = list(items)
    random.Random(seed).shuffle(items)
    return items


def _orders(items):
    """Batches (and a configuration) that make the state do everything it can: canonicals
    that arrive late (newest first), records joined by a later batch (a low story threshold,
    one document a batch: measured to give a `merged` event on raw/), documents sent again."""
    newest_first = sorted(items, key=lambda i: (i["date"] or "", i["id"]), reverse=True)
    shuffled = _shuffled(items, 3)
    loose = {"story": {"threshold": 0.05, "min_shared_terms": 1}}
    return {"newest first, 9 a batch": ([newest_first[i:i + 9] for i in range(0, len(newest_first), 9)], None),
            "shuffled, 13 a batch, the first batch again":
                ([shuffled[i:i + 13] for i in range(0, len(shuffled), 13)] + [shuffled[:13]], None),
            "shuffled, 1 a batch, loose stories": ([[item] for item in _shuffled(items, 1)], loose)}


def test_rows_events_and_state_are_those_of_records_rebuilt_whole(raw_items, monkeypatch):
    """...and a stream's batch decides them from each touched record's head (the head after
    the last batch, those of the records it absorbed, the groups it placed documents in),
    never reading every group of a record: a story told for months has thousands of groups
    (9,168 in the state bench's largest record at 200,000 documents), and one slim copy read
    for each made every batch slower as the state grew (#16 point 9)."""
    def never(*args, **kwargs):
        raise AssertionError("a stream's batch read every group of a record")

    seen: set[str] = set()
    for name, (batches, config) in _orders(raw_items).items():
        with monkeypatch.context() as patched:
            patched.setattr(State, "record_canonicals", never)
            light = _stream(batches, False, config)
        whole = _stream(batches, True, config)
        assert light[0] == whole[0], name
        assert light[1] == whole[1], name
        for table in TABLES:
            assert light[2][table] == whole[2][table], (name, table)
        seen.update(e["event"] for e in light[1])
    # The orders did exercise what could go wrong: a head that moves, records that join.
    assert {"canonical_changed", "merged", "member_added"} <= seen


def test_a_stream_batch_reads_no_record_whole(raw_items, monkeypatch):
    """Each batch reads one slim document a group (its canonical), never every member:
    a record that keeps growing costs a batch no more than its groups in the window."""
    def never(*args, **kwargs):
        raise AssertionError("a stream's batch rebuilt a record whole")

    monkeypatch.setattr(State, "docs_of", never)
    ordered = sorted(raw_items, key=lambda i: (i["date"] or "", i["id"]), reverse=True)
    with Deduplicator(batch_size=9) as dedup:
        rows = list(dedup.add(ordered))
    assert len(rows) == len(ordered) and {r["status"] for r in rows} == {"kept", "duplicate"}


def test_the_copy_tier_screens_candidates_without_a_query_each(raw_items, monkeypatch):
    """A candidate group's screen (the low bytes of its canonical's MinHash) comes with the
    band query that found it, not from one query a candidate (21,742 queries, 3.5 s of the
    state bench's 50,000-document probe on main, #16 point 9); the rows are the same."""
    from cleaner.dedup.incremental import StateGroups

    batches = [_shuffled(raw_items, 5)[i:i + 13] for i in range(0, len(raw_items), 13)]
    expected = _stream(batches, False)
    screened = [0]
    screen = StateGroups.screen

    def counted(self, g, signature, floor):
        screened[0] += g not in self.loaded
        return screen(self, g, signature, floor)

    def never(*args, **kwargs):
        raise AssertionError("a candidate's screen was read with a query of its own")

    monkeypatch.setattr(StateGroups, "screen", counted)
    monkeypatch.setattr(State, "screen", never)
    assert _stream(batches, False) == expected
    assert screened[0] > 0  # the batches did screen groups of earlier batches


def _two_runs(path, first, second, config, whole):
    """`first` batches with the default settings, then `second` with `config`, into one state."""
    rows = []
    for batches, cfg in ((first, None), (second, config)):
        with Deduplicator(state=str(path), batch_size=10_000, config=cfg) as dedup:
            dedup._clusterer.whole = whole
            rows += [row for batch in batches for row in dedup.add(batch)]
    with Deduplicator(state=str(path)) as dedup:
        heads = dedup._state.db.execute(TABLES["groups"]).fetchall()
    return rows, heads


def test_a_new_source_priority_chooses_every_touched_records_head_again(raw_items, tmp_path):
    """The heads a state keeps were chosen with the last batch's canonical.source_priority:
    a batch with another one ranks every group of a touched record again, as rebuilding it
    whole does, not only the old head and the batch's groups."""
    from cleaner.core.config import config_from_dict

    ordered = sorted(raw_items, key=lambda i: (i["date"] or "", i["id"]), reverse=True)
    batches = [ordered[i:i + 9] for i in range(0, len(ordered), 9)]
    sites = collections.Counter(i["site"] for i in raw_items if i.get("site"))
    config = config_from_dict({"canonical": {"source_priority": [site for site, _ in sites.most_common()][::-1]}})
    half = len(batches) // 2
    light = _two_runs(tmp_path / "light.db", batches[:half], batches[half:], config, False)
    whole = _two_runs(tmp_path / "whole.db", batches[:half], batches[half:], config, True)
    assert light == whole


def _overlapping(seed, pairs=6, shared=12, own=18):
    """Items in two batches: each of the second's shares `shared` of its first's sentences
    and has `own` of its own (shingle Jaccard ~0.25: near enough to be a candidate, under
    near.threshold 0.3)."""
    rng = random.Random(seed)
    words = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "po", "ru", "si", "ta") for b in ("ber", "don", "fel", "gar", "hun", "jot")]

    def sentence():
        return " ".join(rng.choice(words) for _ in range(9)).capitalize() + "."

    first, second = [], []
    for i in range(pairs):
        base = [sentence() for _ in range(shared + own)]
        first.append({"id": f"a{i}", "text": "\n".join(base)})
        second.append({"id": f"b{i}", "text": "\n".join(base[:shared] + [sentence() for _ in range(own)])})
    return [first, second]


def test_a_restored_canonicals_minhash_is_signed_only_when_its_shingles_match(monkeypatch):
    """A candidate group's canonical comes back from the state with its shingles; its
    MinHash (what the estimate compares) is signed only for a candidate whose shingles reach
    near.threshold (Clusterer.shingles_first): the other restored canonicals, most of them
    at 200,000 documents, cost no MinHash (#16 point 9). The rows are the same."""
    from cleaner.dedup import incremental
    from cleaner.stages.sign import Sign

    batches = _overlapping(3)
    expected = _stream(batches, False)
    restored, signed = [0], [0]
    restore, near_signature = incremental.StateGroups.restore, Sign.near_signature

    def counted_restore(self, *args, **kwargs):
        restored[0] += bool(kwargs.get("near"))
        return restore(self, *args, **kwargs)

    def counted_signature(self, near):  # a state's canonical signed again (not a batch's document)
        signed[0] += any(f.f_code.co_name in ("restore_member", "signature") for f in _frames())
        return near_signature(self, near)

    monkeypatch.setattr(incremental.StateGroups, "restore", counted_restore)
    monkeypatch.setattr(Sign, "near_signature", counted_signature)
    assert _stream(batches, False) == expected
    assert restored[0] >= 3  # the second batch's documents were compared with the first's canonicals
    assert signed[0] == 0  # none matched: no restored canonical's MinHash was signed


def _frames():
    import sys

    frame = sys._getframe(1)
    while frame is not None:
        yield frame
        frame = frame.f_back


def test_a_querys_screens_are_counted_with_the_query(raw_items, monkeypatch):
    """StateIndex.query counts each found group's screen bytes equal to the query's in one
    array operation; StateGroups.screen then answers from those counts (no numpy call a
    candidate), with the same answers as counting one candidate at a time."""
    import numpy as np

    from cleaner.dedup import incremental

    batches = [_shuffled(raw_items, 5)[i:i + 13] for i in range(0, len(raw_items), 13)]
    expected = _stream(batches, False)
    checked = [0]
    query = incremental.StateIndex.query

    def checked_query(self, signature):
        found = query(self, signature)
        mine = incremental.screen_bytes(signature)
        for g, (count, width) in self.matches.items():
            low = np.frombuffer(self.state.screen(g), dtype=np.uint8)
            assert (count, width) == (int(np.count_nonzero(low == mine)), len(low))
            checked[0] += 1
        return found

    def never(signature):
        raise AssertionError("a candidate's screen was counted on its own")

    monkeypatch.setattr(incremental.StateIndex, "query", checked_query)
    screen = incremental.StateGroups.screen

    def screened(self, g, signature, floor):
        if g not in self.loaded and g in self.index.matches:
            with monkeypatch.context() as m:
                m.setattr(incremental, "screen_bytes", never)
                return screen(self, g, signature, floor)
        return screen(self, g, signature, floor)

    monkeypatch.setattr(incremental.StateGroups, "screen", screened)
    assert _stream(batches, False) == expected
    assert checked[0] > 0
