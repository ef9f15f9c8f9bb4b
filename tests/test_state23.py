"""state-23 (#16 point 9): the main process's part of a batch against a large state made
smaller with the same rows: a query answered from a look-ahead leaves out the groups the
screen refuses (the copy tier skipped each after a call), the batch's rows packed on its
forked children while this process reads the story window, and the copy tier's released
candidates handed back to the system before the story tier's peak."""

import pytest

from cleaner import Deduplicator
from cleaner.dedup import incremental
from cleaner.exec import forked

from test_state16d import _signature, _state_with
from test_state_forked import raw_items  # noqa: F401  (a fixture)
from test_state_rows import TABLES


def test_a_query_from_a_look_ahead_leaves_out_what_the_screen_refuses():
    """With a floor, a query answered from a look-ahead gives the groups StateGroups.screen
    accepts, and every group of the batch's own (`own`: its screen row is not its
    canonical's), where it gave every group sharing a band."""
    query = _signature(11)
    alike = query.copy()
    alike[8:] ^= 0x5A  # the first bands' values equal (a shared band key), other low bytes not
    unlike_own = alike.copy()
    state, index, groups = _state_with({0: query.copy(), 1: alike, 2: unlike_own})
    groups.floor = 0.12
    groups.own.add(2)
    index.look_ahead([query])
    whole = index.query(query, keep=True)
    assert whole == {0, 1, 2}
    screened = {g for g in whole if groups.screen(g, query, 0.1)}
    assert screened == {0, 2}
    index.floor, index.own = groups.floor, groups.own
    assert index.query(query) == screened
    state.close()


def _raw_stream(items, workers, batch_size):
    with Deduplicator(batch_size=batch_size, workers=workers) as dedup:
        rows = list(dedup.add(items))
        tables = {name: dedup._state.db.execute(sql).fetchall() for name, sql in TABLES.items()}
        tables["terms"] = dedup._state.db.execute("SELECT g, n, day, batch, terms FROM terms ORDER BY g").fetchall()
        return rows, dedup.events, tables


def _counting_pack_ahead(monkeypatch, real=None) -> list[int]:
    """IncrementalClusterer._pack_ahead (`real`: the one to wrap), counting the batches whose
    rows it started on the children (their sizes)."""
    real = real or incremental.IncrementalClusterer._pack_ahead
    used: list[int] = []

    def pack_ahead(self, groups, placed):
        ahead = real(self, groups, placed)
        if ahead is not None:
            used.append(len(placed))
        return ahead

    monkeypatch.setattr(incremental.IncrementalClusterer, "_pack_ahead", pack_ahead)
    return used


def test_rows_packed_on_the_children_are_the_same_bytes(raw_items, monkeypatch):  # noqa: F811
    """A batch whose read-ahead forked its children packs its documents' rows there
    (PackAhead): the docs and terms tables hold the same bytes as rows packed in this
    process."""
    if not forked.can_fork():
        pytest.skip("no fork here")
    monkeypatch.setattr(forked, "MIN_TEXTS", 1)  # the batch's children forked however few the candidates
    size = -(-len(raw_items) // 3)
    real = incremental.IncrementalClusterer._pack_ahead
    monkeypatch.setattr(incremental.IncrementalClusterer, "_pack_ahead", lambda self, groups, placed: None)
    here = _raw_stream(raw_items, 2, size)
    used = _counting_pack_ahead(monkeypatch, real)
    ahead = _raw_stream(raw_items, 2, size)
    assert used, "no batch packed its rows on its children"
    assert ahead[2]["terms"], "no terms row kept"
    assert ahead == here


def test_released_candidates_are_handed_back(raw_items, monkeypatch):  # noqa: F811
    """After the copy tier's pass, a batch that dropped groups it loaded or read ahead
    (StateGroups.release) hands the freed pages back (exec/memory.release_free_memory)
    before the story tier; one that dropped none (an empty state's) does not call it."""
    calls: list[int] = []
    monkeypatch.setattr(incremental, "release_free_memory", lambda: calls.append(1))
    size = -(-len(raw_items) // 3)
    _raw_stream(raw_items[:size], 2, size)  # one batch into an empty state: nothing loaded to drop
    assert calls == []
    real = incremental.StateGroups.release
    monkeypatch.setattr(incremental.StateGroups, "release", lambda self, keep: real(self, keep) + 1)
    # state-24: a batch whose story window read canonicals from the state also hands pages
    # back just before its story tier (after State.release_memory): counted apart.
    stories: list[int] = []
    shrink = incremental.State.release_memory
    monkeypatch.setattr(incremental.State, "release_memory", lambda self: (stories.append(1), shrink(self))[1])
    _raw_stream(raw_items, 2, size)
    assert len(calls) == 3 + len(stories)


def test_a_caller_s_text_of_is_the_text_written(raw_items, monkeypatch):  # noqa: F811
    """IncrementalClusterer.add(text_of=...) writes the caller's text of each canonical, also
    when the batch's rows are packed on its children (they pack a canonical's `text` only when
    text_of is the default)."""
    if not forked.can_fork():
        pytest.skip("no fork here")
    monkeypatch.setattr(forked, "MIN_TEXTS", 1)
    real_add = incremental.IncrementalClusterer.add
    monkeypatch.setattr(incremental.IncrementalClusterer, "add",
                        lambda self, docs, store=None, label="", text_of=None:
                        real_add(self, docs, store, label, lambda d: d.text.upper()))
    used = _counting_pack_ahead(monkeypatch)
    with Deduplicator(batch_size=-(-len(raw_items) // 3), workers=2) as dedup:
        list(dedup.add(raw_items))
        texts = [dedup._state.packer.unpack_text(t) for (t,) in
                 dedup._state.db.execute("SELECT text FROM docs WHERE text IS NOT NULL")]
    assert used, "no batch packed its rows on its children"
    assert texts and all(t == t.upper() for t in texts)
