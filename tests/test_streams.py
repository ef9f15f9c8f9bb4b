"""cleaner as a stage in an ingestion job (#16 point 2): JSONL on stdin, rows on stdout."""

import json
import subprocess
import sys

from hostile_folder import DE, EN

LINES = [json.dumps({"id": "a", "text": EN}), "{broken json", "", json.dumps({"text": EN}),
         json.dumps({"id": "de", "text": DE, "date": "2025-12-20"}), "[1, 2]"]


def run_cli(*args, stdin: str = "", cwd=None):
    return subprocess.run([sys.executable, "-m", "cleaner", *args], input=stdin.encode(), capture_output=True,
                          timeout=300, cwd=cwd)


def test_stdin_to_stdout_one_row_per_line_in_input_order(tmp_path):
    proc = run_cli("run", "-", "--out", "-", stdin="\n".join(LINES) + "\n", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]  # stdout: rows only
    assert [r["line"] for r in rows] == [1, 2, 4, 5, 6]  # the blank line is no input
    assert [r["status"] for r in rows] == ["kept", "rejected", "duplicate", "kept", "rejected"]
    assert rows[2]["record_id"] == rows[0]["record_id"] and rows[3]["record_id"] not in (None, rows[0]["record_id"])
    assert "invalid JSON" in rows[1]["error"] and "expected a JSON object" in rows[4]["error"]
    assert all(r["source"] == "<stdin>" for r in rows)
    assert b"5 inputs" in proc.stderr and b"Traceback" not in proc.stderr
    assert not (tmp_path / "-").exists()  # no folder named "-"


def test_stdin_into_an_output_folder(tmp_path):
    proc = run_cli("run", "-", "--out", str(tmp_path / "out"), "-q", stdin="\n".join(LINES))
    assert proc.returncode == 0, proc.stderr
    rows = (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 5 and (tmp_path / "out" / "manifest.json").exists()


def test_empty_stdin_writes_no_row_and_says_so(tmp_path):
    # One row per input line: no line, no row (a folder run's documents.jsonl still
    # records the empty input as a rejected row; the stream has nowhere to put it).
    proc = run_cli("run", "-", "--out", "-")
    assert proc.returncode == 0 and proc.stdout == b""
    assert b"no JSON lines on stdin" in proc.stderr


def test_a_pipe_as_input_path_is_a_one_line_error(tmp_path):
    fifo = tmp_path / "pipe"
    import os

    os.mkfifo(fifo)
    proc = run_cli("run", str(fifo), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and b"use - to read JSONL from stdin" in proc.stderr
    assert len(proc.stderr.decode().strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_resume_needs_a_folder():
    proc = run_cli("run", "-", "--out", "-", "--resume", stdin=LINES[0])
    assert proc.returncode == 2 and b"--resume needs an output folder" in proc.stderr
