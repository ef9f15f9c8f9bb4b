"""review2-28: a second look at session 28's merged changes (cpu-28's per-document fast
paths, review-28's fixes). What it found, each with the test that failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys

from test_review28 import ROOT, STORIES, _limited_files


def _run(args: list[str], cwd, limit=None) -> subprocess.CompletedProcess[bytes]:  # type: ignore[no-untyped-def]
    line = '{"id": "a", "text": "' + STORIES[0] + '"}\n'
    return subprocess.run([sys.executable, "-m", "cleaner", *args], input=line.encode(), capture_output=True,
                          cwd=cwd, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=limit)


def test_a_new_state_that_could_not_be_written_is_not_left_behind(tmp_path):
    """review-28 said "cannot use state S: disk I/O error" for a new state on a full disk
    (`ulimit -f` here), but the 0-byte S that SQLite had made stayed: the run after space was
    freed was refused with "S is an empty file, not a cleaner state: remove it"."""
    db = tmp_path / "new.db"
    done = _run(["run", "-", "--out", "-", "--state", str(db)], tmp_path, _limited_files(8192))
    assert done.returncode == 2 and "cannot use state" in done.stderr.decode(), done.stderr
    assert not db.exists() and not list(tmp_path.glob("new.db*"))  # nothing left behind
    again = _run(["run", "-", "--out", "-", "--state", str(db)], tmp_path)
    assert again.returncode == 0, again.stderr.decode()[-500:]


def test_an_existing_empty_file_refused_at_a_full_disk_is_kept(tmp_path):
    """Only the file this opening made is removed: a user's empty file stays (and is refused)."""
    db = tmp_path / "mine.db"
    db.write_bytes(b"")
    done = _run(["run", "-", "--out", "-", "--state", str(db)], tmp_path, _limited_files(8192))
    assert done.returncode == 2 and "empty file" in done.stderr.decode(), done.stderr
    assert db.exists()



def test_a_subclass_with_its_own_setstate_still_gets_its_dict():
    """review-28 pickled a Document subclass's own attributes as a (__dict__, slots) pair, also
    for a subclass without slots of its own: one that defines __setstate__ (given its __dict__
    before) failed with "dictionary update sequence element #0 has length 1"."""
    import copy
    import pickle

    global Mine
    from cleaner.core.document import Document

    class Mine(Document):  # type: ignore[no-redef]
        def __setstate__(self, state):  # type: ignore[no-untyped-def]
            assert isinstance(state, dict), state
            self.__dict__.update(state)
            self.restored = True

    Mine.__qualname__ = "Mine"  # picklable by name, from this module
    doc = Mine(id="a", source="s")
    doc.note = "mine"
    for back in (pickle.loads(pickle.dumps(doc)), copy.deepcopy(doc)):
        assert type(back) is Mine and back.note == "mine" and back.restored and back.id == "a"
