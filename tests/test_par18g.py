"""par-18g (#18 points 1, 3): the 2-worker run's wall time."""

import multiprocessing.pool
import os
import sys

import pytest

from cleaner.core.document import Document
from cleaner.core.stage import Stage
from cleaner.exec.local import LocalExecutor


MIB = 1 << 20


class Same(Stage):
    name = "same"

    def process(self, doc: Document) -> Document:
        return doc


def _pipe_size(conn: object) -> int:
    import fcntl

    return int(fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_GETPIPE_SZ", 1032)))  # type: ignore[attr-defined]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_the_pools_pipes_hold_several_tasks_and_results(monkeypatch):
    """A task (64 documents with their texts) is ~220 KB, a result ~94 KB: in 64 KiB pipes a
    worker waited for the main process's threads to read or write each chunk."""
    with open("/proc/sys/fs/pipe-max-size") as f:
        if int(f.read()) < MIB and os.geteuid() != 0:
            pytest.skip("pipe-max-size below 1 MiB")
    pools: list[multiprocessing.pool.Pool] = []

    class Recorded(multiprocessing.pool.Pool):
        def __init__(self, *a, **k):  # type: ignore[no-untyped-def]
            super().__init__(*a, **k)
            pools.append(self)

    monkeypatch.setattr(multiprocessing.pool, "Pool", Recorded)
    docs = [Document(id=f"d{i}", source="s", text="x " * 2000) for i in range(200)]
    results = LocalExecutor(2).map(iter(docs), [Same()])
    first = next(results)
    (pool,) = pools
    sizes = [_pipe_size(pool._inqueue._writer), _pipe_size(pool._outqueue._writer)]  # type: ignore[attr-defined]
    rest = list(results)
    assert sizes == [MIB, MIB]
    assert [d.id for d, _ in [first, *rest]] == [d.id for d in docs]
