"""#17 point 4: faults in the cluster jobs. A worker killed in the middle of the band
group-by (exec/dask_bands.py), of the templates job (exec/dask_corpus.py) or of the story
tier's edges or components (exec/dask_stories.py): Dask runs
its tasks again, recomputing what the dead worker held, and documents.jsonl and
records.jsonl stay byte-identical to the local engine's. A scheduler lost mid-run: one
line on stderr.

The fault is injected at a fixed point, not by timing: a worker preload (Dask's own hook,
set through its DASK_* environment configuration, which the CLI's LocalCluster workers
inherit) replaces one of the job's task functions on the worker. The first call anywhere
on the cluster claims a marker file and SIGKILLs its own process (or the scheduler); every
later call, the retry included, runs the real function. Loopback only, no network."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from procs import stop
from test_dask_engine import footer_feed
from test_dask_stories import story_feed

pytest.importorskip("distributed", reason="the dask extra (pip install 'cleaner[dask]'); CI installs it")

OUTPUTS = ("documents.jsonl", "records.jsonl")

# Written into each test's folder and named by DASK_DISTRIBUTED__WORKER__PRELOAD.
PRELOAD = '''
import importlib, os, signal

_module_name, _name = os.environ["FAULT_TARGET"].rsplit(".", 1)
_module = importlib.import_module(_module_name)
# A worker may run its preloads more than once (from the configuration and from its
# nanny's arguments), into the same module: wrap the real function, never a wrapper.
_real = getattr(_module, _name)
_real = getattr(_real, "__wrapped__", _real)


def _faulty(*args, **kwargs):
    try:
        fd = os.open(os.environ["FAULT_MARK"], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:  # the fault has happened: this is the retry, or another task
        return _real(*args, **kwargs)
    victim = int(os.environ.get("FAULT_VICTIM") or os.getpid())
    os.write(fd, str(victim).encode())
    os.close(fd)
    os.kill(victim, signal.SIGKILL)
    return _real(*args, **kwargs)


# Tasks name their function by module and name: a worker unpickling one finds this.
_faulty.__wrapped__ = _real
setattr(_module, _name, _faulty)
'''


def _feed(path):
    return footer_feed(path, 240, prefix="f")


def _cli(args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "cleaner", "run", *args], capture_output=True, timeout=timeout,
                          env=env)


def _fault_env(tmp_path, target: str, victim: int | None = None) -> dict:
    preload = tmp_path / "fault_preload.py"
    preload.write_text(PRELOAD, encoding="utf-8")
    env = dict(os.environ, FAULT_TARGET=target, FAULT_MARK=str(tmp_path / "fault.mark"),
               DASK_DISTRIBUTED__WORKER__PRELOAD=json.dumps([str(preload)]))
    if victim is not None:
        env["FAULT_VICTIM"] = str(victim)
    return env


def _gone(pid: int, wait: float = 10.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":  # killed, not yet reaped
                    return True
        except OSError:
            return True
        time.sleep(0.1)
    return False


def _local(tmp, feed):
    """`feed` through the local engine: the bytes every faulty run must give."""
    proc = _cli([str(feed), "--out", str(tmp / "out"), "--workers", "2", "-q"])
    assert proc.returncode == 0, proc.stderr
    return feed, tmp / "out"


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The feed through the local engine, once."""
    tmp = tmp_path_factory.mktemp("faults-local")
    feed, _ = _local(tmp, _feed(tmp / "feed.jsonl"))
    assert b"template.repeated-line" in (tmp / "out" / "documents.jsonl").read_bytes()
    assert any(json.loads(line)["status"] == "duplicate"
               for line in (tmp / "out" / "documents.jsonl").read_text(encoding="utf-8").splitlines())
    return feed, tmp / "out"


@pytest.mark.parametrize("target", [
    "cleaner.exec.dask_bands._emit",          # the group-by's map: signatures read, keys sent
    "cleaner.exec.dask_bands._group",         # its reduce: the dead worker's map outputs recomputed
    "cleaner.exec.dask_corpus._observe",      # templates: per-slice counts and (key, source, doc) rows
    "cleaner.exec.dask_corpus._decide_part",  # templates: one partition's candidate lines
])
def test_a_worker_killed_in_a_cluster_job_changes_nothing(tmp_path, local_run, target):
    _killed_run_matches(tmp_path, *local_run, target)


@pytest.fixture(scope="module")
def story_run(tmp_path_factory):
    """The story feed through the local engine, once: story links to compute on the cluster."""
    tmp = tmp_path_factory.mktemp("faults-stories")
    found = _local(tmp, story_feed(tmp / "feed.jsonl"))
    assert b'"story"' in (tmp / "out" / "records.jsonl").read_bytes()
    return found


@pytest.mark.parametrize("target", [
    "cleaner.exec.dask_stories._edges",  # a slice of rows' story edges
    "cleaner.exec.dask_stories._link",   # a run of components clustered
])
def test_a_worker_killed_in_the_story_job_changes_nothing(tmp_path, story_run, target):
    """The broadcast canonicals are on both workers: the dead worker's task runs again on
    the other (or on its restarted self, which fetches them), and the bytes stay local's."""
    _killed_run_matches(tmp_path, *story_run, target)


def _bands_on_cluster(tmp_path) -> list[str]:
    """--config for a run whose band group-by runs on the cluster whatever its size (small
    runs group the band keys on the client: run.dask_bands_on_client_up_to)."""
    config = tmp_path / "bands-on-cluster.toml"
    config.write_text("[run]\ndask_bands_on_client_up_to = 0\n", encoding="utf-8")
    return ["--config", str(config)]


def _killed_run_matches(tmp_path, feed, expected, target: str) -> None:
    """A dask run of `feed` whose first call of `target` kills its worker: the bytes of `expected`."""
    proc = _cli([str(feed), "--out", str(tmp_path / "dask"), "--engine", "dask", "--workers", "2", "-q",
                 *_bands_on_cluster(tmp_path)], env=_fault_env(tmp_path, target))
    assert proc.returncode == 0, proc.stderr
    mark = tmp_path / "fault.mark"
    assert mark.exists(), f"{target} never ran on the cluster: the fault was not injected"
    assert _gone(int(mark.read_text())), "the worker was not killed"
    for name in OUTPUTS:
        assert (tmp_path / "dask" / name).read_bytes() == (expected / name).read_bytes(), name
    assert b"Traceback" not in proc.stderr


def test_a_lost_scheduler_is_one_line(tmp_path):
    """--scheduler: the scheduler killed during the band group-by; the run stops with one
    line on stderr and keeps its checkpoint for --resume."""
    feed = _feed(tmp_path / "feed.jsonl")
    started: list[subprocess.Popen] = []
    try:
        sched_file = tmp_path / "scheduler.json"
        started.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(sched_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        scheduler = started[0]
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline and scheduler.poll() is None:
            time.sleep(0.1)
        assert sched_file.exists(), "the scheduler did not start"
        time.sleep(0.2)  # written, then read: let the writer finish
        address = json.loads(sched_file.read_text())["address"]
        env = _fault_env(tmp_path, "cleaner.exec.dask_bands._group", victim=scheduler.pid)
        started.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "2", "--nthreads", "1",
             "--host", "127.0.0.1", "--no-dashboard", "--preload", str(tmp_path / "fault_preload.py")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        # Both workers in before the run: on a loaded machine the run must not find the
        # scheduler still busy with their start (its connect timeout is 10 s).
        import distributed

        with distributed.Client(address, timeout=120) as client:
            client.wait_for_workers(2, timeout=120)
        out = tmp_path / "dask"
        proc = _cli([str(feed), "--out", str(out), "--engine", "dask", "--scheduler", address, "-q",
                     *_bands_on_cluster(tmp_path)], env=env, timeout=180)
        err = proc.stderr.decode().strip()
        assert (tmp_path / "fault.mark").exists(), f"the group-by never ran, the scheduler was not killed there: {err}"
        assert proc.returncode == 2, err
        assert len(err.splitlines()) == 1 and "lost the Dask cluster" in err, err
        assert "fewer --workers" not in err and "scheduler is running" in err, err
        assert not (out / "documents.jsonl").exists()
        assert (out / ".cleaner-partial").is_dir()  # --resume continues from what finished
    finally:
        stop(started)

