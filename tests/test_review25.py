"""review-25: defects found reviewing session 24's changes and attacking the product.

Each test failed before its fix."""

from __future__ import annotations

import pytest

from cleaner import Deduplicator
from hostile_folder import EN
from test_state import run_cli
from test_worst_case import _Broken


@pytest.fixture
def small_state(tmp_path):
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([{"id": "a", "text": EN, "lang": "en"}]))
    return db


def test_state_copy_refuses_a_name_with_no_room_for_the_state_s_own_files(tmp_path, small_state):
    """A COPY of 251-255 bytes was written (the copy's temporary name is short since session
    24), but no one could use it: a writer's lock file (COPY.lock) passes 255 bytes ('cannot
    write state ...: File name too long'), and from 252 bytes its -wal does too, so `state
    info`, `show` and `export` said the copy 'is not a cleaner state'. Refused in one line now,
    nothing written; a name of 250 bytes is still a copy a run continues."""
    for name in ("c" * 251, "d" * 254, "é" * 126):  # 251, 254, 252 bytes
        proc = run_cli("state", "copy", str(small_state), name, cwd=tmp_path)
        err = proc.stderr.decode().strip()
        assert proc.returncode == 2 and len(err.splitlines()) == 1 and "too long" in err, err
        assert "Traceback" not in err
    assert all(p.name.startswith("s.db") for p in tmp_path.iterdir())  # nothing written but the state's own
    name = "e" * 250
    proc = run_cli("state", "copy", str(small_state), name, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    more = '{"id": "b", "text": "%s Told again on the second day.", "lang": "en"}\n' % EN
    proc = run_cli("run", "-", "--out", "-", "--state", name, stdin=more, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    info = run_cli("state", "info", name, cwd=tmp_path)
    assert info.returncode == 0 and b"2 documents" in info.stdout, info.stderr.decode()


@pytest.mark.parametrize("exc", [MemoryError(), MemoryError("Unable to allocate 3.1 GiB for an array")])
def test_a_document_out_of_memory_is_rejected_with_a_reason_that_says_so(exc):
    """A MemoryError in one document's stage (a memory limit reached in a worker: ulimit -v,
    a container) rejected it as 'extract failed: MemoryError: ', a reason that said nothing;
    README said such a MemoryError in a worker ended the run in one line (exit 2). It rejects
    the document (a document too large for the memory there, by design): the reason says so,
    and README too."""
    from cleaner.core.document import Document
    from cleaner.core.stage import safe_process

    doc = safe_process(_Broken(exc), Document(id="a", source="a.txt", text="x"))
    assert not doc.ok
    assert doc.error.startswith("broken failed: MemoryError: out of memory processing this document"), doc.error
    assert str(exc) in doc.error


# The client given up on its scheduler just before the story tier's first call, as
# distributed closes it once the scheduler has been gone for its reconnect timeout (20 s:
# a scheduler killed while a run's story tier is about to start).
_CLIENT_CLOSED = """\
import sys
from cleaner.exec import dask_stories
share = dask_stories.ClusterStories.share
def closed_then_share(self, shared):
    self.client.close()
    return share(self, shared)
dask_stories.ClusterStories.share = closed_then_share
from cleaner.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("stream", [False, True])
def test_a_dask_client_that_gave_its_scheduler_up_is_one_line(tmp_path, stream):
    """A scheduler killed mid-run (`--scheduler`, a LocalCluster on loopback: kill -9 its
    process) ended the run in distributed's traceback, 'AttributeError: 'NoneType' object
    has no attribute 'scatter'' from the story tier's scatter, once the client had given the
    scheduler up (ClosedClientError from a submit): the steps' `except LOST` did not know
    those. One line now, exit 2, the checkpoint kept for --resume."""
    pytest.importorskip("distributed")
    import subprocess
    import sys

    from test_dask_stories import story_feed

    feed = story_feed(tmp_path / "feed.jsonl")
    out = tmp_path / "out"
    if stream:
        args = ["run", "-", "--out", "-", "--engine", "dask", "-q"]
        stdin = feed.read_bytes()
    else:
        args = ["run", str(feed), "--out", str(out), "--engine", "dask", "-q"]
        stdin = b""
    proc = subprocess.run([sys.executable, "-c", _CLIENT_CLOSED, *args], input=stdin, capture_output=True,
                          timeout=300, cwd=tmp_path)
    err = proc.stderr.decode().strip()
    assert "Traceback" not in err, err
    assert proc.returncode == 2, err
    (line,) = err.splitlines()
    assert "lost the Dask cluster" in line and "connection to the scheduler was lost" in line, line
    if not stream:
        assert not (out / "documents.jsonl").exists()
        assert (out / ".cleaner-partial").is_dir()  # --resume continues from what finished
