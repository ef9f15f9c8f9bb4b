"""Session 19, lead: what a user of `cleaner run` met."""

import subprocess
import sys
from pathlib import Path


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cleaner", "run", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_a_folder_with_nothing_to_read_says_so(tmp_path: Path) -> None:
    """`cleaner run EMPTY` printed "0 inputs" and nothing else: a user could not tell a wrong
    folder from one whose files are all hidden (skipped by design, README)."""
    (tmp_path / "in" / ".git").mkdir(parents=True)
    (tmp_path / "in" / ".notes.txt").write_text("a hidden file is never read\n", encoding="utf-8")
    done = _run("in", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "note: in holds no file to read (hidden files and folders are skipped)" in done.stderr
    assert "0 inputs" in done.stderr
    quiet = _run("in", "--out", "out2", "-q", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_a_folder_with_files_gives_no_such_note(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("One short text to read.\n", encoding="utf-8")
    done = _run("in", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "holds no file" not in done.stderr
