"""`--engine dask`'s start and its small runs (#17 point 6, BENCHMARKS.md "Branch
dask-start"): the LocalCluster cleaner starts forks its workers after setting the stages up
in the client, so the workers inherit what setup loaded; a user's cluster (--scheduler) is
left alone; a run of up to run.dask_bands_on_client_up_to documents groups the band keys on
the client, a larger one on the cluster, with the same candidates either way."""

import os
import sys

import pytest

from cleaner.core.config import ConfigError, config_from_dict, load_config
from cleaner.core.document import Document
from cleaner.core.stage import Stage

distributed = pytest.importorskip("distributed", reason="the dask extra (pip install 'cleaner[dask]'); CI installs it")

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")

SET_UP_IN: list[int] = []  # the processes in which Loaded.setup ran, in this module's copy


class Loaded(Stage):
    """A stage whose setup loads something module-wide, as the language profiles are."""

    name = "loaded"

    def setup(self) -> None:
        if os.getpid() not in SET_UP_IN:
            SET_UP_IN.append(os.getpid())

    def process(self, doc: Document) -> Document:
        return doc


def _seen_by_workers() -> list[int]:
    return list(SET_UP_IN)


@linux_only
def test_own_clusters_workers_are_forked_after_the_stages_are_set_up():
    """The client sets the stages up once, then the workers fork: each worker's copy of
    this module holds what the client's setup loaded (a spawned worker imports the module
    afresh and finds nothing), and Dask's own setting is changed only while it starts."""
    import dask

    from cleaner.exec.dask_engine import DaskExecutor

    SET_UP_IN.clear()
    executor = DaskExecutor(workers=1, warm=[Loaded()])
    try:
        assert SET_UP_IN == [os.getpid()]
        assert list(executor.client.run(_seen_by_workers).values()) == [[os.getpid()]]
    finally:
        executor.close()
    assert dask.config.get("distributed.worker.multiprocessing-method") == "spawn"


def test_a_users_cluster_is_not_warmed_here():
    """--scheduler: no worker forks from here, so the client does not set the stages up for them."""
    from cleaner.exec.dask_engine import DaskExecutor

    SET_UP_IN.clear()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as users:
        executor = DaskExecutor(scheduler=users.scheduler_address, warm=[Loaded()])
        executor.close()
    assert SET_UP_IN == []


class _Client:
    """Stands for the cluster: counts what is submitted to it."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        raise AssertionError("the cluster path is taken (stopped at its first task)")


def _executor(client):
    from cleaner.exec.dask_engine import DaskExecutor

    executor = object.__new__(DaskExecutor)  # no cluster: only near_candidates is called
    executor.client, executor.scheduler, executor.workers = client, None, 2
    executor._live_workers = lambda: 2
    return executor


def _docs(n: int) -> list[Document]:
    import numpy as np

    from cleaner.core.features import Features

    rng = np.random.default_rng(5)
    base = rng.integers(0, 2**32, size=128, dtype=np.uint64).astype(np.uint32)
    docs = []
    for i in range(n):
        sig = base.copy() if i % 2 else rng.integers(0, 2**32, size=128, dtype=np.uint64).astype(np.uint32)
        doc = Document(id=f"d{i}", source="s", text="")
        doc.features = Features.__new__(Features)
        doc.features.near_mh = sig
        docs.append(doc)
    return docs


def test_band_keys_are_grouped_on_the_client_up_to_the_configured_size():
    """run.dask_bands_on_client_up_to: at or below it, no task goes to the cluster and the
    groups are local_candidates' (the copies, odd positions, in one group); above it, the
    group-by is submitted to the cluster."""
    from cleaner.exec.dask_bands import local_candidates

    docs = _docs(6)
    client = _Client()
    cfg = config_from_dict({"run": {"dask_bands_on_client_up_to": 6}})
    index = _executor(client).near_candidates(docs, cfg, store=None)
    assert client.submitted == 0
    copies = [d for i, d in enumerate(docs) if i % 2]
    assert index.probe(copies[0]) == index.probe(copies[-1]) != []
    assert index.probe(docs[0]) == []
    assert [index.probe(d) for d in docs] == [local_candidates(docs, cfg).probe(d) for d in docs]

    for limit in (5, 0):  # one document more than the limit; 0: always on the cluster
        client = _Client()
        with pytest.raises(AssertionError, match="cluster path"):
            _executor(client).near_candidates(docs, config_from_dict({"run": {"dask_bands_on_client_up_to": limit}}),
                                              store=None)
        assert client.submitted == 1


def test_the_limit_is_a_validated_setting(tmp_path):
    assert load_config()["run"]["dask_bands_on_client_up_to"] == 0  # #17 point 3: the cluster by default
    config = tmp_path / "c.toml"
    config.write_text("[run]\ndask_bands_on_client_up_to = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="dask_bands_on_client_up_to"):
        load_config(config)


def _sigint_blocked() -> bool:
    import signal

    return signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])


@pytest.mark.skipif(not hasattr(__import__("signal"), "pthread_sigmask"), reason="no signal masks here")
def test_own_clusters_workers_leave_ctrl_c_to_the_client():
    """Ctrl-C reaches the whole process group: the workers hold it (they printed a
    KeyboardInterrupt traceback each), the client does not (it stops the run)."""
    from cleaner.exec.dask_engine import DaskExecutor

    executor = DaskExecutor(workers=1)
    try:
        assert list(executor.client.run(_sigint_blocked).values()) == [True]
        assert not _sigint_blocked()
    finally:
        executor.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc, process groups")
def test_ctrl_c_to_the_process_group_is_one_line(tmp_path):
    """A terminal's Ctrl-C mid-run (SIGINT to the run's process group, workers included):
    exit 130, one line on stderr, no worker left behind."""
    import json
    import signal
    import subprocess
    import time

    from test_dask_engine import _workers_of

    feed = tmp_path / "feed.jsonl"
    # 30,000 lines, of which the run reaches a few hundred before the Ctrl-C: with 3,000, a
    # loaded machine's run sometimes ended (exit 0, nothing on stderr, -q) before this test,
    # polling, sent its SIGINT (review-26 saw it 3 times in full suites at load 6-10).
    with feed.open("w", encoding="utf-8") as fh:
        for i in range(30000):
            fh.write(json.dumps({"id": f"n{i:04d}", "text": f"Council item {i} for ward {i % 13} was read out "
                                 f"again as residents waited for the vote on the budget, {i}."}) + "\n")
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", str(feed), "--out", str(tmp_path / "out"),
                             "--engine", "dask", "--workers", "2", "-q"], stderr=subprocess.PIPE,
                            start_new_session=True)
    workers: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _workers_of(proc.pid)
        if len(workers) == 2 and any(p.stat().st_size for p in (tmp_path / "out").rglob("*.spool")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    lines = err.decode().strip().splitlines()
    assert proc.returncode == 130, err
    assert len(lines) == 1 and lines[0].startswith("cleaner: interrupted"), lines
    time.sleep(1)
    assert [w for w in workers if os.path.exists(f"/proc/{w}")] == []


def test_own_clusters_scheduler_hooks_no_gc_callback_into_the_client():
    """The scheduler of cleaner's own cluster runs in the client and hooked Dask's GC
    diagnosis into every collection here: a Ctrl-C handled inside it was "Exception ignored"
    (a traceback, and the run went on to exit 0)."""
    import gc

    from cleaner.exec.dask_engine import DaskExecutor

    before = list(gc.callbacks)
    executor = DaskExecutor(workers=1)
    try:
        assert [cb for cb in gc.callbacks if cb not in before] == []
    finally:
        executor.close()
    assert gc.callbacks == before
