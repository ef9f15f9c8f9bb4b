"""state-17 (#16 point 9): with workers > 1 a state's batch forks its signing children once
(exec/forked.Helpers: the copy tier's candidates, then the story window's canonicals), signs
the window's canonicals on them while it writes its rows (SalientAhead: the children are fed
from the pool's result thread), computes the window once unless it promoted a canonical, and
reads its candidates' canonicals CHUNK at a time (State.canonicals); the same rows, events and
tables as one process."""

import time

import pytest

from cleaner.api import get_config
from cleaner.dedup import incremental
from cleaner.exec import forked
from cleaner.stages.sign import Sign
from cleaner.store.state import State

from test_state_forked import _stream, raw_items  # noqa: F401 (a fixture)


def _jobs(n: int) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(f"BERLIN (Reuters) - Angela Merkel met Emmanuel Macron in Paris on {i % 28 + 1} March 2024.\n"
             f"The talks about {i} trade deals and the Airbus order of {i * 7} planes went on.",
             "2024-03-05", f"Merkel meets Macron {i}", "en") for i in range(n)]


@pytest.mark.skipif(not forked.can_fork(), reason="no fork here")
def test_salient_ahead_s_children_keep_signing_while_the_caller_does_not_ask():
    sign = Sign.from_config(get_config(None))
    jobs = _jobs(40)
    helpers = forked.Helpers(sign, 2)
    try:
        pool = helpers.pool()
        assert pool is not None
        ahead = forked.SalientAhead(sign, pool, 1)
        for start in range(0, len(jobs), 4):  # 10 chunks; at most IN_FLIGHT sent at a time
            ahead.add(jobs[start:start + 4])
        deadline = time.monotonic() + 60
        while (ahead._waiting or ahead._in_flight) and time.monotonic() < deadline:
            time.sleep(0.05)  # this process feeds nothing: the result thread must
        assert not ahead._waiting and not ahead._in_flight, "the children stopped once their first chunks were done"
        assert helpers.pool() is pool  # one pool for the batch's steps
        assert ahead.results() == [sign.salient(*job) for job in jobs]
    finally:
        helpers.close()


def test_salient_ahead_s_caller_signs_what_waits():
    """No child takes anything (a pool that never runs a task): the caller signs every chunk."""
    sign = Sign.from_config(get_config(None))

    class Idle:
        def apply_async(self, *a, **k):
            raise AssertionError("nothing may be sent")

    ahead = forked.SalientAhead(sign, Idle(), 1)
    ahead.limit = 0
    jobs = _jobs(9)
    for start in range(0, 9, 2):
        ahead.add(jobs[start:start + 2])
    assert ahead.results() == [sign.salient(*job) for job in jobs]


def test_state_canonicals_reads_what_group_and_doc_read():
    from cleaner import Deduplicator

    items = [{"id": f"d{i}", "text": job[0] + (" More." * (i % 3)), "date": job[1], "title": job[2]}
             for i, job in enumerate(_jobs(12))]
    with Deduplicator(batch_size=12) as dedup:
        list(dedup.add(items))
        state: State = dedup._state
        groups = [g for (g,) in state.db.execute("SELECT g FROM groups ORDER BY g DESC")]
        assert groups
        found = state.canonicals(groups)
        expected = []
        for g in groups:
            key, _, _, n = state.group(g)
            member, slim, text = state.doc(n)
            expected.append((g, key, n, member, slim, text))
        assert [(g, k, n, m, s.to_json(), repr(s.features), t) for g, k, n, m, s, t in found] == \
            [(g, k, n, m, s.to_json(), repr(s.features), t) for g, k, n, m, s, t in expected]


@pytest.mark.skipif(not forked.can_fork(), reason="no fork here")
def test_a_batch_forks_its_signing_children_once_and_signs_its_window_before_its_writes(raw_items, monkeypatch):
    size = -(-len(raw_items) // 3)
    one = _stream(raw_items, 1, size)
    real_pool = forked._forked_pool
    signing_pools: list[int] = []  # Sign-given pools forked during each batch
    ahead_texts: list[int] = []  # window texts sent to the children before the writes, each batch
    windows: list[tuple[list[int], list[int]]] = []  # (the early window, the window after the writes)

    def counted(workers, given, children):
        if isinstance(given, Sign):
            signing_pools[-1] += 1
        return real_pool(workers, given, children)

    real_add = incremental.IncrementalClusterer.add

    def add(self, *a, **k):
        signing_pools.append(0)
        return real_add(self, *a, **k)

    real_ahead = getattr(incremental.IncrementalClusterer, "_window_ahead", None)

    def window_ahead(self, *a, **k):
        real_ahead(self, *a, **k)
        ahead_texts.append(len(self._ahead[0]) if self._ahead is not None else 0)

    real_link = incremental.IncrementalClusterer._link_stories

    def link(self, batch, groups, fresh, store):
        if getattr(self, "_early_window", None) is not None:  # the window asked of the state after the writes
            windows.append((self._early_window[1], self._window(batch, groups, fresh)))
        return real_link(self, batch, groups, fresh, store)

    monkeypatch.setattr(forked, "_forked_pool", counted)
    monkeypatch.setattr(forked, "MIN_TEXTS", 1)  # every step on the pool, however small
    monkeypatch.setattr(forked, "CHUNK", 2)
    # The window's texts signed ahead are those whose terms the state does not keep (state-22:
    # kept for every canonical of these three batches): none kept here, so every one is.
    monkeypatch.setattr(State, "stored_terms", lambda self, groups: {})
    monkeypatch.setattr(incremental.IncrementalClusterer, "add", add)
    monkeypatch.setattr(incremental.IncrementalClusterer, "_window_ahead", window_ahead, raising=False)
    monkeypatch.setattr(incremental.IncrementalClusterer, "_link_stories", link)
    two = _stream(raw_items, 2, size)
    assert max(signing_pools) == 1, signing_pools  # main: one for the candidates, one for the window
    assert sum(ahead_texts) > 0, ahead_texts  # later batches' windows were signed ahead
    assert windows and all(early == late for early, late in windows)
    assert two[0] == one[0]
    assert two[1] == one[1]
    assert two[2] == one[2]


def test_state_exact_answers_keys_looked_up_ahead_as_the_state_would(monkeypatch):
    state = State(":memory:")
    state.begin()
    state.add_exact("aa" * 20, 3)
    exact = incremental.StateExact(state)
    assert exact.look_ahead(["aa" * 20, "bb" * 20, "bb" * 20, "cc" * 20]) == [3, None, None, None]
    asked = []
    real = State.exact
    monkeypatch.setattr(State, "exact", lambda self, key: asked.append(key) or real(self, key))
    exact.setdefault("bb" * 20, 7)  # the batch's group: the first one set is kept
    exact.setdefault("bb" * 20, 8)
    exact.setdefault("aa" * 20, 9)  # the state's group stays (INSERT OR IGNORE)
    assert [exact.get(k) for k in ("aa" * 20, "bb" * 20, "cc" * 20)] == [3, 7, None]
    assert asked == []  # answered without a query
    assert exact.get("dd" * 20) is None and asked == ["dd" * 20]  # a key not looked up ahead: the state's
    assert [real(state, k) for k in ("aa" * 20, "bb" * 20, "cc" * 20)] == [3, 7, None]  # as the state says
    state.close()


@pytest.mark.parametrize("first, last, since", [(100, 104, 99), (None, None, 2), (103, 108, 1), (95, 99, 9), (100, 109, 0)])
def test_the_window_by_lead_names_read_apart_is_the_window_s_groups_of_records_holding_a_name(first, last, since):
    """incremental._window: the groups holding a name (State.lead_groups) and their records'
    groups (State.record_groups), each intersected with the window read once (State.window),
    are the window's groups whose record has a group in the window holding a name (as the
    join in SQL it replaced gave them, state-17), counted here from the rows written."""
    state = State(":memory:")
    state.begin()
    days, created = {}, {}
    for g in range(10):
        created[g], days[g] = g // 3, None if g % 4 == 3 else 100 + g
        state.add_group(g, f"{g:040x}", f"rec-{g}", created[g], g, days[g], b"\0" * 128)
    root = {g: g for g in range(10)}
    for keep, gone in ((0, 5), (2, 7), (2, 9)):
        state.join(keep, gone)
        root[gone] = keep
    leads = {0: ["Anna", "Berlin"], 3: ["Anna"], 6: ["Anna", "Paris"], 5: ["Oslo"], 9: ["Berlin"]}
    for g, names in leads.items():
        state.add_leads(names, g)
    inside = {g for g in range(10) if created[g] >= since or
              (first is not None and days[g] is not None and first <= days[g] <= last)}
    for names in (["Anna"], ["Berlin", "Oslo"], ["Paris", "Nobody"], [], ["Anna", "Berlin", "Oslo", "Paris"]):
        hit = {root[g] for g in inside if set(leads.get(g, ())) & set(names)}
        expected = sorted(g for g in inside if root[g] in hit)
        in_window = set(state.window(first, last, since))
        assert in_window == inside
        apart = sorted(state.record_groups(sorted(state.lead_groups(names) & in_window)) & in_window)
        assert apart == expected, (names, apart, expected)
    state.close()


def test_salient_ahead_keeps_a_chunk_its_pool_refused():
    class Ended:
        def apply_async(self, *a, **k):
            raise ValueError("Pool not running")

    sign = Sign.from_config(get_config(None))
    ahead = forked.SalientAhead(sign, Ended(), 1)
    with pytest.raises(ValueError):
        ahead.add(_jobs(3))
    assert ahead.results() == [sign.salient(*job) for job in _jobs(3)]  # signed here, not lost
