"""The Dask executor (`--engine dask`): the per-document stages on a Dask cluster.

Same contract as the local executor (core/protocols.Executor): stages mapped over the
documents, results in input order, each with its stage times. Documents go to the
workers in chunks; each worker builds the stages once (they are scattered, so every
worker holds one copy and sets it up once) and, with a spool, writes the processed
documents into it itself, so only slim copies come back to the client. The spool's
folder must be one every worker can reach: on one machine it is; on a cluster it must be
a shared filesystem (README, "Running on a cluster you have").

Output does not depend on the engine: the flow puts documents back in input order and
clustering runs on the client over the same slim copies (tests check byte-identity).
A task whose worker dies is run again by Dask on another worker; its documents are then
written again into that worker's segment, and only the finished task's references count.
"""

from __future__ import annotations

import errno
import logging
import pickle
import secrets
import signal
import sys
import time
from collections import deque
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Iterator

from cleaner.core.config import Config
from cleaner.core.document import Document
from cleaner.core.protocols import DocStore
from cleaner.core.stage import Stage
from cleaner.exec.closing import one_line
from cleaner.exec.local import Finish, WorkerError, _hold, _restore, batches, process_finished

if TYPE_CHECKING:
    from cleaner.dedup.groups import GroupIndex
    from cleaner.exec.dask_stories import ClusterStories
    from cleaner.stages.templates import Templates

INSTALL = "pip install 'cleaner[dask]'"
# Documents per task. Each task costs the scheduler, both event loops and the client a fixed
# amount whatever its size; 128 makes a quarter of 32's tasks, and the last chunk's tail (128
# documents' work on one worker while the other waits) stays well under a second. (At 10k
# the two did not differ beyond the noise of a shared machine: BENCHMARKS.md.)
CHUNK = 128
AHEAD = 4  # chunks in flight per worker: keeps workers busy, bounds the client's memory


# Dask settings for the LocalCluster cleaner starts (no --scheduler); the nannies pass them
# to their workers. A user's cluster (--scheduler) keeps its own settings, untouched.
OWN_CLUSTER: dict[str, object] = {
    # Without the active memory manager: by default it drops the broadcast copies of a job
    # (the stages, the story tier's canonicals) down to one once no task waits on them, and
    # a worker lost then takes the only copy with it: the tasks on it are cancelled
    # ("already forgotten") instead of rerun elsewhere.
    "distributed.scheduler.active-memory-manager.start": False,
    # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536 (glibc then hands freed memory
    # back at once) to keep long-lived workers small; a worker here lives for one run, and
    # every chunk allocates and frees its documents. The statistical profiler samples every
    # worker thread's stack every 10 ms for the dashboard's profile page, which this cluster
    # does not serve. With both (Dask's defaults) the per-document stages took 6-12 s more CPU
    # at 10k documents (BENCHMARKS.md, dask-overhead-2; the two not measured apart).
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    # Workers forked from this process instead of spawned: a spawned worker starts a new
    # interpreter, imports Dask, numpy and cleaner and sets up the stages (0.5-0.6 s of CPU
    # each before its first task, 1-4 s of wall for the cluster's start), and its close took
    # ~2 s more. Forked after `warm` set the stages up here, each inherits what setup loaded
    # (the language profiles, the token table, the permutations), as the local engine's pool
    # does (BENCHMARKS.md, dask-start). Linux only: elsewhere fork under threads (the
    # cluster's event loop runs in one) is unsafe or missing, and Dask's default stays.
    "distributed.worker.multiprocessing-method": "fork" if sys.platform.startswith("linux") else "spawn",
    # Every Dask server here (the scheduler and the nannies, in this process; each worker)
    # wakes every 20 ms to measure its event loop's delay, for a warning after 3 s blocked
    # (silenced here) and the dashboard's metrics, and every 0.5 s to sample the host's CPU,
    # memory, network and disks for the dashboard (not served: see dashboard_address). Idle,
    # a 2-worker cluster spent 0.31-0.41 s of CPU every 10 s in this process and 0.14-0.18 s
    # in each worker with them; with these, 0.11-0.15 and 0.05-0.07 (BENCHMARKS.md, dask-17).
    # A worker's memory monitor (pause, spill, terminate at its limit) keeps its 100 ms.
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    # Dask keeps the last 1,000 messages of every batched stream (and as many log entries)
    # for debugging: the client's to the scheduler (each chunk's pickled task) and the
    # scheduler's to each worker (each chunk's task, its input documents with their raw
    # lines), all in this process, so the client held every input document of a run up to
    # ~1,000 chunks a worker: 10,000 extra Documents at 10k, the most of its growth from 10k
    # to 50k (BENCHMARKS.md, dask-17). None kept: a chunk's documents are freed once done.
    "distributed.admin.low-level-log-length": 0,
}


# Set while the Client is made, for any cluster: the client's own stream to the scheduler
# would keep its last 1,000 messages (Dask's low-level log, for debugging), each chunk's
# pickled task among them, in this process. Only this process's client: a --scheduler
# cluster's own settings are left alone.
CLIENT: dict[str, object] = {"distributed.admin.low-level-log-length": 0}


# Set around each chunk's submit, for any cluster. A chunk's pickled documents past 10 MB (one
# 10 MB text file does it) made Dask warn on stderr, -q or not, in six lines advising Dask's
# users to load data with Dask; a chunk carries its documents by design.
QUIET_SUBMIT: dict[str, object] = {"distributed.admin.large-graph-warning-threshold": "1 TiB"}

# How long a --scheduler may take to connect and answer. distributed bounds the connection
# (10 s) but not the handshake after it: an address where something accepts connections and
# never speaks Dask (a wrong port, an HTTP server, a port forward to nothing) hung the run.
CONNECT_SECONDS = 10
ANSWER_SECONDS = 20


def port_problem(address: str) -> str | None:
    """What is wrong with the port of a --scheduler address (tcp://host:99999: distributed
    tried it for its whole 10 s connect timeout, then said it had timed out); None when it
    is a port, or the address is not a host and port (inproc://...) or does not parse."""
    from distributed.comm.addressing import parse_address

    try:
        scheme, location = parse_address(address)
    except ValueError:
        return None  # distributed's own message, at connect
    if scheme not in ("tcp", "tls", "ws", "wss"):
        return None
    host, _, port = location.rpartition(":")
    if not host or location.endswith("]") or (":" in host and not host.startswith("[")):
        # No port given (Dask's 8786), an IPv6 address alone, or one without its brackets
        # (fd00::2:0): distributed's own message ("ipv6 needs brackets"), not "port 0".
        return None
    if not port.isascii() or not port.isdigit():
        return f"its port {port!r} is not a number"
    if not 1 <= int(port) <= 65535:
        return f"its port {port} is not a port number (1 to 65535)"
    return None


def _client_within(distributed: ModuleType, address: str) -> Any:
    """A Client of the scheduler at `address`, or TimeoutError when it has not answered
    within ANSWER_SECONDS (its thread is left waiting: a daemon, it ends with the process)."""
    import threading

    import dask

    got: list[Any] = []
    failed: list[BaseException] = []

    def connect() -> None:
        try:
            with dask.config.set(CLIENT):
                got.append(distributed.Client(address, timeout=f"{CONNECT_SECONDS}s"))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            failed.append(exc)

    thread = threading.Thread(target=connect, name="cleaner-dask-connect", daemon=True)
    thread.start()
    thread.join(ANSWER_SECONDS)
    if failed:
        raise failed[0]
    if not got:
        raise TimeoutError(f"no answer from a Dask scheduler within {ANSWER_SECONDS} s (something accepts "
                           "connections there, but does not speak Dask: is it the scheduler's address and port?)")
    return got[0]


class DaskMissing(Exception):
    """`--engine dask` without Dask installed."""


class DaskError(WorkerError):
    """The cluster could not be reached or was lost (a WorkerError: the CLI reports it in
    one line, and a folder run keeps its checkpoint for --resume)."""

    hint = "check that the scheduler is running and reachable"  # fewer --workers would not help


# What runs losing the cluster raise: a connection closed or timed out, futures cancelled.
LOST = (OSError, TimeoutError, CancelledError)


class SpoolUnreachable(DaskError):
    """The run's spool could not be written by a worker or read back by this process: the
    cluster is fine, the folder is not shared (or not the same path everywhere)."""

    hint = ("the spool folder must be on a filesystem every worker mounts at the same path: "
            "README, Running on a cluster you have")


def lost(exc: BaseException, scheduler: str | None = None) -> DaskError:
    """A lost cluster as one line: Dask's messages run over several lines ("... cancelled
    for reason: scheduler-connection-lost.\nClient lost the connection ...")."""
    filename = getattr(exc, "filename", None)
    if isinstance(exc, OSError) and isinstance(filename, str) and filename.endswith((".spool", ".arrays")):
        # A worker's own error writing its segment, passed back, or this process's reading
        # one a worker wrote (a corpus job's keys, a canonical's arrays): it said "lost the
        # Dask cluster ... (check that the scheduler is running and reachable)" of a live
        # cluster. Which side failed is not known here: the message names neither.
        return SpoolUnreachable(f"cannot reach the run's spool {filename} (the Dask workers write it, this "
                                f"process reads it): {exc.strerror or exc}")
    reason = one_line(exc)
    if "scheduler-connection-lost" in str(exc):
        reason = "the connection to the scheduler was lost"
    where = f" at {scheduler}" if scheduler else ""
    return DaskError(f"lost the Dask cluster{where}: {reason}")


# A file system's errors: an OSError with one of these is this process's disk, not the
# connection to the scheduler (whose errors are ECONNRESET, EPIPE, ... or none: CommClosedError).
_FILE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG, errno.EACCES, errno.EPERM})


def _file_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in _FILE_ERRNOS


@contextmanager
def cluster_errors(client: Any, scheduler: str | None = None) -> Iterator[None]:
    """Any error raised once the client has given the scheduler up as a lost cluster
    (DaskError), as the steps' own `except LOST` say it while it is still connected. A
    scheduler gone for longer than the client's reconnect timeout (20 s) closes the client,
    and distributed then raises what the next call meets: AttributeError ("'NoneType'
    object has no attribute 'scatter'", a closed client's scheduler), ClosedClientError,
    CommClosedError: a run's story tier ended in that traceback (review-25). A file system's
    error (a full disk) while the client reconnects is this process's, said as such (review-25b)."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, WorkerError):
            raise
        status = getattr(client, "status", None)
        if status not in ("closing", "closed") and _file_error(exc):
            raise  # this process's own disk (the checkpoint, the output) while the client reconnects
        if status in ("closing", "closed") or (isinstance(exc, LOST) and status != "running"):
            where = f" at {scheduler}" if scheduler else ""
            raise DaskError(f"lost the Dask cluster{where}: the connection to the scheduler was lost") from None
        raise


class OtherCleaner(DaskError):
    """A worker runs another cleaner, Python or package version than this client: its
    documents would come out otherwise, and since Document, Features and Stored pickle by
    position (core/features.by_position) another field order would swap fields silently."""

    hint = "update or stop that worker"  # after the message, which says what must match


_SAME_CLEANER = "every worker must run the same cleaner, Python and packages as this client"
_stamp: dict[str, str] = {}  # this process's code_stamp, once (a worker's, the client's)


def own_stamp() -> dict[str, str]:
    """This process's core/provenance.code_stamp, computed once (it hashes cleaner's files).
    Also what `client.run` asks each worker for (`same_cleaner`)."""
    if not _stamp:
        from cleaner.core import provenance

        _stamp.update(provenance.code_stamp())
    return dict(_stamp)


def _refusal(address: str, theirs: object, mine: dict[str, str]) -> str | None:
    """Why the worker at `address`, whose client.run answered `theirs`, cannot take part; None
    when it runs the same cleaner."""
    from cleaner.core.provenance import stamp_difference

    if isinstance(theirs, BaseException):
        # Its cleaner has no own_stamp (older than this check), or none is installed there.
        return f"worker {address} cannot tell which cleaner it runs ({one_line(theirs)})"
    if not isinstance(theirs, dict):
        return f"worker {address} cannot tell which cleaner it runs (it answered {type(theirs).__name__})"
    differs = stamp_difference(theirs, mine)
    return f"worker {address} runs {differs}" if differs else None


def same_cleaner(client: Any, workers: Iterable[str] | None = None) -> set[str]:
    """The handshake: each worker's code stamp (all the scheduler's workers, or `workers`)
    against this client's; OtherCleaner naming the first that differs and what differs.
    Returns the addresses checked."""
    addresses = None if workers is None else sorted(workers)
    answers = client.run(own_stamp, workers=addresses, on_error="return")
    if any(isinstance(answer, BaseException) for answer in answers.values()):
        # One that left meanwhile (scaled down, died) did not answer: it takes no task.
        present = client.scheduler_info().get("workers", {})
        answers = {address: answer for address, answer in answers.items()
                   if address in present or not isinstance(answer, BaseException)}
    mine = own_stamp()
    refused = [why for address, answer in sorted(answers.items()) if (why := _refusal(address, answer, mine))]
    if refused:
        more = f" (and {len(refused) - 1} more workers differ)" if len(refused) > 1 else ""
        raise OtherCleaner(f"{refused[0]}{more}: {_SAME_CLEANER}")
    return set(answers)


_ready: set[str] = set()  # in a worker: the tokens of the scattered jobs whose stages are set up

# (token, stages, finish, cpu_time, the client's code stamp)
Job = tuple[str, list[Stage], Finish | None, bool, dict[str, str]]


Results = list[tuple[object, dict[str, float]]]


def _process_chunk(job: Job, docs: list[Document]) -> bytes:
    """On a worker: the stages over one chunk, each result finished (stored) there; the
    chunk's results boxed in one pickle (see `unbox`)."""
    token, stages, finish, cpu_time, stamp = job
    if token not in _ready and (differs := _refusal(_address(), own_stamp(), stamp)):
        # A worker that joined after the client's handshake (same_cleaner), before it looked
        # again: refused before any document of it is stored.
        raise OtherCleaner(f"{differs}: {_SAME_CLEANER}")
    # A token, not id(stages): a later map's stages may reuse a collected object's address.
    if token not in _ready:
        for stage in stages:
            stage.setup()
        _ready.add(token)
    clock = time.process_time if cpu_time else time.perf_counter
    # In the local engine's batches, a stage at a time (exec/local.py, BATCH): the same calls.
    return box([done for batch in batches(docs) for done in process_finished(batch, stages, clock, finish)])


def _address() -> str:
    """This worker's address, for a message."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "(not a Dask worker)"


def box(results: Results) -> bytes:
    """A chunk's results as one bytes object. Returned as a list, Dask's serialisation walks
    it and handles each tuple, document and dict on its own (hundreds of small frames a
    chunk, on the worker and again on the client); one pickle is one frame, and bytes pass
    through Dask's protocol untouched. (No CPU saving measurable at 10k on a shared machine:
    BENCHMARKS.md, dask-overhead-2.)"""
    return pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)


def unbox(payload: bytes) -> Results:
    results: Results = pickle.loads(payload)
    return results


def _import_distributed() -> ModuleType:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise DaskMissing(f"--engine dask needs Dask: {INSTALL}") from None
    return distributed


def _no_gc_diagnosis() -> None:
    """The own cluster's scheduler runs in this process and, starting, hooks a callback into
    every garbage collection here (distributed.gc: it only logs slow collections, at a level
    cleaner silences). A Ctrl-C whose handler runs inside a gc callback is "Exception
    ignored": 6 lines of traceback and the run went on to exit 0 (found by attack-11, once in
    a few Ctrl-Cs while the outputs were written). Off in this process; workers keep theirs."""
    from distributed.gc import disable_gc_diagnosis

    disable_gc_diagnosis(force=True)  # type: ignore[no-untyped-call]


@dataclass
class DaskExecutor:
    """Runs on the cluster at `scheduler` (an address), or on a LocalCluster of `workers`
    processes started here and closed by `close()`. `warm`: stages set up in this process
    before a LocalCluster's workers fork (see OWN_CLUSTER), so that they inherit what setup
    loaded instead of each loading it again; a user's cluster (`scheduler`) does not need it."""

    workers: int = 2
    scheduler: str | None = None
    cpu_time: bool = False
    notes: list[str] = field(default_factory=list)  # for stderr: the dashboard link
    warm: list[Stage] = field(default_factory=list)
    closes_at_once: ClassVar[bool] = False  # a cluster's close takes 1-2 s: exec/closing.Closing threads it

    def __post_init__(self) -> None:
        distributed = _import_distributed()
        import dask

        # Dask logs its own start and stop on stderr at INFO/WARNING, and at ERROR, with
        # tracebacks, a lost scheduler (the client's reconnect, cancelled) and, in a
        # LocalCluster's workers, a dead worker's data they failed to fetch before Dask
        # recomputed it. cleaner's stderr carries cleaner's lines: a lost cluster is one
        # (`lost`), a task's own error comes back as an exception.
        for name in ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny",
                     "distributed.client", "distributed.utils"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self._cluster: Any = None
        self.client: Any = None
        self._checked: set[str] = set()  # the workers whose code stamp is this client's
        self._workers: dict[str, Any] = {}  # the scheduler's workers at the last look (_live_workers)
        own_stamp()  # before a LocalCluster's workers fork: they inherit it
        if not self.scheduler and OWN_CLUSTER["distributed.worker.multiprocessing-method"] == "fork":
            for stage in self.warm:  # before the fork; a stage's own error is not a cluster's
                stage.setup()
        try:
            if self.scheduler:
                if problem := port_problem(self.scheduler):
                    raise ValueError(problem)
                self.client = _client_within(distributed, self.scheduler)
            else:
                # Ctrl-C held in this thread while the cluster starts: the thread of its event loop,
                # started here, inherits the mask and so do the workers it forks (or spawns, then
                # or later), so a Ctrl-C at the terminal, which signals the whole process group,
                # reaches this process alone (one line, a checkpoint, the cluster closed) instead of
                # also raising KeyboardInterrupt in each worker, which printed its traceback. Held,
                # not ignored: one arriving meanwhile acts once `_restore` unblocks it.
                held = _hold({signal.SIGINT})
                try:
                    with dask.config.set(OWN_CLUSTER):
                        self._cluster = distributed.LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                                                 processes=True, host="127.0.0.1",
                                                                 dashboard_address=None, silence_logs=logging.CRITICAL,
                                                                 # The scheduler's HTTP routes on a free loopback port:
                                                                 # by default it takes 8787 and, if another cluster holds
                                                                 # it, warns on stderr in four lines.
                                                                 scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
                finally:
                    _restore(held)
                _no_gc_diagnosis()
                # Results straight from the workers, not relayed by the scheduler's process.
                with dask.config.set(CLIENT):
                    self.client = distributed.Client(self._cluster, direct_to_workers=True)
            if self.scheduler:
                # A user's cluster may run another cleaner (an upgrade on the client alone, another
                # Python); workers forked or spawned here run this one, from these files.
                self._checked = same_cleaner(self.client)
        except OtherCleaner:
            self.close()
            raise
        except Exception as exc:  # noqa: BLE001 - Dask raises OSError, TimeoutError, RuntimeError...
            self.close()
            if self.scheduler:
                raise DaskError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
            raise DaskError(f"cannot start a local Dask cluster of {self.workers} workers: {exc}") from None
        link = getattr(self.client, "dashboard_link", None)
        if self.scheduler and link:
            self.notes.append(f"Dask dashboard: {link}")

    def map(self, docs: Iterable[Document], stages: list[Stage],
            finish: Finish | None = None) -> Iterator[tuple[object, dict[str, float]]]:
        import dask

        client = self.client
        # Scattered once: every worker deserialises (and sets up) the stages once.
        job = client.scatter((secrets.token_hex(8), stages, finish, self.cpu_time, own_stamp()), broadcast=True,
                             hash=False)
        workers = self._live_workers()
        pending: deque[Any] = deque()
        chunk: list[Document] = []

        def submit(part: list[Document]) -> None:
            with dask.config.set(QUIET_SUBMIT):
                pending.append(client.submit(_process_chunk, job, part, pure=False))

        def drain(limit: int) -> Iterator[tuple[object, dict[str, float]]]:
            while len(pending) > limit:
                future = pending.popleft()
                try:
                    payload = future.result()
                except LOST as exc:  # a stage's own error passes through
                    raise lost(exc, self.scheduler) from None
                yield from unbox(payload)

        try:
            for doc in docs:
                chunk.append(doc)
                if len(chunk) >= CHUNK:
                    submit(chunk)
                    chunk = []
                    yield from drain(AHEAD * workers)
            if chunk:
                submit(chunk)
            yield from drain(0)
        finally:
            for future in pending:
                future.cancel()

    @contextmanager
    def reaching(self) -> Iterator[None]:
        """cluster_errors of this executor's client: wraps a run's steps on the cluster. At
        their end, a user's cluster's workers that joined since the last look are checked
        (same_cleaner) before anything is written."""
        with cluster_errors(self.client, self.scheduler):
            before = set(self.client.scheduler_info().get("workers", {}))
            yield
            self._live_workers()
            if lost := before - set(self._workers):
                # Dask runs a lost worker's tasks again (the output is the same; a worker of this
                # process's cluster is restarted under a new address) and said nothing: a run that
                # took 2.5x as long, unexplained (review-29). Its event log, which would say why,
                # is not kept (OWN_CLUSTER's low-level-log-length).
                logging.getLogger("cleaner").warning(
                    "%s lost during the run (%s): Dask ran %s tasks again, so the output is the same; the run "
                    "took longer", "a Dask worker was" if len(lost) == 1 else f"{len(lost)} Dask workers were",
                    ", ".join(sorted(lost)), "its" if len(lost) == 1 else "their")

    def _live_workers(self) -> int:
        self._workers = workers = self.client.scheduler_info().get("workers", {})
        if self.scheduler and not set(workers) <= self._checked:
            # Joined since the last look (a cluster that scales): checked before it takes a task
            # of this step. One that joins during a step refuses its first chunk itself
            # (_process_chunk).
            self._checked |= same_cleaner(self.client, set(workers) - self._checked)
        return max(1, len(workers) or self.workers)

    def near_candidates(self, docs: list[Document], cfg: Config, store: DocStore) -> GroupIndex:
        """The copy tier's candidates from band keys grouped on the cluster (exec/dask_bands.py):
        a GroupIndex for dedup/cluster.cluster. `store` is a spool every worker reaches."""
        from cleaner.exec.dask_bands import band_groups, near_candidates

        # A small run groups them here: the cluster's map, shuffle and reduce cost 1.2-2.5 s of
        # round trips at 10k documents, the same group-by here ~0.5 s (BENCHMARKS.md,
        # dask-start). A large one on the cluster, where the client's memory and time for it
        # grow with the corpus (#17 point 3; BENCHMARKS.md, "Scaling past one machine").
        # Here, the groups the local executor makes (band_groups: the cluster's groups, with
        # less memory than replaying its map and reduce in one process, local_candidates).
        if len(docs) <= cfg["run"]["dask_bands_on_client_up_to"]:
            return band_groups(docs, cfg, store)
        try:
            return near_candidates(self.client, docs, cfg, store, self._live_workers())
        except LOST as exc:
            raise lost(exc, self.scheduler) from None

    def decide_templates(self, templates: Templates, docs: list[Document], store: DocStore) -> set[int]:
        """Templates decided from statistics merged on the cluster (exec/dask_corpus.py);
        returns the positions in `docs` of the documents they touch."""
        from cleaner.exec.dask_corpus import decide_templates

        try:
            return decide_templates(self.client, templates, docs, store, self._live_workers())
        except LOST as exc:
            raise lost(exc, self.scheduler) from None

    def story_runner(self) -> ClusterStories:
        """The story tier's edges and components on the cluster (exec/dask_stories.py), for
        dedup/cluster.cluster."""
        from cleaner.exec.dask_stories import ClusterStories

        return ClusterStories(self.client, self._live_workers(), self.scheduler)

    def close(self) -> None:
        client, self.client = getattr(self, "client", None), None
        if client is not None:
            client.close()
        cluster, self._cluster = getattr(self, "_cluster", None), None
        if cluster is not None:
            cluster.close()


def dask_available() -> bool:
    try:
        _import_distributed()
    except DaskMissing:
        return False
    return True
