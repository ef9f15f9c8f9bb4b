"""A long stream's memory stays flat as its state grows (#16 point 9): what grew batch
after batch, measured on bench/state_bench.py's stream, and must not come back.

- SQLite statements: sqlite3 keeps up to 128 prepared statements a connection, one per
  distinct SQL text. Window lists written as `IN (?, ?, ...)` made a new text for every
  new length (two a batch), each holding SQLite memory for as long as it stayed cached.
- Words looked up in wordfreq's lists, remembered by the process: bounded at 2,000,000
  a language, a stream's new names kept them growing for as long as it ran."""

import sqlite3
from typing import Any


from cleaner import Deduplicator
from cleaner.dedup import term_weights
from cleaner.store.state import State, term_key


class Recording:
    """A connection that remembers each SQL text it is given (what sqlite3 prepares and
    caches one statement for)."""

    def __init__(self, db: sqlite3.Connection):
        self.db, self.texts = db, set()

    def execute(self, sql: str, *args: Any) -> Any:
        self.texts.add(sql)
        return self.db.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        self.texts.add(sql)
        return self.db.executemany(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


def test_window_lists_of_any_length_are_one_statement_and_find_the_same_groups(tmp_path):
    state = State(tmp_path / "s.db", "settings")
    batch = state.begin()
    for g in range(60):  # records of three groups each (g // 3); names "n<g>" in each lead
        state.add_group(g, f"{g:040x}", f"rec-{g}", batch, 0, 100 + g, bytes(4))
        state.add_leads([f"n{g}", "shared"], g)
    for g in range(60):
        if g % 3:
            state.join(g - g % 3, g)
    state.commit(batch, 60, "")
    recording = Recording(state.db)
    state.db = recording  # type: ignore[assignment]
    for n in range(1, 50):
        whole = set(range(0, min(60, n + (-n) % 3)))  # every group of the records found
        assert state.record_groups(list(range(0, n))) == whole
        names = [f"n{g}" for g in range(0, 2 * n, 2)]
        assert state.lead_groups(names) == {g for g in range(0, 2 * n, 2) if g < 60}
        assert state.window(100, 100 + n, 99) == list(range(0, n + 1))
        assert state.window(None, None, 1) == list(range(60))
    assert state.lead_groups(["shared"]) == set(range(60))
    # One text per query whatever the length (state._LIST), and the window's two (by day,
    # by batch): the story window's calls (incremental._window).
    assert len(recording.texts) == 4, sorted(recording.texts)
    state.db = recording.db
    state.close()


def test_a_stream_prepares_no_new_statement_batch_after_batch(tmp_path):
    """Batches whose windows grow (more groups, more names each batch) run the same SQL
    texts as the first batches did: nothing a batch prepares stays behind as another."""
    words = ("council", "budget", "harbour", "railway", "museum", "hospital", "election", "bridge")
    def batch(b: int) -> list[dict[str, str]]:
        return [{"id": f"d{b}-{i}", "date": f"2025-01-{1 + b:02d}",
                 "text": f"Mayor Anna Berg{b}{i} of Town{i} said on Monday that the {words[i % 8]} plan of "
                         f"Lake{b} District would cost {b * 100 + i} million after talks with Governor Karl "
                         f"Ostrow{i % 3}. The {words[(i + b) % 8]} vote follows months of debate in Town{i}."}
                for i in range(3 + 2 * b)]
    with Deduplicator(state=tmp_path / "s.db", workers=1) as dedup:
        state = dedup._state
        recording = Recording(state.db)
        state.db = recording  # type: ignore[assignment]
        for b in range(3):
            assert len(list(dedup.add(batch(b)))) == 3 + 2 * b
        after_three = set(recording.texts)
        for b in range(3, 8):
            assert len(list(dedup.add(batch(b)))) == 3 + 2 * b
        assert recording.texts == after_three, sorted(recording.texts - after_three)
        state.db = recording.db


def test_the_words_a_process_remembers_are_bounded_and_answer_as_a_fresh_lookup(monkeypatch):
    monkeypatch.setattr(term_weights, "_ZIPF_SEEN", {})
    monkeypatch.setattr(term_weights, "_ZIPF_SEEN_MAX", 50)
    fresh = {}
    for i in range(8):  # new words in every call, in two languages, as a stream's names are
        for lang, common in (("fr", "maison"), ("en", "house")):
            words = {common, *(f"zq{lang}{i}x{j}" for j in range(20))}
            found = term_weights.zipf_of(words, lang)
            assert sum(map(len, term_weights._ZIPF_SEEN.values())) <= 50 + len(words)
            fresh.setdefault(lang, found[common])
            assert found[common] == fresh[lang] > 0  # emptied or not, the same answer


def _reachable_events(root: object) -> int:
    """Event dicts (store/state.py's events: 'batch', 'event', 'record_id') reachable from
    `root` through Python containers and objects' attributes (modules and classes left out)."""
    import gc
    import types

    seen, todo, found = {id(root)}, [root], 0
    while todo:
        obj = todo.pop()
        if isinstance(obj, dict) and {"batch", "event", "record_id"} <= obj.keys():
            found += 1
        for ref in gc.get_referents(obj):
            if id(ref) in seen or isinstance(ref, (type, types.ModuleType, types.FunctionType, str, bytes)):
                continue
            seen.add(id(ref))
            todo.append(ref)
    return found


def test_a_stream_holds_its_last_batch_s_events_not_every_batch_s(tmp_path):
    """`Deduplicator.events` is read from the state: an object that kept every batch's
    events grew by ~1,000 a 1,000-document batch for as long as its stream ran."""
    def batch(b: int) -> list[dict[str, str]]:
        return [{"id": f"d{b}-{i}", "date": f"2025-02-{1 + b:02d}",
                 "text": f"Mayor Anna Berg{b}x{i} of Town{b}y{i} opened the harbour{i} museum on "
                         f"Monday, {b * 100 + i} years after it closed. Governor Karl Ostrow{b}z{i} spoke."}
                for i in range(6)]
    with Deduplicator(state=tmp_path / "s.db", workers=1, batch_size=6) as dedup:
        for b in range(5):
            list(dedup.add(batch(b)))
            assert [e["batch"] for e in dedup.batch_events] == [b + 1] * 6
        assert _reachable_events(dedup) <= 6  # the last batch's (batch_events), not 30
        events = dedup.events
        assert len(events) == 30 and [e["batch"] for e in events] == sorted(e["batch"] for e in events)
        assert {e["event"] for e in events} == {"created"}
        assert all(e["record_id"].startswith("rec-") and len(e["record_id"]) == 20 for e in events)
    with Deduplicator(state=tmp_path / "s.db", workers=1) as dedup:  # a later object: its own events only
        assert dedup.events == []
        list(dedup.add(batch(0)))  # sent again: no event
        list(dedup.add(batch(9)))
        assert [(e["batch"], e["event"]) for e in dedup.events] == [(7, "created")] * 6


def test_what_a_long_stream_s_word_lookups_keep_stays_small(monkeypatch):
    """A stream meets ~1,700 new words a 1,000-document batch. What the process keeps of
    their lookups (the words seen, list_words' cache) must stop growing within a few MiB:
    bounded at 100,000 words each, a stream grew for its first ~60 batches (~12 MiB)."""
    import tracemalloc

    monkeypatch.setattr(term_weights, "_ZIPF_SEEN", {})
    term_weights.list_words.cache_clear()
    zipf_of = term_weights.zipf_of
    zipf_of({"house"}, "en")  # the list's cache file open, its first lookup made
    # Only what cleaner's code allocates counts: in the whole suite, threads left by earlier
    # tests (a Dask cluster's) allocate meanwhile, and the process-wide total read 5.1 MiB.
    ours = [tracemalloc.Filter(True, "*/cleaner/*", all_frames=True)]
    tracemalloc.start(4)
    try:
        before = sum(s.size for s in tracemalloc.take_snapshot().filter_traces(ours).statistics("filename"))
        for batch in range(30):  # 30 batches' new words, as a stream meets them
            zipf_of({f"zqw{batch}x{k}" for k in range(1700)}, "en")
        after = sum(s.size for s in tracemalloc.take_snapshot().filter_traces(ours).statistics("filename"))
        kept = after - before
    finally:
        tracemalloc.stop()
        term_weights.list_words.cache_clear()
    assert kept < 5 * 2**20, f"{kept / 2**20:.1f} MiB kept"
    assert sum(map(len, term_weights._ZIPF_SEEN.values())) <= term_weights._ZIPF_SEEN_MAX + 1700
