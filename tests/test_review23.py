"""review-23: defects found reviewing session 22 and attacking the product as a new user.

Each test failed before its fix.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess

import pytest

from cleaner import Deduplicator
from cleaner.store.state import SCHEMA, State, StateError

from test_state import run_cli

ITEM = {"id": "a", "text": "The Karvell bridge over the Ostra river reopened after the storm, officials said.",
        "date": "2025-06-01"}


def _schema_5(db):
    """A state as session 21's cleaner (schema 5) left it: no terms table."""
    with Deduplicator(state=db) as dedup:
        list(dedup.add([ITEM]))
    con = sqlite3.connect(db)
    con.execute("DROP TABLE terms")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema'")
    con.commit()
    con.close()


def _schema(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
    finally:
        con.close()


def test_a_writer_refused_for_its_settings_leaves_a_schema_5_state_at_schema_5(tmp_path):
    """A run refused because its MinHash settings are not the state's ("use another state
    or the same settings") migrated the schema-5 state to schema 6 first: the cleaner that
    made the state (and still runs the pipeline) could no longer open it ("schema version 6;
    this cleaner reads version 5"), changed by a run that did nothing."""
    db = tmp_path / "s.db"
    _schema_5(db)
    with pytest.raises(StateError, match="other MinHash/shingle settings"):
        Deduplicator(state=db, config={"minhash": {"num_perm": 64}})
    assert _schema(db) == "5"
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), "--config", str(_toml(tmp_path)),
                   stdin='{"id": "b", "text": "Another text about the harbour."}\n')
    assert proc.returncode == 2 and b"other MinHash/shingle settings" in proc.stderr, proc.stderr
    assert _schema(db) == "5"
    # A writer that may write it migrates it, as before.
    with Deduplicator(state=db) as dedup:
        (row,) = dedup.add([dict(ITEM, id="b")])
    assert row["status"] == "duplicate" and _schema(db) == str(SCHEMA)


def _toml(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[minhash]\nnum_perm = 64\n", encoding="utf-8")
    return path


@pytest.fixture
def read_only_file(tmp_path):
    """(path, seal): seal() makes the file at `path` read-only in a writable folder (its lock
    file can be made): a read-only bind mount of the file as root, who writes through file
    permissions; chmod 444 otherwise."""
    path = tmp_path / "s.db"
    if os.geteuid() != 0:
        yield path, lambda: path.chmod(0o444)
        path.chmod(0o644)
        return
    if not shutil.which("mount"):
        pytest.skip("needs mount(8) as root")
    mounted = []

    def seal():
        if subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True).returncode:
            pytest.skip("cannot bind-mount here")
        mounted.append(path)
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], capture_output=True).returncode:
            pytest.skip("cannot remount read-only here")
    try:
        yield path, seal
    finally:
        for p in mounted:
            subprocess.run(["umount", str(p)], capture_output=True)


def test_a_read_only_schema_5_state_given_to_a_writer_is_not_called_not_a_state(read_only_file, tmp_path):
    """A schema-5 state file no one may write (an archived state, chmod 444), given to
    `run --state`: its migration failed and the run said "s.db is not a cleaner state
    (attempt to write a readonly database)" of a good state; readers still read it."""
    db, seal = read_only_file
    _schema_5(db)
    seal()
    with pytest.raises(StateError, match=r"cannot write state .*s\.db: attempt to write a readonly database"):
        State(db)
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), stdin='{"id": "b", "text": "Another text."}\n',
                   cwd=tmp_path)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1, err
    assert "cannot write state" in err and "not a cleaner state" not in err, err
    proc = run_cli("state", "info", str(db), cwd=tmp_path)
    assert proc.returncode == 0 and b"schema version 5" in proc.stdout, proc.stderr


def test_a_state_or_copy_named_with_a_trailing_slash_is_refused_not_written_as_a_file(tmp_path):
    """`--state states/`, `state copy s.db backups/` (a folder not made yet, as `cp` reads a
    trailing '/') and `Deduplicator(state="states/")` wrote a state file named "states" or
    "backups": Path drops the slash, SQLite makes the file, and the folder the user meant
    can then not be made. `cp` says "Not a directory"; here one line, nothing written."""
    db = tmp_path / "s.db"
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), stdin='{"id": "a", "text": "A harbour text."}\n',
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for args in (("run", "-", "--out", "-", "--state", "states/"), ("state", "copy", str(db), "backups/"),
                 ("state", "prune", "states/", "--before", "2020-01-01")):
        proc = run_cli(*args, stdin='{"id": "b", "text": "Another text."}\n', cwd=tmp_path)
        err = proc.stderr.decode().strip()
        assert proc.returncode == 2 and len(err.splitlines()) == 1 and "ends in '/'" in err, (args, err)
    with pytest.raises(StateError, match="ends in '/'"):
        Deduplicator(state=str(tmp_path / "states") + "/")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("s.db")) == []
    # An existing folder is still named as one (state copy's own words).
    (tmp_path / "backups").mkdir()
    proc = run_cli("state", "copy", str(db), "backups/", cwd=tmp_path)
    assert proc.returncode == 2 and b"backups is a folder" in proc.stderr, proc.stderr


def _texts(tag, n):
    return [{"id": f"{tag}{i}", "text": f"The harbour board of Velmont met on Monday about quay {i} and the "
                                        f"Karvell bridge toll {i * 7}, the {tag} desk reported. " * 2} for i in range(n)]


@pytest.mark.parametrize("state", [None, "s.db"])
def test_a_deduplicator_made_in_one_thread_adds_from_another(tmp_path, state):
    """Made at an application's start, used from a worker thread (a web framework's thread
    pool, asyncio's run_in_executor): every call failed with sqlite3's ProgrammingError
    ("SQLite objects created in a thread can only be used in that same thread")."""
    import threading

    dedup = Deduplicator(state=None if state is None else tmp_path / state)
    got = {}

    def work():
        try:
            got["rows"] = list(dedup.add(_texts("a", 3)))
            got["records"] = dedup.records
        except Exception as exc:  # noqa: BLE001 - reported below
            got["error"] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    dedup.close()
    assert "error" not in got, got["error"]
    assert [r["id"] for r in got["rows"]] == ["a0", "a1", "a2"] and len(got["records"]) >= 1


def test_two_threads_adding_at_once_add_every_item_once(tmp_path):
    """Two threads' batches at once shared one transaction and the clusterer's per-batch
    fields: one failed ("cannot start a transaction within a transaction") or, worse,
    reset the other's batch half way. Now one waits for the other."""
    import threading

    dedup = Deduplicator(state=tmp_path / "s.db", batch_size=20)
    got = {}

    def work(tag):
        try:
            got[tag] = [r["id"] for r in dedup.add(_texts(tag, 60))]
        except Exception as exc:  # noqa: BLE001 - reported below
            got[tag] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=work, args=(tag,)) for tag in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for tag in ("a", "b", "c"):
        assert got[tag] == [f"{tag}{i}" for i in range(60)], got[tag]
    dedup.close()
    con = sqlite3.connect(tmp_path / "s.db")
    assert con.execute("SELECT count(*), count(DISTINCT id) FROM docs").fetchone() == (180, 180)
    assert con.execute("SELECT count(*), sum(documents) FROM batches").fetchone() == (9, 180)
    con.close()


def test_a_forked_child_is_refused_the_deduplicator_and_leaves_the_state_to_its_parent(tmp_path):
    """Lead, session 23 (review-23 noticed it): a child forked after a Deduplicator was made
    (a pre-forking server, multiprocessing's fork start) had a working copy of its SQLite
    connection and writer's lock, which SQLite forbids using across fork(): two processes
    wrote one state as one writer. Now the child is told in one line, and its `with`'s end
    (close) leaves the parent's connection and lock alone."""
    dedup = Deduplicator(state=tmp_path / "s.db")
    rows = list(dedup.add(_texts("a", 3)))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what it got, then leave without Python's exit handlers
        message = "no error"
        try:
            list(dedup.add(_texts("b", 2)))
        except RuntimeError as exc:
            message = str(exc)
        dedup.close()
        os.write(write, message.encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    message = os.read(read, 4096).decode()
    os.close(read)
    assert "before a fork: a forked process cannot use it" in message, message
    # The parent goes on: its connection and lock untouched by the child's close.
    more = list(dedup.add(_texts("c", 2)))
    dedup.close()
    assert [r["id"] for r in rows + more] == ["a0", "a1", "a2", "c0", "c1"]
    con = sqlite3.connect(tmp_path / "s.db")
    assert con.execute("SELECT count(*) FROM docs").fetchone() == (5,)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
