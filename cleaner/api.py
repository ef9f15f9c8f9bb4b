"""The Python API: the same pipeline over dicts, for use inside another ingestion job.

    from cleaner import clean
    result = clean([{"id": "a1", "text": "..."}, {"id": "a2", "html": "<html>..."}])
    result.documents   # dicts, one per input, as in documents.jsonl
    result.records     # dicts, one per canonical record, as in records.jsonl

Nothing is read from or written to disk except the configuration and rule files.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator, Iterable, Iterator

from cleaner.core.config import Config, config_from_dict, load_config
from cleaner.core.document import Document
from cleaner.exec.flow import run_documents
from cleaner.input.read import read_dicts


@dataclass
class Cleaned:
    documents: list[dict[str, Any]]
    records: list[dict[str, Any]]
    counts: dict[str, int]


# A configuration as the API takes it: a file, {section: {key: value}} overrides of the
# defaults, a loaded Config, or None (the defaults).
ConfigSource = str | Path | dict[str, dict[str, Any]] | Config | None


def get_config(config: ConfigSource) -> Config:
    if isinstance(config, Config):
        return config
    if isinstance(config, dict):
        return config_from_dict(config)
    if config is not None and not isinstance(config, (str, Path)):
        raise TypeError(f"config must be a path to a TOML file (str or Path), a dict of sections, a Config "
                        f"or None, got {type(config).__name__}")
    if isinstance(config, str) and not config.strip():  # Path("") is the current folder
        raise ValueError("config must be a path to a TOML file, got an empty string (None: the defaults)")
    _no_nul("config", config)
    if isinstance(config, str) and "\n" in config:  # a file's text, not its name: "no such file" over lines
        raise ValueError("config must be a path to a TOML file, got TOML text (a string with a line break): "
                         "pass its sections as a dict (tomllib.loads(text)), or the file's path")
    # "~/cleaner.toml" is the user's, as the shell reads it (and as state= is)
    return load_config(os.path.expanduser(config) if config is not None else None)


def _no_nul(name: str, path: str | Path | None) -> None:
    """A NUL in a path: the OS cannot name such a file, and Python's own "embedded null
    byte" names neither the argument nor the path (review-29's note)."""
    if path is not None and "\x00" in str(path):
        raise ValueError(f"{name} must be a path without a NUL character, got {str(path)!r}")


def _check_items(verb: str, items: Any) -> None:
    """`items` must be an iterable of items; a dict, a string or bytes is iterable, but
    iterating it would read its keys or characters as items, each "rejected"."""
    if not hasattr(items, "__iter__"):
        raise TypeError(f"{verb}() takes an iterable of items (dicts), got {type(items).__name__}")
    if isinstance(items, (dict, str, bytes)):
        raise TypeError(f"{verb}() takes an iterable of items (dicts), not a {type(items).__name__}: "
                        "wrap one item in a list")


def _workers(workers: Any) -> int:
    """The processes to run for `workers` (0: one per core), at most 4 per core (as the
    CLI's --workers): more is lowered to that, with a warning saying so (a pool of
    10**6 processes would exhaust the machine's memory)."""
    from cleaner.exec.local import resolve_workers

    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
        raise ValueError(f"workers must be an integer >= 0 (0: one per core), got {workers!r}")
    used = resolve_workers(workers)
    if workers > used:
        warnings.warn(f"workers={workers} is more than 4 per core; using {used}", stacklevel=3)
    if used > 1 and multiprocessing.current_process().daemon:
        # A multiprocessing pool's worker (a job's own pool) may not start processes: the
        # pool failed with "AssertionError: daemonic processes are not allowed to have children".
        warnings.warn(f"workers={workers}: this process is a daemonic one (a multiprocessing pool's worker), "
                      "which may not start processes; using 1", stacklevel=3)
        return 1
    return used


def clean(items: Iterable[dict[str, Any]], config: ConfigSource = None,
          workers: int = 1) -> Cleaned:
    """Clean, detect language and cluster `items` ({"id", "text" or "html", "title", "date", "url", "site", "author"}).

    `documents` come back sorted by id, as documents.jsonl is (not in the order of
    `items`): match them to your items by id (give each item an "id"; inputs that shared
    one are renamed `id@<api>#k`, and `meta.id` names the id they had)."""
    _check_items("clean", items)
    cfg = get_config(config)
    result = run_documents(read_dicts(items, cfg["read"]["max_file_bytes"]), cfg, workers=_workers(workers))
    return Cleaned([d.to_json() for d in result.documents], [r.to_json() for r in result.records],
                   result.counts())


class _Rows(Iterator[dict[str, Any]]):
    """Deduplicator.add's rows. A generator does nothing until iterated, so
    `dedup.add(items)` alone added nothing and said nothing: dropped unstarted, this warns."""

    def __init__(self, rows: Generator[dict[str, Any], None, None]) -> None:
        self._rows, self._started = rows, False

    def __next__(self) -> dict[str, Any]:
        self._started = True
        return next(self._rows)

    def close(self) -> None:
        self._started = True  # closed on purpose: nothing to warn about
        self._rows.close()

    def __del__(self) -> None:
        if not self._started and not sys.is_finalizing():  # at exit, modules may be gone already
            warnings.warn("Deduplicator.add() was never iterated, so its items were not added: iterate its rows "
                          "(`for row in dedup.add(items)`, or `list(dedup.add(items))`)", RuntimeWarning, stacklevel=2)


class Deduplicator:
    """Batch after batch, each deduplicated against every batch before it (#16):

        with Deduplicator(state="state.db", config=...) as dedup:
            for row in dedup.add(items):   # items: any iterable, a generator included
                ...                        # one documents.jsonl row per item, in order

    Rows come out batch by batch (`batch_size` items), each once its batch is decided and
    committed to the state. A record's id never changes once given; what changed since is
    in `events` (created, member_added, canonical_changed, merged; `batch_events`: the last
    batch's alone), read from the state, not kept in memory. `state` is a SQLite
    file (store/state.py) that later runs, the CLI's `--state` included, continue; without
    it the history lives in memory for the object's lifetime. Either way, memory holds one
    batch and the story tier's window, not the history."""

    def __init__(self, config: ConfigSource = None, state: str | Path | None = None,
                 batch_size: int = 1000, workers: int = 1, wait: bool = False):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        workers = _workers(workers)
        if not isinstance(wait, bool):  # wait="no" is truthy: it would wait, against what it says
            raise TypeError(f"wait must be True or False, got {wait!r}")
        if state is not None and not isinstance(state, (str, Path)):
            raise TypeError(f"state must be a path (str or Path), got {type(state).__name__}")
        if state is not None and not str(state).strip():
            raise ValueError("state must be a path, got an empty string (state=None keeps the history in memory)")
        _no_nul("state", state)
        if state is not None:
            state = os.path.expanduser(state)  # "~/news.db" is the user's, as the shell reads it
        from cleaner.dedup.incremental import IncrementalClusterer, state_settings
        from cleaner.exec.local import LocalExecutor
        from cleaner.stages.build import build_stages
        from cleaner.store.state import State

        self.cfg = get_config(config)
        self.batch_size = batch_size
        # Any thread may use this object (a web framework's thread pool, run_in_executor):
        # a batch is added, and the state read or closed, by one thread at a time; another
        # thread's batch waits for it (two at once shared one transaction and this object's
        # per-batch fields: "cannot start a transaction within a transaction").
        self._busy = threading.Lock()
        self._pid = os.getpid()  # the process that may use it (see _open)
        self._stages = build_stages(self.cfg)
        self._state = State(":memory:" if state is None else state, state_settings(self.cfg), wait=wait)
        self._executor = LocalExecutor(workers, cpu_time=self.cfg["run"]["cpu_time"])
        # Rows need each record's id and head, not the record whole (export and `records` rebuild it).
        self._clusterer = IncrementalClusterer(self.cfg, self._state, whole=False, workers=workers)
        # This object's events are the state's after this one: it holds the writer's lock
        # for its lifetime, so no one else adds any meanwhile. Read from the state when
        # asked, not kept in memory: a stream's events grow with every batch (~1,000 a
        # 1,000-document batch), and memory must not (#16 point 9).
        self._events_from = self._state.last_event()

    def __enter__(self) -> "Deduplicator":
        # A second `with` would close it at its own end, under the first one's feet.
        self._open()
        if getattr(self, "_entered", False):
            raise RuntimeError("this Deduplicator is already in a with block: use it there, or make another one")
        self._entered = True
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Release the state (and its writer's lock); the object cannot be used after."""
        if os.getpid() != self._pid:  # a forked child's copy: the state is its parent's to close
            self._closed = True
            return
        with self._busy:
            self._state.close()
            self._closed = True

    def _open(self) -> None:
        if getattr(self, "_closed", False):
            raise RuntimeError("this Deduplicator is closed: make a new one (with the same state=) to go on")
        self._not_forked()

    @contextmanager
    def _in_use(self) -> Iterator[None]:
        """This object for one call, from any thread: in a forked child refused before the
        lock is taken (_not_forked), then another thread's call waited for, then refused if
        closed meanwhile."""
        self._not_forked()
        with self._busy:
            self._open()
            yield

    def _not_forked(self) -> None:
        """Said before `_busy` is taken too: a child forked while another thread of its
        parent held it (adding a batch) has a copy held by a thread it does not have, and
        waited for it for ever (review-24)."""
        if os.getpid() != self._pid:
            # A child forked after it was made (a pre-forking server, multiprocessing's fork
            # start) has a copy of its SQLite connection and of its writer's lock: SQLite
            # forbids using a connection across fork(), and two processes would then write
            # one state as one writer (review-23).
            raise RuntimeError(f"this Deduplicator was made in process {self._pid}, before a fork: a forked "
                               "process cannot use it (its SQLite connection and its state's writer lock "
                               "belong to that process); make the Deduplicator in the process that uses it")

    def add(self, items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """One row per item, batch after batch, as the caller iterates: nothing is added
        until then (a call never iterated warns when dropped, as a coroutine never awaited does)."""
        return _Rows(self._add(items))

    def _add(self, items: Iterable[dict[str, Any]]) -> Generator[dict[str, Any], None, None]:
        self._open()
        _check_items("add", items)
        batch: list[Document] = []
        # Each item read as it is taken, not when its batch is full: a generator that fills one
        # dict again and again (`d["text"] = ...; yield d`) gave a batch of copies of its last item.
        for doc in read_dicts(items, self.cfg["read"]["max_file_bytes"]):
            batch.append(doc)
            if len(batch) >= self.batch_size:
                yield from self._batch(batch)
                batch = []
        if batch:
            yield from self._batch(batch)

    def _batch(self, items: list[Document]) -> Iterator[dict[str, Any]]:
        from collections import Counter

        from cleaner.dedup.ids import make_ids_unique
        from cleaner.exec.flow import process_documents
        from cleaner.exec.memory import release_free_memory
        from cleaner.store.memory import MemoryStore

        # Another thread's batch first (the rows are yielded outside it); closed is checked again:
        # a generator of add() resumed after close() met a closed state.
        with self._in_use():
            # Templates are decided per batch: lines a source repeats within the batch.
            self._stages.templates.reset()
            # A batch smaller than one pool task runs here, not in a pool started for it.
            docs, _ = process_documents(items, self._stages,
                                        self._executor.for_count(len(items)), MemoryStore(),
                                        Counter(), Counter())
            make_ids_unique(docs)
            self._clusterer.add(docs, label="api")
            rows = [doc.to_json() for doc in docs]  # in input order
            del docs
        release_free_memory()  # a long-lived stream's resident size stays flat (exec/memory.py)
        for n, row in enumerate(rows):
            try:
                yield row
            except GeneratorExit:  # the caller stopped reading (a `break`) inside a committed batch
                if n + 1 < len(rows):
                    warnings.warn(f"add(): the loop stopped after row {n + 1} of a batch of {len(rows)}, which is "
                                  f"committed to the state: its other {len(rows) - n - 1} rows were not read "
                                  "(`records`, or `cleaner show STATE ID` for a state file, has them)", stacklevel=2)
                raise

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every record the state holds, as records.jsonl rows."""
        with self._in_use():
            return [r.to_json() for r in self._clusterer.all_records()]

    @property
    def events(self) -> list[dict[str, Any]]:
        """What happened to records in this object's batches, in order, read from the state
        (which keeps every batch's; `cleaner show` reads a record's)."""
        with self._in_use():
            return self._state.events_after(self._events_from)

    @property
    def batch_events(self) -> list[dict[str, Any]]:
        """What happened to records in the last batch this object decided (its rows are the
        last ones `add` yielded): a long stream reads its events batch by batch here."""
        with self._in_use():  # as `events` and `records`: a closed object's answer would be a stale []
            return list(self._clusterer.events)
