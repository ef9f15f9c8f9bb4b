"""A worker process killed during a run (the OOM killer, SIGKILL) took its task with it,
and Pool.imap waited for ever: the run stalled. Now the main process notices the death
within a second and stops with one line (exec/local._while_workers_live)."""

import json
import os
import signal
import subprocess
import time
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT

SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from cleaner.core.document import Document
    from cleaner.core.stage import Stage
    from cleaner.exec.local import LocalExecutor, WorkerError

    class Killer(Stage):
        name = "killer"
        def process(self, doc):
            if doc.id == "d150":
                os.kill(os.getpid(), signal.SIGKILL)
            return doc

    docs = (Document(id=f"d{i}", source="s", text=f"text {i}") for i in range(400))
    try:
        for _ in LocalExecutor(2).map(docs, [Killer()]):
            pass
    except WorkerError as exc:
        print("WorkerError:", exc)
        sys.exit(3)
    sys.exit(0)
""")


def test_a_killed_worker_stops_the_map_with_a_worker_error():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert "a worker process died (killed by signal 9: SIGKILL, out of memory?)" in proc.stdout


def _children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_the_cli_says_so_in_one_line_and_keeps_the_checkpoint(tmp_path):
    """`cleaner run --workers 2` with one worker killed from outside, as the OOM killer
    would: the run ends within seconds, one line naming the death and --resume (exit 2),
    and --resume then finishes the run with every input."""
    if not Path("/proc/self/task").exists():
        pytest.skip("needs Linux /proc")
    src = tmp_path / "in"
    src.mkdir()
    line = "The harbour cranes of the northern port stood still for the {n}th day, workers said."
    with open(src / "feed.jsonl", "w", encoding="utf-8") as fh:
        for i in range(6000):
            text = "\n".join(line.format(n=i * 25 + k) for k in range(25))
            fh.write(json.dumps({"id": f"d{i}", "text": text}) + "\n")
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", str(src), "--out", str(tmp_path / "out"),
                             "--workers", "2", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        workers = []
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            workers = _children(proc.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the pool never started"
        time.sleep(0.3)
        os.kill(workers[0], signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = err.decode()
    assert proc.returncode == 2, text
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1, text
    assert "a worker process died (killed by signal 9" in text and "--resume" in text, text
    again = subprocess.run([sys.executable, "-m", "cleaner", "run", str(src), "--out", str(tmp_path / "out"),
                            "--workers", "2", "--resume", "-q"], capture_output=True, timeout=300,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    assert again.returncode == 0, again.stderr.decode()
    rows = (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 6000


FORKED = textwrap.dedent("""
    import os, signal, sys
    from cleaner.exec import forked
    from cleaner.exec.local import WorkerError

    class Sign:
        def salient(self, text, date, title, lang):
            if text == "t70":
                os.kill(os.getpid(), signal.SIGKILL)
            return [text], [], b"", None, b""

    jobs = [(f"t{i}", None, None, None) for i in range(max(200, forked.MIN_TEXTS * 2))]
    try:
        forked.salient_all(Sign(), jobs, 2)
    except WorkerError as exc:
        print("WorkerError:", exc)
        sys.exit(3)
    sys.exit(0)
""")


def test_a_killed_child_of_a_state_batch_pool_is_a_worker_error():
    """exec/forked's pools (a state batch's signing and story steps) waited for ever, as
    Pool.map does, for the task of a child that was killed."""
    proc = subprocess.run([sys.executable, "-c", FORKED], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert "a worker process died (killed by signal 9" in proc.stdout
