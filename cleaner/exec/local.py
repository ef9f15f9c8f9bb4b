"""The local executor: per-document stages over a stream, in this process or in worker
processes on this machine. It knows nothing of what the stages do or where documents are
stored: the flow (exec/flow.py) hands it stages and a `finish` step.

An executor (core/protocols.Executor) maps stages over documents, in input order, and
yields each result with the time each stage took. Another engine implements the same `map`.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator

from cleaner.core.document import Document
from cleaner.core.stage import Stage, safe_process_batch

if TYPE_CHECKING:
    from cleaner.core.config import Config
    from cleaner.core.protocols import CandidateIndex, DocStore

MAX_WORKERS = 256  # run.workers' range, and --workers'
CORES_FACTOR = 4  # per-document stages are CPU-bound: more processes than this only cost memory
Finish = Callable[[Document], object]


class WorkerError(Exception):
    """The worker processes could not be started (the system refused to fork), or one died
    during the run."""

    hint = "try fewer --workers"  # what the CLI suggests after the message


def worker_limit() -> int:
    return min(MAX_WORKERS, CORES_FACTOR * (os.cpu_count() or 1))


def resolve_workers(requested: int) -> int:
    """The number of processes to run: 0 is one per core; at most a few per core."""
    return min(requested if requested > 0 else (os.cpu_count() or 1), worker_limit())


def process_one(doc: Document, stages: list[Stage], clock: Callable[[], float] = time.perf_counter
                ) -> tuple[Document, dict[str, float]]:
    """All per-document stages on one document, with the time each took."""
    return process_batch([doc], stages, clock)[0]


# Documents run a stage at a time: each stage over a batch, then the next stage. A stage's
# code and tables (rules, langdetect's rows and word cache, the word-character table) stay
# in the CPU's caches over the batch instead of being evicted by the other stages at every
# document: on the lingua documents, one process, alternated, load ~8.7, 1,981 -> 1,713 µs
# a document with 8, 1,425 with 100 (BENCHMARKS.md, "Branch cpu-19"). Each document sees
# the same calls in the same order, so the same results. A batch is also what a worker is
# handed at a time (one pool task), and each task costs the main process ~1.5 ms whatever
# its size (the pool's threads waking, pipes): with 8, ~375 tasks at 3,000 documents took
# ~0.9 s of the main process's CPU while the workers ran, taken from the workers' cores;
# with 64, ~0.4 s, and ~1 s less CPU in all (BENCHMARKS.md, "Branch serial-18"). A worker
# left idle at the end waits at most one batch (~0.1 s at ~2 ms a document).
BATCH = 64


def process_batch(docs: list[Document], stages: list[Stage], clock: Callable[[], float] = time.perf_counter
                  ) -> list[tuple[Document, dict[str, float]]]:
    """process_one over each document, a stage at a time (BATCH), each stage given the whole
    batch (`safe_process_batch`: a stage may do its work for many documents at once): the
    documents with the time each stage took on each, in order (a stage's time over the batch
    shared equally by the documents it processed). A document that is no longer ok skips the
    stages left."""
    docs = list(docs)
    timings: list[dict[str, float]] = [{} for _ in docs]
    for stage in stages:
        todo = [k for k, doc in enumerate(docs) if doc.ok]
        if not todo:
            break
        start = clock()
        docs = safe_process_batch(stage, docs)
        share = (clock() - start) / len(todo)
        for k in todo:
            timings[k][stage.name] = share
    return list(zip(docs, timings))


def process_finished(docs: list[Document], stages: list[Stage], clock: Callable[[], float],
                     finish: Finish | None) -> list[tuple[object, dict[str, float]]]:
    """process_batch, each document then handed to `finish` (stored where it ran) if given:
    what every executor's worker (a pool's, the loop, a Dask task) does with a batch."""
    return [((finish(doc) if finish else doc), spent) for doc, spent in process_batch(docs, stages, clock)]


def batches(docs: Iterable[Document], size: int = BATCH) -> Iterator[list[Document]]:
    """The documents in lists of `size`, in order (the last one shorter)."""
    it = iter(docs)
    while batch := list(islice(it, size)):
        yield batch


# The last documents of a stream go to the workers in smaller batches: with BATCH-sized
# ones to the end, one worker could finish its last batch while another had just begun
# one, and wait idle for it (0.05-0.09 s of a 3,000-document run's wall on 2 workers,
# BENCHMARKS.md "par-18g", "serial-18i"). The documents of the last `workers` batches
# are cut into `TAIL_SPLIT` times as many, so the workers end within a small batch of
# each other. Which batch a document is in changes no result (one worker or several
# give the same rows).
TAIL_SPLIT = 4


def pool_batches(docs: Iterable[Document], workers: int, size: int = BATCH) -> Iterator[list[Document]]:
    """batches(docs, size) for a pool of `workers`, the tail cut finer (TAIL_SPLIT): the
    same documents, in order. Reads `workers` batches ahead of what it yields."""
    ahead: deque[list[Document]] = deque()
    for batch in batches(docs, size):
        ahead.append(batch)
        if len(ahead) > workers:
            yield ahead.popleft()
    rest = [doc for batch in ahead for doc in batch]
    step = max(1, -(-len(rest) // (workers * TAIL_SPLIT)))
    for start in range(0, len(rest), step):
        yield rest[start:start + step]


@dataclass
class _Worker:
    """What each worker process is given once, at its start (Pool initargs)."""

    stages: list[Stage]
    finish: Finish | None
    parent: int
    cpu_time: bool

    def __call__(self, docs: list[Document]) -> list[tuple[object, dict[str, float]]]:
        if os.getppid() != self.parent:  # orphaned (where prctl is missing): stop quietly
            os._exit(0)
        return process_finished(docs, self.stages, time.process_time if self.cpu_time else time.perf_counter,
                                self.finish)


_worker: _Worker | None = None  # this worker process's, set once by _init_worker


def _init_worker(worker: _Worker) -> None:
    global _worker
    _worker = worker
    for stage in worker.stages:  # a no-op after fork, where the parent already did it
        stage.setup()
    # Ctrl-C reaches every process of the terminal's group: the main process alone
    # handles it (one line, a checkpoint), then stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The main process's SIGTERM handler (cli.main) came with the fork: a worker stopped
    # by the pool dies as before, without a traceback.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _unhold(_HELD)  # born with both held (LocalExecutor.map): a pending one acts only now
    _die_with_parent(worker.parent)


# Ctrl-C and SIGTERM are held back while the pool forks. Arriving mid-fork, a
# KeyboardInterrupt was raised inside the fork's own handlers (logging releases its lock
# after a fork, in both processes) or in a child before _init_worker had set its handlers:
# a lock stayed held or a child died half-started, and the run hung instead of stopping
# (CI, test_ctrl_c_while_starting_is_one_line_too). The children start with both held and
# take them once their handlers are set; the main process takes them once the pool exists,
# inside `with pool`, which tears the pool down.
_HELD = {signal.SIGINT, signal.SIGTERM}
Mask = set[int | signal.Signals]  # what pthread_sigmask returns


def _hold(signals: set[signal.Signals]) -> Mask | None:
    """Block `signals` in this thread; the mask before, to restore (None: no masks here)."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, signals)


def _unhold(signals: set[signal.Signals]) -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)


def _restore(mask: Mask | None) -> None:
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _die_with_parent(parent: int, signum: signal.Signals = signal.SIGTERM) -> None:
    """Linux: end (`signum`; SIGTERM, silently) when the main process dies, even by SIGKILL,
    instead of living on as an orphan that prints tracebacks once its pipes are gone."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signum)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: _Worker checks the parent instead
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(0)


def _work(docs: list[Document]) -> list[tuple[object, dict[str, float]]]:
    assert _worker is not None
    return _worker(docs)


@functools.cache  # one class, whatever the pools made
def _pool_class() -> type:
    """multiprocessing's Pool whose worker handler thread wakes only when a worker process
    ends or the pool's state changes (close, terminate, its last task answered). CPython's
    also wakes whenever a result is waiting in the pool's pipe, and does not read it: while
    the result thread reads (or waits for the GIL) it loops, checking its workers and
    polling again (on the reference documents, 2 workers: ~0.1-0.17 CPU s of the main
    process, beside ~0.1 s for all the pool's real work, taken from the workers' cores; far
    more under SCHED_FIFO: BENCHMARKS.md, thru-20). A worker that dies still wakes it (its
    process's sentinel), so the pool replaces it as before and `watch` sees the death."""
    from multiprocessing.pool import Pool

    class QuietPool(Pool):
        def _get_sentinels(self) -> list[Any]:
            return [self._change_notifier._reader]  # type: ignore[attr-defined]  # Pool's own

    return QuietPool


# How often a pool's results are checked for a dead worker: a worker killed (the OOM
# killer, SIGKILL) takes its task with it, and Pool.imap then waits for ever.
LIVENESS_SECONDS = 1.0


def watch(pool: Any) -> Any:
    """`pool`, its processes remembered from its start, so that `live_get` and
    `_while_workers_live` notice a death: Pool swaps a dead process for a new one in its
    `_pool` within 0.1 s, and the lost task is never answered."""
    pool._cleaner_seen = list(pool._pool)
    return pool


def _check_workers(pool: Any) -> None:
    """A WorkerError if any process `pool` has had died: workers end only with their pool,
    so an exit meanwhile is a death."""
    seen: list[Any] = pool._cleaner_seen
    seen.extend(p for p in list(pool._pool) if p not in seen)
    dead = next((p for p in seen if p.exitcode is not None), None)
    if dead is not None:
        pool._cleaner_died = True  # end_pool: its terminate bounded
        code = dead.exitcode
        how = f"killed by signal {-code}{': SIGKILL, out of memory?' if code == -9 else ''}" \
            if code < 0 else f"exit status {code}"
        raise WorkerError(f"a worker process died ({how})")


END_SECONDS = 2.0  # how long end_pool waits for a pool whose worker died to terminate


def end_pool(pool: Any, join: bool = True, bounded: bool = False) -> None:
    """pool.terminate() (and join). After a worker died (_check_workers), or `bounded` (the
    map stopped by an exception: Ctrl-C, SIGTERM), bounded: CPython's terminate can then
    wait for ever (seen 2 runs in 8 after a death: a replacement worker forked after the
    task handler sent its stop sentinels waits for a task holding the queue's read lock,
    which terminate takes; and terminate joins the task handler thread, which may be
    reading the next documents from a quiet stdin), so after END_SECONDS the pool's
    processes are killed and the pool is left to its daemon threads."""
    # A death no wait noticed (a child killed while idle, maybe holding the task queue's read
    # lock, which terminate takes: it waited for ever) bounds it too.
    died = any(p.exitcode is not None for p in getattr(pool, "_cleaner_seen", ()))
    if not (bounded or died or getattr(pool, "_cleaner_died", False)):
        pool.terminate()
        if join:
            pool.join()
        return
    import threading

    ender = threading.Thread(target=pool.terminate, daemon=True)
    ender.start()
    ender.join(END_SECONDS)
    # `_cleaner_seen` only once `watch` saw the pool: a Ctrl-C held while it forked is raised
    # before (AttributeError's traceback instead of "interrupted": tests/test_exec.py).
    for process in [*getattr(pool, "_cleaner_seen", []), *pool._pool]:
        if process.exitcode is None:
            process.kill()


def _live_wait(pool: Any, wait: Callable[[float], Any]) -> Any:
    """`wait(timeout)` (a `watch`ed pool's AsyncResult.get or imap's next) until it answers,
    checking every LIVENESS_SECONDS that the pool's processes live: a stall turned into one line."""
    while True:
        try:
            return wait(LIVENESS_SECONDS)
        except mp.TimeoutError:
            _check_workers(pool)


def live_get(pool: Any, task: Any) -> Any:
    """`task.get()`, an AsyncResult of a `watch`ed pool, as `_live_wait` waits."""
    return _live_wait(pool, task.get)


def _while_workers_live(pool: Any, results: Any) -> Iterator[Any]:
    """`results`, a `watch`ed pool's imap, each as `_live_wait` waits."""
    while True:
        try:
            yield _live_wait(pool, results.next)
        except StopIteration:
            return


# The groups hold a key a (document, band) while they are made (8 bytes: ~11 MB at 50,000
# documents and 28 bands) and, as a GroupIndex, the documents that share a key; measured
# up to here (BENCHMARKS.md, thru-18m). Above, the BandIndex as before.
LOCAL_GROUPS_UP_TO = 50_000


@dataclass
class LocalExecutor:
    """A loop (`workers` 1) or a pool of `workers` processes (fork where there is one).
    `cpu_time` times stages in CPU time (time.process_time) instead of wall time."""

    workers: int = 1
    cpu_time: bool = False
    closes_at_once: ClassVar[bool] = True  # close() has nothing to do (exec/closing.Closing)

    def map(self, docs: Iterable[Document], stages: list[Stage],
            finish: Finish | None = None) -> Iterator[tuple[object, dict[str, float]]]:
        clock = time.process_time if self.cpu_time else time.perf_counter
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn") if self.workers > 1 else None
        if ctx is None or ctx.get_start_method() == "fork":
            for stage in stages:  # here, once: forked workers share what it loaded
                stage.setup()
        if ctx is None:
            for batch in batches(docs):
                yield from process_finished(batch, stages, clock, finish)
            return
        worker = _Worker(stages, finish, os.getpid(), self.cpu_time)
        before = _hold(_HELD)  # see _HELD: no Ctrl-C inside a fork
        try:
            pool = _pool_class()(self.workers, initializer=_init_worker, initargs=(worker,), context=ctx)
        except OSError as exc:  # EAGAIN, ENOMEM: a failure to fork, not to write
            _restore(before)
            raise WorkerError(f"cannot start {self.workers} worker processes: {exc.strerror or exc}") from None
        except BaseException:
            _restore(before)
            raise
        try:
            _restore(before)  # a Ctrl-C held meanwhile is raised here, and `finally` ends the pool
            for done in _while_workers_live(watch(pool), pool.imap(_work, pool_batches(docs, self.workers))):
                yield from done
        except BaseException:
            # The task handler thread may be reading `docs` from a quiet stdin (a feed given
            # SIGTERM while it waits): terminate would join it until the next line came.
            end_pool(pool, join=False, bounded=True)
            raise
        else:
            end_pool(pool, join=False)  # as `with pool` did: terminate

    def near_candidates(self, docs: list[Document], cfg: Config, store: DocStore) -> CandidateIndex | None:
        """The copy tier's candidates (exec/flow.py asks before clustering a spooled run):
        for a run of at most LOCAL_GROUPS_UP_TO documents, groups of documents that share a
        band key, from every signature's band keys computed a slice at a time and sorted a
        band at a time (exec/dask_bands.band_groups: the groups a Dask run makes); above it,
        None: dedup/bands.BandIndex, hashing one signature at a time as before. The same
        candidates either way (tests/test_dask_bands.py), so the same records; the leader
        pass then reads a signature only for a document that shares a key with another."""
        if len(docs) > LOCAL_GROUPS_UP_TO:
            return None
        from cleaner.exec.dask_bands import band_groups

        return band_groups(docs, cfg, store)

    def for_count(self, count: int) -> "LocalExecutor":
        """This executor for a batch of `count` documents: a loop when they are fewer than
        one pool task (BATCH), which one worker would run anyway, after a pool's start
        (~0.1-0.2 s with 2 workers, what a feed trickling a line a second paid a line).
        The rows are the same for every worker count."""
        return self if self.workers == 1 or count >= BATCH else LocalExecutor(1, self.cpu_time)

    def reaching(self) -> contextlib.nullcontext[None]:
        """Nothing to wrap: a lost worker is said where the map meets it (WorkerError)."""
        return contextlib.nullcontext()

    def close(self) -> None:
        """Nothing to release: a pool lives for one map."""
