"""state-20 (#16 point 9): a batch's COMMIT no longer copies the WAL into the state's file
(a checkpoint behind it, on a thread), and a state batch's forked children leave what they
inherited out of the cyclic collector (gc.freeze)."""

from __future__ import annotations

import gc
import sqlite3
import threading

from cleaner.exec import forked
from cleaner.store import state as state_module
from cleaner.store.state import State


def _batch(state: State, value: str) -> None:
    batch = state.begin()
    state.set_meta("note", value)
    state.commit(batch, 1, value)


def test_commit_returns_before_the_wal_is_copied_into_the_file(tmp_path, monkeypatch):
    started, gate = threading.Event(), threading.Event()
    real = sqlite3.connect

    class Held:
        """The checkpoint thread's connection, held at its checkpoint until `gate`."""

        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            if "wal_checkpoint" in sql:
                started.set()
                assert gate.wait(20)
            return self.db.execute(sql, *args)

        def close(self) -> None:
            self.db.close()

    def connect(*args: object, **kwargs: object) -> object:
        db = real(*args, **kwargs)  # type: ignore[arg-type]
        return Held(db) if threading.current_thread().name == "state-checkpoint" else db

    path = tmp_path / "s.db"
    state = State(path)
    monkeypatch.setattr(state_module.sqlite3, "connect", connect)
    _batch(state, "one")  # returns while its checkpoint is held
    assert started.wait(20), "no checkpoint ran behind the commit"
    assert state.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # not inside COMMIT either
    # A reader sees the committed batch meanwhile (it is in the WAL).
    reader = real(f"file:{path}?mode=ro", uri=True)
    assert reader.execute("SELECT value FROM meta WHERE key = 'note'").fetchone()[0] == "one"
    reader.close()
    gate.set()
    _batch(state, "two")  # waits for the first checkpoint, starts its own
    state.close()  # waits for the second
    assert state._checkpoint is None
    monkeypatch.undo()
    again = State(path)
    assert again.meta("note") == "two" and again.batches() == 2
    again.close()


def test_the_wal_is_copied_after_each_batch(tmp_path):
    path = tmp_path / "s.db"
    state = State(path)
    for n in range(3):
        _batch(state, str(n))
        state._checkpointed()
        # Everything committed is in the file already: a checkpoint finds nothing left to copy.
        with sqlite3.connect(path) as db:
            busy, log, done = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and log == done
    state.close()


def _frozen() -> int:
    return gc.get_freeze_count()


def test_forked_children_freeze_what_they_inherit():
    if not forked.can_fork():
        return
    gc.unfreeze()  # the parent's own freeze (cli._before_exit in an earlier test) would be inherited
    assert gc.get_freeze_count() == 0
    keep = [{"inherited": [n]} for n in range(1000)]  # objects the collector tracks
    with forked.forked_pool(2, keep) as pool:
        assert pool is not None
        assert pool.apply(_frozen) >= len(keep)
    assert gc.get_freeze_count() == 0  # the parent's collector is as it was
