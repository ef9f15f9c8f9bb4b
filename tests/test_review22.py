"""review-22: defects found reviewing session 21 and attacking the product as a new user.

Each test failed before its fix.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_a_stream_interrupted_while_waiting_for_its_next_lines_does_not_claim_a_batch_half_written(tmp_path):
    """Ctrl-C while a stream with --state waits for more lines (the usual way to stop one),
    after batch 1 was committed and its rows written: it said "interrupted while writing the
    rows of batch 2, which is committed to s.db: some of its rows may not have been
    written", of a batch that was never read."""
    path = tmp_path / "s.db"
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state", str(path),
                             "--workers", "1", "-v"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_env(), text=True)
    try:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(json.dumps({"id": "a", "text": "The harbour board of Velmont met on Monday to "
                                                        "discuss the new quay."}) + "\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["id"] == "a"
        seen = []
        while not any("batch 1: 1 line(s) decided, committed" in line for line in seen):
            line = proc.stderr.readline()
            assert line, "".join(seen)
            seen.append(line)
        time.sleep(0.5)  # back in the reader's wait for the next line
        proc.send_signal(signal.SIGINT)
        err = proc.stderr.read()
        assert proc.wait(timeout=60) == 130, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert err.strip().splitlines()[-1] == "cleaner: interrupted; the state keeps every batch written before", err
