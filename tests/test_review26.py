"""review-26: a Dask cluster's workers running another cleaner than the client (the handshake,
exec/dask_engine.same_cleaner), and the small defects session 25 left alone."""

import json
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

from cleaner.core.provenance import code_stamp, stamp_difference

from test_dask_engine import footer_feed
from procs import stop
from test_review25 import small_state  # noqa: F401 - a fixture

OTHER_FILES = "0.1.0 (files 000000000000)"

# A worker preload (Dask's own hook): this worker's cleaner says other files, as an edited or
# upgraded cleaner on that machine would. Or (CLEANER_TEST_OLD) it has no own_stamp at all, as a
# cleaner older than the handshake.
PRELOAD = '''
import os

if os.environ.get("CLEANER_TEST_OLD"):
    from cleaner.exec import dask_engine

    if hasattr(dask_engine, "own_stamp"):  # a preload may run twice in one worker
        del dask_engine.own_stamp
else:
    from cleaner.core import provenance

    _real = getattr(provenance.code_stamp, "__wrapped__", provenance.code_stamp)


    def _other(*args, **kwargs):
        stamp = _real(*args, **kwargs)
        stamp["cleaner"] = "%s"
        return stamp


    _other.__wrapped__ = _real
    provenance.code_stamp = _other
''' % OTHER_FILES


@contextmanager
def _scheduler(tmp_path):
    """A scheduler on loopback, and a function starting a worker for it (with the preload
    when `other`); yields (address, start_worker). Everything started is stopped after."""
    started: list[subprocess.Popen] = []
    sched_file = tmp_path / "scheduler.json"
    preload = tmp_path / "other_cleaner.py"
    preload.write_text(PRELOAD, encoding="utf-8")
    try:
        started.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(sched_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline and started[0].poll() is None:
            time.sleep(0.1)
        assert sched_file.exists(), "the scheduler did not start"
        time.sleep(0.2)  # written, then read: let the writer finish
        address = json.loads(sched_file.read_text())["address"]

        def start_worker(other: bool = False, old: bool = False) -> None:
            import os

            env = dict(os.environ, CLEANER_TEST_OLD="1" if old else "")
            started.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
                 "--host", "127.0.0.1", "--no-dashboard", *(["--preload", str(preload)] if other or old else [])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))

        yield address, start_worker
    finally:
        stop(started)


def _wait_for(address, n):
    import distributed

    with distributed.Client(address, timeout=120) as client:
        client.wait_for_workers(n, timeout=120)


def _run(feed, out, address):
    return subprocess.run([sys.executable, "-m", "cleaner", "run", str(feed), "--out", str(out), "--engine", "dask",
                           "--scheduler", address, "-q"], capture_output=True, timeout=180)


def test_stamp_difference_names_the_part():
    mine = code_stamp()
    assert stamp_difference(dict(mine), mine) is None
    assert stamp_difference({**mine, "Python": "3.99"}, mine) == f"Python 3.99, this client Python {mine['Python']}"
    theirs = {name: value for name, value in mine.items() if name != "numpy"}
    assert stamp_difference(theirs, mine) == f"numpy not installed, this client numpy {mine['numpy']}"


def test_a_worker_running_another_cleaner_is_refused_at_connect(tmp_path):
    """One worker of two runs another cleaner: the run refuses in one line naming the worker
    and both stamps, exit 2, nothing written. With the same cleaner everywhere it runs."""
    pytest.importorskip("distributed")
    feed = footer_feed(tmp_path / "feed.jsonl", 40)
    with _scheduler(tmp_path) as (address, start_worker):
        start_worker()
        _wait_for(address, 1)
        good = _run(feed, tmp_path / "good", address)
        assert good.returncode == 0, good.stderr.decode()
        start_worker(other=True)
        _wait_for(address, 2)
        proc = _run(feed, tmp_path / "out", address)
        err = proc.stderr.decode().strip()
        assert proc.returncode == 2, err
        assert len(err.splitlines()) == 1, err
        mine = code_stamp()["cleaner"]
        assert f"runs cleaner {OTHER_FILES}, this client cleaner {mine}" in err, err
        assert "error: worker tcp://127.0.0.1:" in err, err
        assert not (tmp_path / "out").exists()


def test_a_worker_without_the_handshake_is_refused(tmp_path):
    """A worker whose cleaner is older than the handshake (no own_stamp): refused, not taken
    as the same."""
    pytest.importorskip("distributed")
    feed = footer_feed(tmp_path / "feed.jsonl", 10)
    with _scheduler(tmp_path) as (address, start_worker):
        start_worker(old=True)
        _wait_for(address, 1)
        proc = _run(feed, tmp_path / "out", address)
        err = proc.stderr.decode().strip()
        assert proc.returncode == 2, err
        assert len(err.splitlines()) == 1 and "cannot tell which cleaner it runs" in err, err
        assert not (tmp_path / "out").exists()


def test_a_worker_joining_later_is_refused_before_its_step(tmp_path):
    """A worker of another cleaner joins after the client connected: the next step (here the
    per-document map) checks it before submitting."""
    pytest.importorskip("distributed")
    from cleaner.exec.dask_engine import DaskExecutor, OtherCleaner
    from cleaner.input.read import read_input
    from cleaner.core.config import load_config
    from cleaner.stages.build import build_stages

    feed = footer_feed(tmp_path / "feed.jsonl", 10)
    cfg = load_config(None)
    with _scheduler(tmp_path) as (address, start_worker):
        start_worker()
        _wait_for(address, 1)
        executor = DaskExecutor(scheduler=address)
        try:
            start_worker(other=True)
            _wait_for(address, 2)
            with pytest.raises(OtherCleaner, match=f"runs cleaner {OTHER_FILES.replace('(', '.').replace(')', '.')}"):
                list(executor.map(read_input(feed, cfg), build_stages(cfg).mapped()))
        finally:
            executor.close()


def test_a_chunk_on_a_worker_of_another_cleaner_is_refused():
    """A worker that joins during a step takes a chunk before any check: the chunk refuses
    itself before a document is stored (the job carries the client's stamp)."""
    pytest.importorskip("distributed")
    from cleaner.exec.dask_engine import OtherCleaner, _process_chunk

    theirs = {**code_stamp(), "cleaner": OTHER_FILES}
    with pytest.raises(OtherCleaner, match=r"runs cleaner .*, this client cleaner 0\.1\.0 \(files 000000000000\)"):
        _process_chunk(("review26-other", [], None, False, theirs), [])


# --- the small defects session 25 left alone ---------------------------------------------

@pytest.mark.parametrize("length", [252, 255])
def test_a_state_renamed_to_a_name_too_long_for_its_wal_says_so(tmp_path, small_state, length):
    """A state renamed (mv, not `state copy`, which refuses the name) to 252-255 bytes:
    SQLite cannot make its NAME-wal beside it, and `state info` said it 'is not a cleaner
    state (unable to open database file)', as of a user's feed. Now: the name is too long,
    rename it."""
    from test_state import run_cli

    name = "s" * (length - 3) + ".db"
    small_state.rename(tmp_path / name)
    proc = run_cli("state", "info", name, cwd=tmp_path)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1, err
    assert "not a cleaner state" not in err and "name is too long" in err and "250 bytes or fewer" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db.lock", name]  # nothing made beside it


def test_state_copy_s_temporary_name_is_its_thread_s_own(tmp_path, small_state, monkeypatch):
    """`state copy` to a long name (no room for the temporary name after the copy's own)
    used `.cleaner-copy-PID`: two threads of one process copying into one folder wrote into
    one temporary file. Each thread's own now."""
    import sqlite3
    import threading

    from cleaner.store import state as state_module
    from cleaner.store.state import State

    seen: list[str] = []
    connect = sqlite3.connect

    def recording(path, *args, **kwargs):
        if "cleaner-copy" in str(path):
            seen.append(str(path))
        return connect(path, *args, **kwargs)

    monkeypatch.setattr(state_module.sqlite3, "connect", recording)

    def copy(name):
        st = State(str(small_state), writer=False)
        try:
            st.copy_to(tmp_path / name)
        finally:
            st.close()

    for name in ("x" * 240, "y" * 240):
        thread = threading.Thread(target=copy, args=(name,))
        thread.start()
        thread.join()
    assert len(seen) == 2 and seen[0] != seen[1], seen
    assert (tmp_path / ("x" * 240)).is_file() and (tmp_path / ("y" * 240)).is_file()


@pytest.mark.parametrize("value, day", [
    ("2025-12-20T24:00", "2025-12-21"), ("2025-12-31T24:00:00Z", "2026-01-01"),
    ("2024-02-28T24:00:00.000+01:00", "2024-02-29"), ("20251220T2400", "2025-12-21"),
    ("2025-12-20 24:00", "2025-12-21"), ("2025-12-20 24:00.", "2025-12-21"),
    # Not the end of the day: kept as written.
    ("2025-12-20T23:59:59", "2025-12-20"), ("2025-12-20T00:00", "2025-12-20"), ("2025-12-20T24:30", "2025-12-20"),
    ("2025-12-20 2400 residents", "2025-12-20"), ("2025-12-20T240", "2025-12-20"), ("9999-12-31T24:00", None),
])
def test_an_iso_time_of_24_00_is_the_next_day_s_start(value, day):
    """ISO 8601's 24:00 is the end of the day written, the next day's 00:00: the date was the
    day written (review-25)."""
    from cleaner.core.dates import normalise_date

    assert normalise_date(value) == day


def test_a_scheduler_port_out_of_range_is_said_at_once(tmp_path):
    """--scheduler tcp://localhost:99999 waited for distributed's 10 s connect timeout, then
    said it timed out: the port is not one."""
    pytest.importorskip("distributed")
    feed = footer_feed(tmp_path / "feed.jsonl", 2)
    for address, said in (("tcp://localhost:99999", "99999 is not a port number (1 to 65535)"),
                          ("tcp://127.0.0.1:0", "0 is not a port number"), ("localhost:8x", "'8x' is not a number")):
        proc = _run(feed, tmp_path / "out", address)
        err = proc.stderr.decode().strip()
        assert proc.returncode == 2 and len(err.splitlines()) == 1, err
        assert f"cannot reach the Dask scheduler at {address}: its port {said}" in err, err
        assert not (tmp_path / "out").exists()


def test_quiet_and_verbose_together_are_refused(tmp_path):
    """`-q -v` ran as -q without a word."""
    from test_state import run_cli

    feed = footer_feed(tmp_path / "feed.jsonl", 2)
    proc = run_cli("run", str(feed), "--out", str(tmp_path / "out"), "-q", "-v")
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and err == "cleaner: error: -q and -v ask for less and more on stderr: give one of them"
    assert not (tmp_path / "out").exists()


def test_a_worker_that_left_before_answering_is_not_a_refusal():
    """A worker the scheduler listed, gone before the handshake reached it (scaled down,
    died): its error is no answer about its cleaner, and it takes no task."""
    pytest.importorskip("distributed")
    from cleaner.exec.dask_engine import OtherCleaner, own_stamp, same_cleaner

    class Client:
        present = {"tcp://127.0.0.1:2": {}, "tcp://127.0.0.1:3": {}}

        def run(self, function, workers=None, on_error="raise"):
            assert on_error == "return"
            return {"tcp://127.0.0.1:1": OSError("Timed out trying to connect to tcp://127.0.0.1:1 after 30 s"),
                    "tcp://127.0.0.1:2": function(), "tcp://127.0.0.1:3": function()}

        def scheduler_info(self):
            return {"workers": self.present}

    assert same_cleaner(Client()) == {"tcp://127.0.0.1:2", "tcp://127.0.0.1:3"}
    still = Client()
    still.present = {**Client.present, "tcp://127.0.0.1:1": {}}
    with pytest.raises(OtherCleaner, match="worker tcp://127.0.0.1:1 cannot tell which cleaner it runs"):
        same_cleaner(still)
    assert own_stamp() == own_stamp()
