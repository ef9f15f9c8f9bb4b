"""Closing an executor while the run goes on: a LocalCluster's shutdown (the client, the
nannies and their worker processes, the scheduler) takes 1-2 s of mostly waiting, which
can overlap the writing of the outputs instead of preceding it.

The run joins it before it ends: no process outlives the run, and a failure to close is
reported then, in one line (`join` returns it).
"""

from __future__ import annotations

import threading

from cleaner.core.protocols import Executor


def one_line(exc: BaseException) -> str:
    """An exception as one line: its message's first line (Dask's run over several), or its
    type's name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Closing:
    """`executor.close()` in a thread of its own, started here; at once, in this thread,
    for an executor that says its close is instant (`closes_at_once`: the local one, whose
    pool ended with its map): no thread is then running while the outputs are written, so
    the report can be written by a forked child (store/output._Aside forks only then)."""

    def __init__(self, executor: Executor) -> None:
        self._error: BaseException | None = None
        self._executor = executor
        self._thread: threading.Thread | None = None
        if executor.closes_at_once:
            self._close()
            return
        # Not a daemon: should the run end without joining (an error while writing), the
        # interpreter still waits for the cluster to close before it exits.
        self._thread = threading.Thread(target=self._close, name="cleaner-close-executor")
        self._thread.start()

    def _close(self) -> None:
        try:
            self._executor.close()
        except BaseException as exc:  # noqa: BLE001 - reported by join(), in the main thread
            self._error = exc

    def join(self) -> str | None:
        """Wait for the close to finish; what went wrong, in one line, or None."""
        if self._thread is not None:
            self._thread.join()
        return None if self._error is None else one_line(self._error)
