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
