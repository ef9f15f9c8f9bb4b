"""review-25b: defects found reviewing session 25's merged changes."""

import pytest

from cleaner.exec import forked
from cleaner.exec.local import WorkerError

from test_state20 import _trap_shared


@pytest.mark.parametrize("task", ["edges", "link"])
def test_a_child_forked_after_the_weights_were_forgotten_refuses_its_task(task, monkeypatch):
    """ForkedStories(forget=True) empties the weights list once the children are forked.
    A child the pool forks later (replacing one that died while idle: the OOM killer) sees
    the emptied list: its step 1 or step 2 task was an IndexError (a traceback from the
    main process's live_get) where the pool's children had it whole before. It is the
    worker death it follows, in one line (WorkerError)."""
    from cleaner.dedup.stories import InProcess, story_components

    cfg, (docs, weights, _) = _trap_shared()
    story = cfg["story"]
    shared = (docs, list(weights), story)
    left, right, sims = InProcess().edges(shared, len(docs))
    comps = list(story_components(len(docs), left, right, sims, story["threshold"], True))
    runner = forked.ForkedStories(2, edges=False, forget=True)
    runner._shared = shared  # as share() leaves it with a pool
    monkeypatch.setattr(forked, "_forgotten", False)  # put back after the test whatever happens
    monkeypatch.setattr(forked, "release_free_memory", lambda: None)
    runner._forget()
    assert shared[1] == []
    # What a child forked now inherits: the module's state in this process.
    monkeypatch.setattr(forked, "_given", shared)
    monkeypatch.setattr(forked, "_view", {})
    with pytest.raises(WorkerError, match="a worker process died"):
        if task == "edges":
            forked._edges(0, len(docs))
        else:
            forked._link(comps, [None] * len(comps), False)
    runner.release(shared)  # the next share starts with nothing forgotten
    monkeypatch.setattr(forked, "_given", (docs, list(weights), story))
    assert forked._link(comps, [None] * len(comps), False)


class _Client:
    def __init__(self, status: str):
        self.status = status


@pytest.mark.parametrize("status", ["running", "connecting"])
def test_a_full_disk_while_the_client_reconnects_is_not_a_lost_cluster(status):
    """dask_engine.cluster_errors turned any OSError met while the client was not "running"
    into "lost the Dask cluster": a full disk writing the checkpoint or the output during
    the client's reconnect (status "connecting", up to 20 s of a scheduler's blip) read as a
    lost connection, its cause ("No space left on device") gone. A file system's error
    passes through, for the CLI to say; a connection's still reads as a lost cluster."""
    import errno

    from cleaner.exec.dask_engine import DaskError, cluster_errors

    full = OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(OSError) as raised, cluster_errors(_Client(status), "tcp://10.0.0.1:8786"):
        raise full
    assert raised.value is full
    with pytest.raises(KeyboardInterrupt), cluster_errors(_Client("closed")):
        raise KeyboardInterrupt
    with pytest.raises(DaskError, match="lost the Dask cluster at tcp://10.0.0.1:8786"), \
            cluster_errors(_Client("connecting"), "tcp://10.0.0.1:8786"):
        raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")


def test_a_pool_whose_child_died_while_idle_ends_without_a_stall():
    """A forked pool's child killed while idle (no task lost, so no wait timed out and
    _check_workers never flagged it): the pool forks a replacement, and end_pool's
    unbounded terminate then waited for ever (5 runs in 6 of a story tier's pool at
    5df02ec, /tmp/s25/review-25b/repro4keep.py). A death end_pool sees bounds it."""
    import multiprocessing as mp
    import os
    import signal
    import threading
    import time

    from cleaner.exec.local import _pool_class, end_pool, watch

    if "fork" not in mp.get_all_start_methods():
        return
    pool = watch(_pool_class()(2, context=mp.get_context("fork")))
    assert pool.apply_async(abs, (-1,)).get(10) == 1
    victims = list(pool._pool)  # one of them waits for the next task holding the queue's read lock
    for victim in victims:
        os.kill(victim.pid, signal.SIGKILL)
        victim.join()
    deadline = time.monotonic() + 5
    while set(victims) & set(pool._pool) and time.monotonic() < deadline:  # the pool forks replacements
        time.sleep(0.05)
    time.sleep(0.3)
    ender = threading.Thread(target=end_pool, args=(pool,), daemon=True)
    ender.start()
    ender.join(15)
    alive = ender.is_alive()
    for process in pool._pool:  # whatever happened, nothing of the test's left running
        if process.exitcode is None:
            process.kill()
    assert not alive
