"""review-24: defects found reviewing session 23 and attacking the product as a new user.

Each test failed before its fix.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from cleaner import Deduplicator

ITEM = {"id": "a", "text": "The Karvell bridge over the Ostra river reopened after the storm, officials said.",
        "date": "2025-06-01"}

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")


def _child(work) -> tuple[int, str]:
    """Fork; the child runs `work()` and reports its answer (or its error) through a pipe,
    then leaves without Python's exit handlers. Returns (child pid, the answer)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            answer = str(work())
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            answer = f"{type(exc).__name__}: {exc}"
        os.write(write, answer.encode())
        os._exit(0)
    os.close(write)
    answer = b""
    while chunk := os.read(read, 4096):
        answer += chunk
    os.close(read)
    return pid, answer.decode()


@needs_fork
def test_a_process_forked_while_a_writer_was_open_does_not_keep_its_lock(tmp_path):
    """A process forked while a Deduplicator held a state's writer lock (an unrelated
    multiprocessing job, a pre-forking server's worker) kept the lock after the parent
    closed the Deduplicator: flock's lock belongs to the open file, which the child's
    inherited descriptor held open. Reopening the state then said 'is being written by
    another run' (`wait=True` waited for that process to end), and no other process could
    write it either."""
    db = tmp_path / "s.db"
    dedup = Deduplicator(state=db)
    list(dedup.add([ITEM]))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a child that lives on, doing something else
        os.close(write)
        os.read(read, 1)  # until the parent says
        os._exit(0)
    os.close(read)
    try:
        dedup.close()
        with Deduplicator(state=db) as again:  # refused before, while the child lived
            (row,) = again.add([dict(ITEM, id="b")])
        assert row["status"] == "duplicate"
    finally:
        os.write(write, b"x")
        os.close(write)
        os.waitpid(pid, 0)


@needs_fork
def test_a_forked_process_makes_its_own_deduplicator_once_the_parent_s_is_closed(tmp_path):
    """README: a forked process makes its own Deduplicator after the fork. One forked while
    the parent's was open was told the state 'is already open for writing in this process'
    (the parent's copy in its memory), even after the parent and the child both closed it.
    Now it is refused only while the parent holds the state (one writer: 'being written by
    another run'), and writes it once the parent closed."""
    db = tmp_path / "s.db"
    dedup = Deduplicator(state=db)
    list(dedup.add([ITEM]))

    def while_the_parent_holds_it():
        with Deduplicator(state=db):
            return "opened"

    _, answer = _child(while_the_parent_holds_it)
    assert "being written by another run" in answer, answer
    read, write = os.pipe()

    def after_the_parent_closed():
        os.close(write)
        os.read(read, 1)  # the parent has closed its own
        dedup.close()  # the child's copy: the parent's to close (a no-op here)
        with Deduplicator(state=db) as own:
            return [r["status"] for r in own.add([dict(ITEM, id="c")])]

    pid = os.fork()
    if pid == 0:
        try:
            answer = str(after_the_parent_closed())
        except Exception as exc:  # noqa: BLE001 - written where the parent reads it
            answer = f"{type(exc).__name__}: {exc}"
        (tmp_path / "answer").write_text(answer)
        os._exit(0)
    os.close(read)
    dedup.close()
    os.write(write, b"x")
    os.close(write)
    os.waitpid(pid, 0)
    assert (tmp_path / "answer").read_text() == "['duplicate']"


# What `cleaner` runs with a memory limit reached where the batch is decided: MemoryError
# (`ulimit -v`, RLIMIT_AS, a container without swap: an allocation fails, where the OOM
# killer's SIGKILL was already "a worker process died (... out of memory?)").
_OUT_OF_MEMORY = """\
import sys
from cleaner.dedup import cluster
def add(self, doc):
    raise MemoryError()
cluster.Clusterer.add = add
from cleaner.cli import main
main(sys.argv[1:])
"""


def _without_memory(*args, stdin=""):
    return subprocess.run([sys.executable, "-c", _OUT_OF_MEMORY, *args], input=stdin.encode(),
                          capture_output=True, timeout=300)


def _lines(n):
    return "".join(json.dumps({"id": f"d{i}", "text": f"Story number {i} about the Karvell bridge reopening."}) + "\n"
                   for i in range(n))


@pytest.mark.parametrize("stream", [False, True])
def test_out_of_memory_is_one_line_not_a_traceback(tmp_path, stream):
    """A MemoryError while a run decided its documents (a memory limit: `ulimit -v 200000`
    reproduced it on the sample corpus) was Python's traceback, exit 1; a forked child's
    MemoryError (a state batch's helpers) came back to it as one. Now one line that says
    what happened and what to try, and nothing of the batch in the state."""
    db = tmp_path / "s.db"
    if stream:
        proc = _without_memory("run", "-", "--out", "-", "--state", str(db), "--workers", "1", stdin=_lines(3))
    else:
        (tmp_path / "in").mkdir()
        (tmp_path / "in" / "a.jsonl").write_text(_lines(3))
        proc = _without_memory("run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--state", str(db),
                               "--workers", "1", "-q")
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
    assert proc.returncode == 2, err
    (line,) = err.strip().splitlines()
    assert line.startswith("cleaner: error: out of memory"), line
    assert ("--resume continues" in line) != stream, line
    assert not (tmp_path / "out" / "documents.jsonl").exists()
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM docs").fetchone() == (0,)
    con.close()


def test_a_state_named_in_a_home_folder_with_a_trailing_slash_is_read_as_that_folder(tmp_path):
    """`--state=~/states/` and `state copy S '~/states/'` (the shell leaves a tilde after
    '=' or in quotes as it is; cleaner reads it as the home folder) said '~/states/ ends in
    '/' ... and there is no such folder' of a folder that exists: the trailing '/' was
    checked before the tilde was expanded. Now the folder is found, and said to be one."""
    home = tmp_path / "home"
    (home / "states").mkdir(parents=True)
    env = dict(os.environ, HOME=str(home))
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([ITEM]))
    for args in (["run", "-", "--out", "-", "--state=~/states/"], ["state", "copy", str(db), "~/states/"]):
        proc = subprocess.run([sys.executable, "-m", "cleaner", *args], input=json.dumps(ITEM).encode() + b"\n",
                              capture_output=True, timeout=300, env=env)
        err = proc.stderr.decode()
        assert proc.returncode == 2, err
        assert "no such folder" not in err and str(home / "states") in err, err
    assert list((home / "states").iterdir()) == []


def test_a_file_url_with_localhost_says_what_names_the_file(tmp_path):
    """`file://localhost/PATH` (RFC 8089's local host, as some tools write a file URL) said
    only 'does not exist' of a file that is there: fsspec reads it as 'localhost/PATH' in the
    current folder. Now it says which URL names it, as for `%20` and two slashes."""
    pytest.importorskip("fsspec")
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(ITEM) + "\n")
    proc = subprocess.run([sys.executable, "-m", "cleaner", "run", f"file://localhost{feed}", "--out",
                           str(tmp_path / "o")], capture_output=True, timeout=300, cwd=tmp_path)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "does not exist" in err and f"file://{feed}, without the host, names what exists" in err, err


def test_toml_text_given_as_config_is_named_as_such():
    """Deduplicator(config="[near]\\nthreshold = 0.5\\n") (the text of a TOML file, not its
    path) said "/current/folder/[near]\\nthreshold = 0.5\\n: (file): no such file": a
    message over three lines naming a file no one meant. Now one line saying what to pass."""
    with pytest.raises(ValueError, match=r"^config must be a path to a TOML file, got TOML text") as caught:
        Deduplicator(config="[near]\nthreshold = 0.5\n")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_text_dictionary_stored_as_text_is_a_damaged_state_not_a_traceback(tmp_path, workers):
    """A state whose meta row 'ztext en' (a language's text dictionary, bytes) holds text
    (changed by hand or by another program) failed the next batch packing an English text
    with TypeError's traceback ('string argument without an encoding'); with workers > 1
    every batch with an English document met it (session 23 reads the dictionaries before
    its children fork: Packer.preload). Now 'state ... is damaged' in one line, as for one
    that does not decompress."""
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([ITEM]))
    con = sqlite3.connect(db)
    assert con.execute("SELECT typeof(value) FROM meta WHERE key = 'ztext en'").fetchone() == ("blob",)
    con.execute("UPDATE meta SET value = 'garbage' WHERE key = 'ztext en'")
    con.commit()
    con.close()
    other = {"id": "b", "text": "The Belmira orchestra announced its winter season with three premieres.",
             "date": "2025-06-02"}
    proc = subprocess.run([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state", str(db),
                           "--workers", str(workers)], input=json.dumps(other).encode() + b"\n",
                          capture_output=True, timeout=300)
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
    assert proc.returncode == 2 and "is damaged" in err and "'ztext en'" in err, err


@needs_fork
@pytest.mark.parametrize("what", ["records", "events", "batch_events"])
def test_a_process_forked_while_another_thread_adds_is_refused_not_hung(tmp_path, what):
    """A child forked while another thread of the parent was adding a batch (a web server's
    thread pool, and multiprocessing's fork start) inherits the Deduplicator's lock held by a
    thread it does not have: `records`, `events` and `batch_events` waited for it for ever,
    before the one-line refusal a forked process gets (api.Deduplicator._open)."""
    import threading

    dedup = Deduplicator(state=tmp_path / "s.db")
    list(dedup.add([ITEM]))
    held, release = threading.Event(), threading.Event()

    def a_batch_being_added():  # holds the lock as _batch does
        with dedup._busy:
            held.set()
            release.wait()

    adder = threading.Thread(target=a_batch_being_added)
    adder.start()
    held.wait()
    try:
        def read():
            import signal

            signal.alarm(10)  # a hang reported, not waited for
            return getattr(dedup, what)

        pid, answer = _child(read)
        _, status = os.waitpid(pid, 0)
    finally:
        release.set()
        adder.join()
    assert os.WIFEXITED(status), f"the child hung (status {status})"
    assert "before a fork: a forked process cannot use it" in answer, answer
    dedup.close()
