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
        whole = list(range(0, min(60, n + (-n) % 3)))  # every group of the records found
        assert state.record_window(list(range(0, n)), None, None, 1) == whole
        assert state.record_window(list(range(0, n)), 100, 100 + n, 99) == [g for g in whole if g <= n]
        names = [f"n{g}" for g in range(0, 2 * n, 2)]
        assert state.lead_window(names, 100, 100 + n, 99) == [g for g in range(0, 2 * n, 2) if g <= n and g < 60]
        assert state.lead_window(names, None, None, 1) == [g for g in range(0, 2 * n, 2) if g < 60]
    assert state.lead_window(["shared"], None, None, 1) == list(range(60))
    # One text per query, with or without a date range (both through state._IN_WINDOW),
    # whatever the length.
    assert len(recording.texts) == 2, sorted(recording.texts)
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
