"""state-30 (#16 point 9): the story window's canonicals signed for a state's batch
(exec/forked.SalientAhead) come back as one pickled bytes object a chunk, the children's and
the caller's alike, and are made into objects only once every chunk is signed and the
caller's tokens are let go: made as they came, the answers were scattered among the
signing's temporaries and kept the allocator's arenas those left through the story tier's
peak. The same answers, in the same order."""

import pickle

from cleaner.api import get_config
from cleaner.exec import forked
from cleaner.stages.sign import Sign


def _jobs(n: int) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(f"TROMSO - Ingrid Solberg opened the Kvaloya bridge on {i % 28 + 1} June 2025.\n"
             f"Crews from Lyngen{i} and Balsfjord{i} worked {i * 5} nights on its {i + 3} spans.",
             "2025-06-20", f"Bridge opens {i}", "en") for i in range(n)]


class Idle:
    def apply_async(self, *a, **k):
        raise AssertionError("nothing may be sent")


def test_a_child_s_chunk_comes_back_as_one_pickled_bytes_object(monkeypatch):
    sign = Sign.from_config(get_config(None))
    monkeypatch.setattr(forked, "_given", sign)  # what a child inherits
    jobs = _jobs(3)
    found = forked._salient_chunk(jobs)
    assert isinstance(found, bytes)
    assert pickle.loads(found) == [sign.salient(*job) for job in jobs]


def test_the_answers_are_made_once_every_chunk_is_signed(monkeypatch):
    """The caller signs every chunk itself (no child takes any): no answer is unpickled before
    the last text is signed, and the answers are sign.salient's, in order."""
    sign = Sign.from_config(get_config(None))
    jobs = _jobs(9)
    expected = [sign.salient(*job) for job in jobs]
    events: list[str] = []
    real_salient, real_loads = sign.salient, pickle.loads

    def salient(*a, **k):
        events.append("sign")
        return real_salient(*a, **k)

    def loads(*a, **k):
        events.append("load")
        return real_loads(*a, **k)

    monkeypatch.setattr(sign, "salient", salient)
    monkeypatch.setattr(forked.pickle, "loads", loads)
    ahead = forked.SalientAhead(sign, Idle(), 1)
    ahead.limit = 0
    for start in range(0, 9, 2):
        ahead.add(jobs[start:start + 2])
    found = ahead.results()
    assert found == expected
    assert events.count("sign") == 9 and events.count("load") == 5  # one load a chunk
    assert events.index("load") > max(i for i, e in enumerate(events) if e == "sign")


def _labels_by_union_find(n: int, left: list[int], right: list[int]) -> list[int]:
    """component_labels as sessions 19-29 computed it: a union-find (bench/dedup_refs._groups,
    the lower root wins), its roots numbered in order."""
    from test_benches import _dedup_refs

    roots = _dedup_refs()._groups(n, zip(left, right))
    order = {r: k for k, r in enumerate(sorted(set(roots)))}
    return [order[r] for r in roots]


def test_component_labels_in_arrays_are_the_union_find_s():
    """stories.component_labels works in arrays (no Python int an edge at the story tier's
    peak): the same labels as a union-find, numbered by each component's lowest document,
    on random graphs with repeated edges, self loops, chains and no edges at all."""
    import numpy as np

    from cleaner.dedup.stories import component_labels

    rng = np.random.default_rng(30)
    graphs = [(0, [], []), (1, [0], [0]), (6, [], []), (7, [5, 4, 3, 2, 1, 0], [6, 5, 4, 3, 2, 1])]
    for _ in range(400):
        n = int(rng.integers(1, 300))
        e = int(rng.integers(0, 3 * n))
        a, b = rng.integers(0, n, e), rng.integers(0, n, e)
        graphs.append((n, np.minimum(a, b).tolist(), np.maximum(a, b).tolist()))
    for n, left, right in graphs:
        found = component_labels(n, np.array(left, dtype=np.uint32), np.array(right, dtype=np.uint32))
        assert found.dtype == np.intp
        assert found.tolist() == _labels_by_union_find(n, left, right), (n, left, right)
