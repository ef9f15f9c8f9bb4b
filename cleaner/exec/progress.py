"""A progress bar on stderr for long runs: redrawn in place on a terminal, a line every
10% of a run of 1,000+ documents when stderr is a file or a pipe (logs stay readable)."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path
from typing import TextIO

from cleaner.input.read import GZIP, Exclude, list_inputs, logical


def count_inputs(root: Path, exclude: Exclude = None) -> int:
    """Documents to expect: one per file, one per JSONL line (counted on raw bytes, fast);
    a gzipped or JSON-list file counts as one, so the total is a floor."""
    total = 0
    for path, rel, problem in list_inputs(Path(root), exclude):
        if problem is None and logical(rel).suffix.lower() == ".jsonl" and rel.suffix.lower() != GZIP:
            try:
                if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO named *.jsonl would block
                    raise OSError("not a regular file")
                with open(path, "rb") as fh:
                    total += sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) or 1
                continue
            except OSError:
                pass
        total += 1
    return total


class ProgressBar:
    WIDTH = 30
    LOG_MIN = 1000  # without a terminal, small runs print no progress lines

    def __init__(self, total: int, stream: TextIO | None = None, every: float = 0.2):
        self.total, self.stream = max(total, 1), stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = self.last = time.monotonic()
        self.every, self.next_tenth, self.done = every, 1, 0

    def __call__(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if self.tty:
            if now - self.last >= self.every:
                self.last = now
                self.stream.write("\r" + self._line(now))
                self.stream.flush()
        elif self.total >= self.LOG_MIN and done * 10 >= self.next_tenth * self.total:
            while done * 10 >= self.next_tenth * self.total:
                self.next_tenth += 1
            self.stream.write(self._line(now) + "\n")
            self.stream.flush()

    def _line(self, now: float) -> str:
        share = min(self.done / self.total, 1.0)
        filled = int(share * self.WIDTH)
        rate = self.done / max(now - self.start, 1e-9)
        eta = f", {max(self.total - self.done, 0) / rate:.0f}s left" if rate > 0 and share < 1 else ""
        return (f"  [{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total} documents "
                f"({rate:.0f}/s{eta})")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r" + self._line(time.monotonic()) + "\n")
            self.stream.flush()
