"""#18 (thru-20): the pool's worker handler thread sleeps while results flow.

CPython's Pool wakes its worker handler thread whenever a result waits in the pool's
pipe; the thread does not read it, so it loops (checking its workers, polling again)
until the result thread has: ~0.14 CPU s of the main process in a 3,000-document run on
2 workers, taken from the workers' cores (far more under SCHED_FIFO). The local
executor's pool wakes it only when a worker ends or the pool's state changes.
"""

from __future__ import annotations

import multiprocessing.pool
import os
import signal

import pytest

from cleaner.core.document import Document
from cleaner.core.stage import Stage
from cleaner.exec import forked
from cleaner.exec.local import LocalExecutor, WorkerError


class Suffix(Stage):
    name = "suffix"

    def process(self, doc: Document) -> Document:
        doc.text += "!"
        return doc


@pytest.fixture
def wakes(monkeypatch):
    """How often a pool's worker handler thread wakes in this process (it calls
    Pool._maintain_pool once each time)."""
    woke: list[int] = []
    maintain = multiprocessing.pool.Pool._maintain_pool

    def counted(*args):
        woke.append(1)
        return maintain(*args)

    monkeypatch.setattr(multiprocessing.pool.Pool, "_maintain_pool", staticmethod(counted))
    return woke


def test_the_worker_handler_does_not_wake_for_each_result(wakes):
    docs = [Document(id=f"d{k}", source="s", text="x" * 2000) for k in range(2000)]
    out = [d for d, _ in LocalExecutor(2).map(iter(docs), [Suffix()])]
    assert [d.id for d in out] == [d.id for d in docs] and all(d.text.endswith("!") for d in out)
    # ~40 results: before, it woke for (nearly) each of them; now at its start and end.
    assert len(wakes) <= 4, len(wakes)


class KillSelf(Stage):
    name = "kill"

    def process(self, doc: Document) -> Document:
        if doc.id == "d100":
            os.kill(os.getpid(), signal.SIGKILL)
        return doc


def test_a_worker_that_dies_is_still_one_error_not_a_stall():
    docs = [Document(id=f"d{k}", source="s", text="x") for k in range(300)]
    with pytest.raises(WorkerError, match="SIGKILL"):
        list(LocalExecutor(2).map(iter(docs), [KillSelf()]))


@pytest.mark.skipif((os.cpu_count() or 1) < 2 or not os.path.isdir("/proc/self/task"),
                    reason="OpenBLAS starts threads only with 2+ cores; counted in /proc")
def test_the_command_starts_no_blas_threads():
    """numpy's OpenBLAS started a thread a core beside the main one, which spun waiting for
    work until the workers forked (~0.13 CPU s of a run's serial start on 2 cores). The
    command's process holds none; a value the user set is kept."""
    import subprocess
    import sys

    code = ("import os, cleaner.cli, numpy; "
            "print(len(os.listdir('/proc/self/task')), os.environ['OPENBLAS_NUM_THREADS'])")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "1"]
    out = subprocess.run([sys.executable, "-c", code], env=dict(env, OPENBLAS_NUM_THREADS="2"),
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "2"]


def _square(x: int) -> int:
    return x * x


@pytest.mark.skipif(not forked.can_fork(), reason="fork only")
def test_a_state_batchs_forked_pool_does_not_wake_its_handler_for_each_result(wakes):
    """The same pool for a state batch's children (exec/forked.py; lead, session 20)."""
    with forked.forked_pool(2, None) as pool:
        assert pool is not None
        # 400 answers to one map: CPython's handler woke for (nearly) each (173 times, measured)
        got = pool.map(_square, range(2000), chunksize=5)
    assert got == [x * x for x in range(2000)]
    assert len(wakes) <= 4, len(wakes)
