"""Inputs named by an fsspec URL (#17 point 3): listed by the reader, each text or HTML
file read by the process that works on it; the same documents as the folder itself."""

import subprocess
import sys

import pytest

from cleaner.core.config import load_config
from cleaner.exec.flow import run_documents
from cleaner.input.read import read_input
from conftest import RAW

fsspec = pytest.importorskip("fsspec")


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, text=True, timeout=600)


def test_a_file_url_gives_the_folder_run_byte_for_byte(tmp_path):
    folder = run_cli("run", str(RAW), "--out", str(tmp_path / "folder"), "-q")
    url = run_cli("run", RAW.as_uri(), "--out", str(tmp_path / "url"), "-q")
    assert folder.returncode == 0 and url.returncode == 0, url.stderr
    for name in ("documents.jsonl", "records.jsonl"):
        assert (tmp_path / "url" / name).read_bytes() == (tmp_path / "folder" / name).read_bytes(), name


def test_the_memory_filesystem_and_deferred_reads(tmp_path):
    """fsspec's in-memory filesystem (in this process): text and HTML files travel as
    URLs and are read by the stage that works on them."""
    cfg = load_config()
    mem = fsspec.filesystem("memory")
    files = sorted(p for p in RAW.rglob("*") if p.is_file())
    try:
        for p in files:
            mem.pipe(f"/corpus/{p.relative_to(RAW).as_posix()}", p.read_bytes())
        listed = list(read_input("memory://corpus", cfg))
        deferred = [d for d in listed if d.raw_path]
        assert deferred and all(d.raw_path.startswith("memory://") and not d.text and not d.html for d in deferred)
        from_url = run_documents(read_input("memory://corpus", cfg), cfg, workers=1)
    finally:
        mem.rm("/corpus", recursive=True)
    from_folder = run_documents(read_input(RAW, cfg), cfg, workers=1)
    assert [d.to_json() for d in from_url.documents] == [d.to_json() for d in from_folder.documents]
    assert [r.to_json() for r in from_url.records] == [r.to_json() for r in from_folder.records]


def test_bad_urls_are_one_line_errors(tmp_path):
    for url, message in ((RAW.as_uri() + "/missing", "does not exist"), ("nosuchproto://x", "cannot read")):
        proc = run_cli("run", url, "--out", str(tmp_path / "o"))
        assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
