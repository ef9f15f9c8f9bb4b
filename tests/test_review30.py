"""review-30: the known defects session 29 left (a state name over 255 bytes, report.html's
forked child hanging or killed, a Dask worker redone silently, `show STATE` suggesting no
document id, Dask's scratch folder), and new-user attacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LONG = "a" * 300  # a name over the file system's 255 bytes


def run_cli(*args, cwd=None, stdin=None, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, text=True, cwd=cwd,
                          input=stdin, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


# ---- 1. a state name over 255 bytes: the state's own error, wherever it is opened ----

def test_state_name_too_long_is_a_state_error(tmp_path):
    from cleaner.store.state import State, StateError

    for writer in (True, False):
        with pytest.raises(StateError) as exc:
            State(tmp_path / LONG, writer=writer)
        assert "state" in str(exc.value) and "a name in it is too long" in str(exc.value)
        assert "File name too long" in str(exc.value) and "\n" not in str(exc.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [("run", "{feed}", "--out", "-", "--state", LONG),
                                  ("run", "{feed}", "--out", "{out}", "--state", LONG),
                                  ("state", "info", LONG), ("state", "copy", LONG, "{db}")])
def test_state_name_too_long_says_the_same_in_the_cli(tmp_path, args):
    """`--state LONG` said "cannot open --state LONG: File name too long", `state info LONG`
    "cannot open state LONG: ...", `show LONG` "cannot use LONG: a name in it is too long
    (... 255 bytes a name)": now every state the same, the clearest."""
    feed = tmp_path / "in.jsonl"
    feed.write_text(json.dumps({"id": "a", "text": "Some words of a story."}) + "\n")
    names = {"feed": str(feed), "out": str(tmp_path / "out"), "db": str(tmp_path / "b.db")}
    done = run_cli(*(a.format(**names) for a in args), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr[-500:]
    assert f"cannot use state {LONG}: a name in it is too long" in done.stderr, done.stderr[-400:]
    assert "255 bytes" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]

