"""review-22: defects found reviewing session 21 and attacking the product as a new user.

Each test failed before its fix.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_a_stream_interrupted_while_waiting_for_its_next_lines_does_not_claim_a_batch_half_written(tmp_path):
    """Ctrl-C while a stream with --state waits for more lines (the usual way to stop one),
    after batch 1 was committed and its rows written: it said "interrupted while writing the
    rows of batch 2, which is committed to s.db: some of its rows may not have been
    written", of a batch that was never read."""
    path = tmp_path / "s.db"
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state", str(path),
                             "--workers", "1", "-v"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_env(), text=True)
    try:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(json.dumps({"id": "a", "text": "The harbour board of Velmont met on Monday to "
                                                        "discuss the new quay."}) + "\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["id"] == "a"
        seen = []
        while not any("batch 1: 1 line(s) decided, committed" in line for line in seen):
            line = proc.stderr.readline()
            assert line, "".join(seen)
            seen.append(line)
        time.sleep(0.5)  # back in the reader's wait for the next line
        proc.send_signal(signal.SIGINT)
        err = proc.stderr.read()
        assert proc.wait(timeout=60) == 130, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert err.strip().splitlines()[-1] == "cleaner: interrupted; the state keeps every batch written before", err


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=_env())


def test_state_copy_to_dash_or_a_folder_is_a_one_line_error_and_writes_nothing(tmp_path):
    """`cleaner state copy news.db -` wrote a file named "-" in the current folder (which
    `rm -` cannot remove; `--state -` and `export --out -` are refused for that reason), and
    a folder as COPY (`cp`'s habit: copy into it) was "DIR exists: not overwritten", as if
    the folder might have been replaced."""
    from cleaner import Deduplicator

    with Deduplicator(state=str(tmp_path / "news.db"), workers=1) as dedup:
        list(dedup.add([{"id": "a", "text": "The harbour board of Velmont met on Monday to discuss the quay."}]))
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = _cli("state", "copy", "news.db", "-", cwd=tmp_path)
    assert proc.returncode == 2 and "not stdout" in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
    (tmp_path / "backups").mkdir()
    proc = _cli("state", "copy", "news.db", "backups", cwd=tmp_path)
    assert proc.returncode == 2 and "backups is a folder" in proc.stderr, proc.stderr
    assert "backups/news.db" in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before + ["backups"])
    assert not list((tmp_path / "backups").iterdir())
    # `cleaner --help` named the group "Inspect or prune a state file", without its copy verb.
    assert "Inspect, prune or copy a state file" in _cli("--help").stdout


def test_a_state_is_copied_to_a_disk_without_hard_links_and_never_over_a_file(tmp_path, monkeypatch):
    """`state copy` made its copy under a temporary name and linked it to COPY: on a FAT or
    exFAT disk (a USB backup disk), where link() fails with EPERM, every copy failed:
    "cannot copy state ... : Operation not permitted". Simulated here (no FAT driver in a
    test): link() raising EPERM, as Linux's VFS does for a file system without links."""
    import errno

    import pytest

    from cleaner import Deduplicator
    from cleaner.store import state as state_module
    from cleaner.store.state import State, StateError

    db = tmp_path / "s.db"
    with Deduplicator(state=str(db), workers=1) as dedup:
        list(dedup.add([{"id": f"d{i}", "text": f"Story {i}: the harbour board met about quay {i} on Monday."}
                        for i in range(4)]))

    def no_link(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(state_module.os, "link", no_link)
    reader = State(db, writer=False)
    try:
        reader.copy_to(tmp_path / "c.db")
    finally:
        reader.close()
    copy = State(tmp_path / "c.db", writer=False)
    try:
        assert copy.info()["documents"] == 4
    finally:
        copy.close()

    def appears(src: object, dst: object) -> None:  # a file made at COPY between the checks and the link
        Path(str(dst)).write_bytes(b"the user's own file")
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(state_module.os, "link", appears)
    reader = State(db, writer=False)
    try:
        with pytest.raises(StateError, match="exists: not overwritten"):
            reader.copy_to(tmp_path / "late.db")
    finally:
        reader.close()
    assert (tmp_path / "late.db").read_bytes() == b"the user's own file"
    assert not [p for p in tmp_path.iterdir() if "cleaner-copy" in p.name]


def test_a_relative_out_reaches_a_dask_worker_that_runs_in_another_folder(tmp_path):
    """A `dask worker` runs in the folder it was started in: `cleaner run in --out clean
    --engine dask --scheduler ...` sent it the checkpoint's folder as written,
    'clean/.cleaner-partial', which named nothing there, and every run failed: "lost the
    Dask cluster at ...: [Errno 2] No such file or directory: 'clean/.cleaner-partial/
    ....spool' (check that the scheduler is running and reachable)"."""
    import pytest

    distributed = pytest.importorskip("distributed", reason="the dask extra (pip install 'cleaner[dask]')")
    inp = tmp_path / "in"
    inp.mkdir()
    for i in range(6):
        (inp / f"a{i}.txt").write_text(f"Story {i}: the harbour board of Velmont met on Monday about quay {i}.\n"
                                       "Subscribe to our newsletter\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        client.run(os.chdir, str(elsewhere))  # as a worker started in another folder
        proc = _cli("run", "in", "--out", "clean", "--engine", "dask", "--scheduler", cluster.scheduler_address,
                    "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    local = _cli("run", "in", "--out", "local", "--workers", "1", "-q", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    for name in ("documents.jsonl", "records.jsonl"):
        assert (tmp_path / "clean" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    assert not list(elsewhere.iterdir())


def test_a_worker_that_cannot_write_the_spool_is_not_a_lost_cluster():
    """A worker's own OSError writing its spool segment (a folder the workers do not
    share) came back as "lost the Dask cluster ...: No such file or directory ... (check
    that the scheduler is running and reachable)", of a cluster that was fine."""
    import pytest

    pytest.importorskip("distributed", reason="the dask extra (pip install 'cleaner[dask]')")
    from cleaner.exec.dask_engine import lost

    error = lost(FileNotFoundError(2, "No such file or directory", "/shared/out/.cleaner-partial/12.spool"),
                 "tcp://127.0.0.1:8786")
    # review-23: the same error comes from this process reading a segment back (a worker wrote
    # it where this process does not see it): the message names neither side.
    assert str(error) == ("cannot reach the run's spool /shared/out/.cleaner-partial/12.spool (the Dask workers "
                          "write it, this process reads it): No such file or directory")
    assert "same path" in error.hint
    connection = lost(ConnectionResetError(104, "Connection reset by peer"), "tcp://127.0.0.1:8786")
    assert str(connection).startswith("lost the Dask cluster at tcp://127.0.0.1:8786") and "scheduler" in connection.hint


_UNRELATED = ["The harbour board of Velmont met on Monday to discuss the new quay.",
              "Farmers near Ostrava report the wettest spring in forty years.",
              "A violinist from Porto won the Geneva competition on Sunday evening.",
              "The city of Tarnby opened a bridge over the Elm river this week.",
              "Scientists in Hobart tracked a rare whale along the Tasman coast.",
              "Rail workers in Lyon voted to end a strike that began in March.",
              "A bakery in Graz sold its millionth pretzel to a visiting teacher.",
              "Divers off Malta found an amphora cargo from a Roman trading ship."]

_PRUNE_DISK_FULL = """
import sqlite3, sys
from cleaner.store.state import State
from cleaner.cli import main

def compact(self):  # VACUUM on a disk without the state's size free (seen on a 2 MB tmpfs)
    raise sqlite3.OperationalError("database or disk is full")
State.compact = compact
main(["state", "prune", sys.argv[1], "--before", "2024-03-01"])
"""


def _prune_failing(tmp_path, script):
    """A state of four records dated before March 2024, pruned by `script` (a CLI with a
    failure patched in): its one-line error says the prune of all four was committed."""
    from cleaner import Deduplicator

    path = tmp_path / "s.db"
    with Deduplicator(state=str(path), workers=1) as dedup:
        list(dedup.add([{"id": f"d{i}", "date": f"2024-0{1 + i % 4}-10", "text": text}
                        for i, text in enumerate(_UNRELATED)]))
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                          timeout=120, env=_env())
    err = proc.stderr.strip()
    assert proc.returncode == 1 and len(err.splitlines()) == 1, err
    assert "the prune is committed (pruned 4 records (4 documents)" in err, err
    return path, err


def test_a_prune_whose_file_cannot_be_made_smaller_says_the_prune_is_committed(tmp_path):
    """A prune commits, then VACUUM writes the state again, which needs about its size
    free: on a disk being pruned for lack of room it failed, and the command said "cannot
    use state s.db: database or disk is full", exit 2, of a prune that was committed."""
    path, err = _prune_failing(tmp_path, _PRUNE_DISK_FULL)
    assert "not made smaller" in err, err
    assert "disk is full" in err, err
    info = json.loads(_cli("state", "info", "--json", str(path)).stdout)
    assert info["documents"] == 4


_PRUNE_CLOSE_FAILS = _PRUNE_DISK_FULL.replace("State.compact = compact", """State.compact = compact
real_close = State.close
def close(self):  # closing on the same full disk (the WAL's last checkpoint)
    real_close(self)
    raise sqlite3.OperationalError("disk I/O error")
State.close = close""")


def test_a_prune_whose_state_cannot_be_closed_after_compacting_says_the_prune_is_committed(tmp_path):
    """review-23: when closing the state failed too (after a failed VACUUM, on the same full
    disk), that error escaped the message above: "cannot use state s.db: disk I/O error",
    exit 2, of a prune that was committed."""
    _, err = _prune_failing(tmp_path, _PRUNE_CLOSE_FAILS)
    assert "disk is full" in err, err


_COMMIT_DISK_FULL = """
import sqlite3, sys
from cleaner.store.state import State
from cleaner.cli import main

def commit(self, *args):  # the batch's last pages, written at COMMIT, on a disk the outputs just filled
    raise sqlite3.OperationalError("database or disk is full")
State.commit = commit
main(["run", sys.argv[1], "--out", sys.argv[2], "--state", sys.argv[3], "--workers", "1", "-q"])
"""


def test_a_folder_run_whose_state_commit_fails_says_its_outputs_are_written_and_the_state_lacks_them(tmp_path):
    """A folder run writes its outputs, then commits its batch: a full disk at the commit
    said "cannot use state s.db: database or disk is full" alone, as if the run had failed,
    though OUT held the whole run and the state did not (review-21 said so of a Ctrl-C there)."""
    inp = tmp_path / "in"
    inp.mkdir()
    for i, text in enumerate(_UNRELATED[:3]):
        (inp / f"a{i}.txt").write_text(text + "\n", encoding="utf-8")
    out, path = tmp_path / "out", tmp_path / "s.db"
    proc = subprocess.run([sys.executable, "-c", _COMMIT_DISK_FULL, str(inp), str(out), str(path)],
                          capture_output=True, text=True, timeout=120, env=_env())
    err = proc.stderr.strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1, err
    assert f"the run was written to {out}" in err and "not in the state" in err and "disk is full" in err, err
    assert len((out / "documents.jsonl").read_text().splitlines()) == 3
    info = json.loads(_cli("state", "info", "--json", str(path)).stdout)
    assert info["batches"] == 0 and info["documents"] == 0, info


def test_a_copy_is_not_made_beside_a_rollback_journal_named_after_it(tmp_path):
    """`state copy` refused a -wal or -shm file named after COPY (SQLite would replay it into
    the copy), but not a -journal: a rollback journal another SQLite program left when it
    crashed (its database since deleted) was replayed into the copy when it was opened for
    writing, which left it malformed; a reader said "not a cleaner state"."""
    import sqlite3

    from cleaner import Deduplicator

    db = tmp_path / "s.db"
    with Deduplicator(state=str(db), workers=1) as dedup:
        list(dedup.add([{"id": "a", "text": _UNRELATED[0]}]))
    other = tmp_path / "other.db"  # a database in rollback mode, its process killed mid-transaction
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t(x)")
        conn.executemany("INSERT INTO t VALUES (?)", [(os.urandom(400),) for _ in range(300)])
    conn.close()
    killed = ("import os, sqlite3, sys\ndb = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
              "db.execute('PRAGMA cache_size=1'); db.execute('BEGIN'); db.execute('UPDATE t SET x = randomblob(400)')\n"
              "os._exit(9)")
    subprocess.run([sys.executable, "-c", killed, str(other)], check=False, timeout=60)
    os.rename(f"{other}-journal", tmp_path / "backup.db-journal")
    proc = _cli("state", "copy", str(db), str(tmp_path / "backup.db"))
    assert proc.returncode == 2 and "backup.db-journal exists: not overwritten" in proc.stderr, proc.stderr
    assert not (tmp_path / "backup.db").exists()


def test_a_pages_date_does_not_depend_on_the_day_or_time_zone_of_the_run():
    """trafilatura hands htmldate today's date (in the machine's time zone) as the latest a
    page may carry: a page dated after the run's day lost its date (None), though the same
    page run a month later kept it, and a Tokyo morning article run in UTC's evening of the
    day before lost its own: documents.jsonl depended on when and where the run was."""
    from datetime import date, timedelta

    from cleaner import clean

    ahead = (date.today() + timedelta(days=30)).isoformat()
    html = (f'<html><head><title>Harbour board approves new quay</title><meta property="article:published_time" '
            f'content="{ahead}T09:00:00+09:00"></head><body><article><h1>Harbour board approves new quay</h1>'
            "<p>The harbour board of Velmont approved the new quay on Monday after a long debate about its costs "
            "and the dredging it needs.</p><p>Mayor Holt said the work would begin in the spring and take two "
            "years, with most of the money coming from the port's own reserves.</p></article></body></html>")
    doc = clean([{"id": "p", "html": html}]).documents[0]
    assert doc["date"] == ahead, doc
