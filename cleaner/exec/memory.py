"""A long-running stream's memory: what it holds now and at its peak (for -v), and
handing freed memory back to the system after each batch.

A stream's Python objects do not grow from batch to batch (tracemalloc: a few hundred KiB
between batch 3 and batch 9 of a 2,700-document stream), yet its resident size did, by
~3 MiB a 1,000-document batch: glibc keeps the pages of freed objects (each batch frees
its documents, records and the story tier's tables) in fragmented arenas instead of
returning them. `malloc_trim` returns them; it costs a few milliseconds a batch."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterator


@lru_cache(maxsize=1)
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_free_memory() -> None:
    """Return the heap's free pages to the system (glibc); nothing elsewhere (musl, macOS)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def status_kib(pid: int | str = "self") -> dict[str, int]:
    """A process's memory lines from /proc (VmRSS, VmHWM, ...) in KiB; empty where there is
    no /proc or the process is gone. VmHWM, not ru_maxrss, is a process's own peak: Linux
    carries ru_maxrss over exec from the forking parent, and a forked child's counts the
    pages it shares with its parent. The one parser: -v's note and the benches use it."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return {k: int(v.split()[0]) for k, _, v in (line.partition(":") for line in fh)
                    if k.startswith("Vm") and v.strip().endswith("kB")}
    except (OSError, ValueError, IndexError):
        return {}


def memory_note() -> str:
    """This process's memory now and at its peak, for -v: a long-running stage's owner
    watches whether it stays flat as the state grows. Empty where /proc is not there."""
    kib = status_kib()
    if "VmRSS" not in kib or "VmHWM" not in kib:
        return ""
    return f" (memory {kib['VmRSS'] // 1024} MiB, peak {kib['VmHWM'] // 1024} MiB)"


# A full collection (generation 2) walks every tracked object: in a run's main process,
# every slim copy, its features and terms. CPython starts one when enough objects have
# survived into the oldest generation since the last (25% more), which a run's growing
# list of slim copies keeps doing. At 3,000 lingua documents, 2 workers: two a run, ~0.1 s
# of CPU in all (the collecting thread's CPU time; 0.4-0.5 s of wall at load 9-10), and
# none found anything to free ("collected 0"; 0-20 objects a collection on trafilatura-eval's
# HTML): the slim copies, records and story tables hold no reference cycles worth the walk.
# Each walk costs as much as the heap is large, so a larger run pays more of them, and
# each longer. Young collections still run.
NO_FULL = 1_000_000_000  # generation 2's threshold: never reached


@contextmanager
def fewer_full_collections() -> Iterator[None]:
    """Within: no automatic full collections (young ones as before); the thresholds are
    restored after. Output does not depend on when memory is collected."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, NO_FULL)
    try:
        yield
    finally:
        now = gc.get_threshold()
        if now == (young, middle, NO_FULL):  # not changed meanwhile by the caller's own code
            gc.set_threshold(young, middle, old)
