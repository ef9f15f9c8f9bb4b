"""`cleaner state copy STATE COPY`: a consistent copy of a state, also while a run writes
it (README advised copying STATE with its -wal file, which can catch a checkpoint half
done); never over a file that exists."""

import sqlite3
import subprocess
import sys

from cleaner import Deduplicator
from cleaner.store.state import State
from test_state import info_of

ITEMS = [{"id": f"d{i}", "text": f"Story {i}: the harbour board met about quay number {i} on Monday morning."}
         for i in range(6)]


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_a_copy_holds_what_the_state_holds_in_one_file(tmp_path):
    db, copy = tmp_path / "s.db", tmp_path / "c.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add(ITEMS[:3]))
        list(dedup.add(ITEMS[3:]))
    done = cli("state", "copy", str(db), str(copy))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"copied {db} (2 batches, 6 documents) to {copy}"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("c.db")) == ["c.db"]  # no journal
    mine, theirs = info_of(db), info_of(copy)
    for key in ("schema", "batches", "documents", "copy_groups", "records", "events", "first_date", "last_date"):
        assert mine[key] == theirs[key]
    shown = cli("show", str(copy), "d4")
    assert shown.returncode == 0 and "d4" in shown.stdout
    with Deduplicator(state=copy) as dedup:  # a copy is a state to go on with
        (row,) = dedup.add([ITEMS[0]])
    assert row["status"] == "duplicate"


def test_a_copy_taken_while_a_batch_is_open_holds_the_committed_batches_only(tmp_path):
    db, copy = tmp_path / "s.db", tmp_path / "c.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add(ITEMS[:3]))
    writer = State(db)  # a run's batch, begun and written, not committed
    try:
        writer.begin()
        writer.db.execute("INSERT INTO batches VALUES (2, 99, 'open')")
        done = cli("state", "copy", str(db), str(copy))
        assert done.returncode == 0, done.stderr
    finally:
        writer.close()  # rolled back
    assert info_of(copy)["batches"] == 1
    assert sqlite3.connect(copy).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_copy_never_replaces_a_file_and_says_so_in_one_line(tmp_path):
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add(ITEMS[:2]))
    mine = tmp_path / "mine.db"
    mine.write_bytes(b"the user's own file")
    done = cli("state", "copy", str(db), str(mine))
    assert done.returncode != 0
    assert done.stderr == f"cleaner: error: {mine} exists: not overwritten (choose another name for the copy)\n"
    assert mine.read_bytes() == b"the user's own file"
    # A journal named after the copy would be replayed into it when the copy is opened.
    (tmp_path / "new.db-wal").write_bytes(b"stale journal")
    done = cli("state", "copy", str(db), str(tmp_path / "new.db"))
    assert done.returncode != 0 and "new.db-wal exists: not overwritten" in done.stderr
    assert not (tmp_path / "new.db").exists()
    done = cli("state", "copy", str(db), str(tmp_path / "nowhere" / "c.db"))
    assert done.returncode != 0 and done.stderr.count("\n") == 1 and "no folder" in done.stderr
    assert not [p for p in tmp_path.iterdir() if "cleaner-copy" in p.name]  # nothing left behind


def test_a_copy_named_as_a_states_journal_is_refused(tmp_path):
    """`state copy s.db s.db-journal`: SQLite would take the copy for s.db's rollback journal
    the next time s.db opens: refused in one line, nothing written (a -wal, -shm or .lock
    name is refused too, by this or because the state's own file is there)."""
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add(ITEMS[:3]))
    for suffix in ("-journal", "-wal", "-shm", ".lock"):
        target = tmp_path / f"s.db{suffix}"
        existed = target.exists()
        done = cli("state", "copy", str(db), str(target))
        assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        if suffix == "-journal":
            assert f"is the name of state {db}'s journal" in done.stderr, done.stderr
            assert not target.exists()
        assert target.exists() == existed or suffix in ("-wal", "-shm")  # the reader's own journal files
    assert info_of(db)["documents"] == 3
