"""state-20 (#16 point 9): a batch's COMMIT no longer copies the WAL into the state's file
(a checkpoint behind it, on a thread), and a state batch's forked children leave what they
inherited out of the cyclic collector (gc.freeze)."""

from __future__ import annotations

import gc
import sqlite3
import threading

from cleaner.exec import forked
from cleaner.store import state as state_module
from cleaner.store.state import State


def _batch(state: State, value: str) -> None:
    batch = state.begin()
    state.set_meta("note", value)
    state.commit(batch, 1, value)


def test_commit_returns_before_the_wal_is_copied_into_the_file(tmp_path, monkeypatch):
    started, gate = threading.Event(), threading.Event()
    real = sqlite3.connect

    class Held:
        """The checkpoint thread's connection, held at its checkpoint until `gate`."""

        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            if "wal_checkpoint" in sql:
                started.set()
                assert gate.wait(20)
            return self.db.execute(sql, *args)

        def close(self) -> None:
            self.db.close()

    def connect(*args: object, **kwargs: object) -> object:
        db = real(*args, **kwargs)  # type: ignore[arg-type]
        return Held(db) if threading.current_thread().name == "state-checkpoint" else db

    path = tmp_path / "s.db"
    state = State(path)
    monkeypatch.setattr(state_module.sqlite3, "connect", connect)
    _batch(state, "one")  # returns while its checkpoint is held
    assert started.wait(20), "no checkpoint ran behind the commit"
    assert state.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # not inside COMMIT either
    # A reader sees the committed batch meanwhile (it is in the WAL).
    reader = real(f"file:{path}?mode=ro", uri=True)
    assert reader.execute("SELECT value FROM meta WHERE key = 'note'").fetchone()[0] == "one"
    reader.close()
    gate.set()
    _batch(state, "two")  # waits for the first checkpoint, starts its own
    state.close()  # waits for the second
    assert state._checkpoint is None
    monkeypatch.undo()
    again = State(path)
    assert again.meta("note") == "two" and again.batches() == 2
    again.close()


def test_the_wal_is_copied_after_each_batch(tmp_path):
    path = tmp_path / "s.db"
    state = State(path)
    for n in range(3):
        _batch(state, str(n))
        state._checkpointed()
        # Everything committed is in the file already: a checkpoint finds nothing left to copy.
        with sqlite3.connect(path) as db:
            busy, log, done = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and log == done
    state.close()


def _frozen() -> int:
    return gc.get_freeze_count()


def test_forked_children_freeze_what_they_inherit():
    if not forked.can_fork():
        return
    gc.unfreeze()  # the parent's own freeze (cli._before_exit in an earlier test) would be inherited
    assert gc.get_freeze_count() == 0
    keep = [{"inherited": [n]} for n in range(1000)]  # objects the collector tracks
    with forked.forked_pool(2, keep) as pool:
        assert pool is not None
        assert pool.apply(_frozen) >= len(keep)
    assert gc.get_freeze_count() == 0  # the parent's collector is as it was


def test_prune_deletes_every_pruned_record_in_one_pass_over_each_table(tmp_path):
    """The bands and leads tables are keyed by (key, group): a delete by group scans the whole
    table. `prune` deleted a record at a time, so it scanned them once a record (a copy of a
    200,000-document state, pruned to its last ~46,000: still running after 13 minutes; now
    7.5 s). The same rows go, in one delete a table."""
    from cleaner import Deduplicator

    topics = ["harbour board quay", "orchestra violin season", "glacier melt survey", "railway signal upgrade",
              "chess olympiad round", "bakery flour prices"]
    items = [{"id": f"d{i}", "date": f"2024-03-0{1 + i % 3}",
              "text": f"Report {i} on the {topic}: officials in Town{i} said the {topic} work continues "
                      f"with {i * 7 + 3} people on site. " * 3}
             for i, topic in enumerate(topics)]
    items.append({"id": "late", "date": "2024-05-01", "text": "A later note on the museum roof repair and its costs. " * 3})
    path = tmp_path / "s.db"
    with Deduplicator(state=str(path), workers=1) as dedup:
        rows = list(dedup.add(items))
    assert len({r["record_id"] for r in rows}) == len(items)  # one record each
    state = State(path)
    deletes: list[str] = []
    state.db.set_trace_callback(lambda sql: deletes.append(sql) if sql.startswith("DELETE") else None)
    records, documents = state.prune("2024-04-01")
    state.db.set_trace_callback(None)
    assert (records, documents) == (len(topics), len(topics))
    assert len(deletes) == 6  # docs, exact, bands, leads, terms (state-22), groups: once each
    late = state.db.execute("SELECT g FROM docs").fetchone()
    for table in ("docs", "groups", "exact", "bands", "leads"):
        left = {g for (g,) in state.db.execute(f"SELECT DISTINCT g FROM {table}")}
        assert left <= {late[0]} and (left or table == "leads"), table  # the later record's group alone
    state.close()


# --- the story tier's step 2 takes step 1's decisions on shared wording ---------------------


def _trap_shared():
    import json
    from pathlib import Path

    from cleaner.core.config import config_from_dict
    from cleaner.core.document import Document
    from cleaner.dedup.term_weights import TermWeights, doc_terms
    from cleaner.stages.sign import Sign

    cfg = config_from_dict()
    sign = Sign.from_config(cfg)
    traps = json.loads((Path(__file__).resolve().parent / "data" / "story_traps.json").read_text(encoding="utf-8"))
    docs = [sign.process(Document(id=d["id"], source="<test>", text=d["text"], title=d.get("title"),
                                  date=d.get("date"), lang=None))
            for t in traps for e in t["events"] for d in e["docs"]]
    story = cfg["story"]
    weigh = TermWeights(story).observe(docs)
    return cfg, (docs, [doc_terms(d, weigh) for d in docs], story)


def test_step_two_measures_local_weights_without_comparing_lines_again(monkeypatch):
    """local_edges measures a component's pairs again on its own term frequencies; which
    shared terms are only wording depends on the two documents' lines, not on weights, and
    step 1 (story_edges) decided it for every pair it measured. Given those decisions,
    link_component compares lines only for the pairs resolve_edges measures, and every
    edge and cluster is the same, float for float."""
    from cleaner.dedup import term_weights
    from cleaner.dedup.stories import LOCAL_MIN_DOCS, link_component, story_components, story_edges

    cfg, shared = _trap_shared()
    story = shared[2]
    wording: dict = {}
    left, right, sims = story_edges(shared, wording=wording)
    assert wording, "the trap set shares wording"
    components = [(n, e) for n, e in story_components(len(shared[0]), left, right, sims, story["threshold"])
                  if len(n) >= LOCAL_MIN_DOCS]
    assert components
    calls = {"n": 0}
    real = term_weights._Wording.in_alike_lines

    def counted(self, term):
        calls["n"] += 1
        return real(self, term)

    monkeypatch.setattr(term_weights._Wording, "in_alike_lines", counted)
    for nodes, edges in components:
        calls["n"] = 0
        plain = link_component(shared, nodes, edges)
        plain_calls = calls["n"]
        calls["n"] = 0
        known = {e: wording[e] for e in edges if e in wording}
        given = link_component(shared, nodes, edges, known)
        assert given[0] == plain[0] and list(given[1].items()) == list(plain[1].items())
        assert calls["n"] < plain_calls or plain_calls == 0


def test_forked_stories_give_the_clusters_and_edges_of_one_process(monkeypatch):
    from cleaner.dedup.stories import link_stories

    if not forked.can_fork():
        return
    cfg, (docs, weights, _) = _trap_shared()
    monkeypatch.setattr(forked, "MIN_ROWS", 1)  # the trap set is small: fork all the same
    alone = link_stories(docs, cfg, weights)
    runner = forked.ForkedStories(2)
    on_children = link_stories(docs, cfg, weights, runner)
    assert on_children[0] == alone[0]
    assert list(on_children[1].items()) == list(alone[1].items())
    assert runner._wording == {}  # released with the pool
