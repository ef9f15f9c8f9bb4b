"""exec/memory.py: a long-running stream hands freed memory back after each batch, and -v
says how much it holds."""

import re
import subprocess
import sys

import pytest

from cleaner.exec import memory


def test_memory_note_names_now_and_peak():
    note = memory.memory_note()
    if not note:
        pytest.skip("no /proc/self/status here")
    now, peak = map(int, re.fullmatch(r" \(memory (\d+) MiB, peak (\d+) MiB\)", note).groups())
    assert 0 < now <= peak


# Freed blocks below the heap's top stay resident until malloc_trim: the case of a batch's
# documents freed while something allocated after them lives on.
_PROBE = """
import sys
from cleaner.exec import memory
def rss():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:")) // 1024
blocks = [bytes(2000) + bytes([i % 256]) for i in range(100_000)]   # ~200 MB through malloc
pin = bytes(2000) + b"x"                                              # above them on the heap
before = rss()
del blocks
freed = rss()
memory.release_free_memory()
print(before, freed, rss())
"""


def test_release_returns_freed_heap_pages_to_the_system():
    if memory._libc() is None:
        pytest.skip("no glibc malloc_trim here")
    before, freed, trimmed = map(int, subprocess.run([sys.executable, "-c", _PROBE], capture_output=True,
                                                      text=True, check=True).stdout.split())
    assert before - trimmed > 150  # MiB given back
    assert trimmed < freed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_status_kib_is_one_parser_for_a_process_and_gone_ones():
    """The note and the benches read VmHWM through status_kib: this process's own peak, at
    least its current size; a process that is gone gives nothing, not an error."""
    kib = memory.status_kib()
    assert kib["VmHWM"] >= kib["VmRSS"] > 1024, kib
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert memory.status_kib(child.pid) == {}
