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
