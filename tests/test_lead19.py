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


def test_a_gz_read_through_a_url_is_read_as_the_same_local_file(tmp_path: Path) -> None:
    """review-18 made a local .gz with data after its gzip data read as gunzip reads it (kept,
    meta.gzip says so; a feed's tail a rejected row). Through a URL (fsspec) the same files
    were still rejected whole ("cannot read file: Not a gzipped file") or the feed stopped
    with a traceback-like reason: a folder and its file:// URL gave different documents."""
    import gzip
    import json

    import pytest

    pytest.importorskip("fsspec")
    from cleaner.core.config import load_config
    from cleaner.input.read import parse_deferred, read_input
    from cleaner.input.urls import read_deferred

    page = b"<html><body><article><p>" + b"The ferry board met on Tuesday about the new pier. " * 8 + \
        b"</p></article></body></html>"
    feed = "".join(json.dumps({"id": f"f{i}", "text": f"Line {i} of the feed, about the pier."}) + "\n"
                   for i in range(2))
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.html.gz").write_bytes(gzip.compress(page) + b"JUNK after it")
    (inp / "b.jsonl.gz").write_bytes(gzip.compress(feed.encode()) + b"GARBAGE\n")
    (inp / "c.txt.gz").write_bytes(gzip.compress(b"A plain text about the pier.\n")[:-12])  # cut: unreadable
    (inp / "d.txt.gz").write_bytes(gzip.compress(b"A plain text about the quay.\n") * 2)  # two members
    (inp / "list.json.gz").write_bytes(gzip.compress(json.dumps([{"id": "j1", "text": "One."}]).encode()) + b"\xff tail")
    cfg = load_config()
    max_bytes = cfg["read"]["max_file_bytes"]

    def read(where: str) -> dict[str, tuple[bool, str, str, dict[str, str]]]:
        docs = [read_deferred(parse_deferred(d), max_bytes) for d in read_input(where, cfg)]
        return {d.id: (d.ok, d.text, d.html or "", d.meta) for d in docs}

    local, url = read(str(inp)), read(inp.as_uri())
    trailing = {"gzip": "data after the end of the gzip data, which is not gzip, was not read"}
    assert url["a"][0] and url["a"][2].endswith("</html>") and url["a"][3] == trailing
    assert url["b:3"][0] is False and url["f0"][0] and url["f1"][0]
    assert url["c"][0] is False
    assert url["d"] == (True, "A plain text about the quay.\nA plain text about the quay.\n", "", {})
    assert url["j1"][0] and url["j1"][3] == trailing
    assert {k: v for k, v in url.items() if k != "c"} == {k: v for k, v in local.items() if k != "c"}
    assert set(url) == set(local)
