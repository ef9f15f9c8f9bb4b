"""`cleaner run INPUT --out -`: cleaner as a stage in an ingestion job.

documents.jsonl rows go to stdout, one per input line, in input order (stdin: line
order); the summary, notes and rejections go to stderr. Without --state the input is one
batch. With --state, the input is cut into batches (--batch-size lines, fewer when the
input pauses): each batch is decided against the state, committed, and only then written
and flushed, so a row a reader has seen is in the state, and a run killed mid-batch
leaves the state as its last committed batch left it. Documents wait in a temporary
spool, as in a folder run.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from cleaner.cli import (OUT_OF_MEMORY, _fail, _finish, _interrupted, _never_read, _setup, _stage_bug, _strict_mode,
                         _workers, discard_output, log, make_executor, open_state, rejection_order)
from cleaner.exec.memory import memory_note, release_free_memory

if TYPE_CHECKING:
    from cleaner.core.document import Document
    from cleaner.exec.flow import RunResult

PAUSE_SECONDS = 1.0  # a batch closes early once the input has been quiet this long
MAX_WAIT_SECONDS = 5.0  # ...or once it has waited this long for its lines (a feed trickling in)


class _Totals:
    """What the summary needs of a run made of several batches."""

    def __init__(self) -> None:
        self.status: Counter[str] = Counter()
        self.rejected: list[Document] = []
        self.batches = 0
        self.records: set[str] = set()  # without a state (one batch); with one, the state's count
        self.state_records: int | None = None

    def add(self, result: RunResult) -> None:
        self.batches += 1
        self.status.update(d.status for d in result.documents)
        # The first 20 by file and line, which the summary lists: a batch's documents come in
        # id order, whose first 20 were lines 1, 10-19, 2, 20-29 (tests/test_review21.py).
        self.rejected.extend(d for d in result.documents if not d.ok)
        self.rejected = sorted(self.rejected, key=rejection_order)[:20]
        if self.state_records is None:
            self.records.update(r.record_id for r in result.records)

    @property
    def documents(self) -> list[Document]:
        return self.rejected

    def counts(self) -> dict[str, int]:
        return {"inputs": sum(self.status.values()), "kept": self.status["kept"],
                "duplicates": self.status["duplicate"], "rejected": self.status["rejected"],
                "records": len(self.records) if self.state_records is None else self.state_records}


def _lines_only(docs: Iterable[Document]) -> Iterator[Document]:
    """The documents of the input's lines: an empty stdin has no line, so no row (the
    reader's "no JSON lines" placeholder becomes a note, and no batch is committed)."""
    from cleaner.input.read import STDIN_SOURCE

    for doc in docs:
        if doc.source == STDIN_SOURCE and doc.line is None and not doc.ok:
            log.warning("note: %s", doc.error)
            continue
        yield doc


def stream_run(input_path: str | Path, config_path: Path | None, workers: int | None, quiet: bool, strict: bool,
               state_path: Path | None, wait: bool, batch_size: int, engine: str = "local",
               scheduler: str | None = None) -> None:
    from cleaner.core.stage import StageBug
    from cleaner.dedup.incremental import IncrementalClusterer
    from cleaner.exec.batches import batches
    from cleaner.exec.flow import run_documents
    from cleaner.exec.local import LocalExecutor, WorkerError
    from cleaner.input.read import read_input
    from cleaner.store.output import write_rows

    cfg, stages = _setup(config_path)
    workers = _workers(cfg, workers, quiet)
    state = open_state(state_path, cfg, wait) if state_path else None
    _strict_mode(strict)
    started = time.perf_counter()
    if scheduler and engine != "dask":
        _fail("--scheduler needs --engine dask")
    executor = make_executor(cfg, engine, scheduler, workers, quiet, stages)
    # Rows need each record's id and head, not the record whole (`export` rebuilds it):
    # a batch's work is then bounded by the batch and its window, not by its records' size.
    clusterer = None if state is None else IncrementalClusterer(cfg, state, whole=False,
                                                                workers=workers if engine == "local" else 1)
    # A folder's stream read its state's files (and cleaner's cache folder) as inputs, rejected.
    docs = _lines_only(read_input(input_path, cfg, exclude=_never_read(state_path)))
    totals = _Totals()
    writing = False  # a committed batch's rows going out: Ctrl-C then leaves some unread
    # Batches committed once the last batch's rows were out: one more is this batch's, its
    # rows not out yet. Counted again only once they are (not when a batch begins): a Ctrl-C
    # while waiting for the next batch's lines said that batch was committed, rows unwritten.
    committed = state.committed if state is not None else 0
    if state is not None:  # a stream has no end: count records in the state, not in memory
        totals.state_records = state.info()["records"]
    try:
        for batch in (batches(docs, batch_size, PAUSE_SECONDS, MAX_WAIT_SECONDS) if state is not None else [docs]):
            try:
                # A batch smaller than one pool task runs here, not in a pool started for it
                # (LocalExecutor.for_count); stdin read whole without a state is not counted.
                sized = executor.for_count(len(batch)) \
                    if isinstance(executor, LocalExecutor) and isinstance(batch, list) else executor
                with executor.reaching():
                    result = run_documents(batch, cfg, stages=stages, spool=True, executor=sized,
                                           clusterer=clusterer, label=str(input_path))
            except StageBug as exc:
                _stage_bug(exc)
            except WorkerError as exc:
                _fail(f"{exc} ({exc.hint})")
            except MemoryError:  # the batch is rolled back: the state keeps those before it
                _fail(f"{OUT_OF_MEMORY} deciding batch {totals.batches + 1}: try fewer --workers or a smaller "
                      "--batch-size" + ("; the state keeps every batch before it" if state is not None else ""))
            except OSError as exc:
                import tempfile

                # Where: the disk that is full (TMPDIR, most often a small /tmp) is not --out's.
                _fail(f"cannot write the temporary spool in {tempfile.gettempdir()} (TMPDIR chooses the folder): "
                      f"{exc.strerror or exc}")
            try:
                closed, error = False, None
                writing = True
                try:
                    closed = not write_rows(result, sys.stdout.buffer)  # the reader went away (| head)
                except OSError as exc:  # a full disk under `> rows.jsonl`, an I/O error
                    error = f"cannot write to stdout ({exc.strerror or exc})"
                if closed or error:
                    discard_output(sys.stdout.fileno())
                    if state is None:  # nothing kept: a closed pipe is not our error, a failed write is
                        if error:
                            _fail(error)
                        sys.exit(0)
                    # This batch is in the state, yet some of its rows were never read:
                    # say so, or a pipeline would miss them without a trace.
                    log.error("error: %s during batch %d, which is committed to %s: some of its "
                              "%d row(s) were not delivered (`cleaner show %s ID` or `cleaner export` has them)",
                              error or "stdout was closed", totals.batches + 1, state_path, len(result.documents),
                              state_path)
                    sys.exit(1)
            finally:
                result.close()
            writing = False
            committed = state.committed if state is not None else 0
            totals.add(result)
            decided = len(result.documents)
            del result  # its documents and records: what the next batch must not hold on to
            release_free_memory()
            if state is not None:
                log.info("batch %d: %d line(s) decided, committed to %s and written%s", totals.batches,
                         decided, state_path, memory_note())
                assert clusterer is not None  # the state's
                for e in clusterer.events:  # what rows written before no longer show
                    if e["event"] in ("merged", "canonical_changed"):
                        detail = ", ".join(f"{k} {v}" for k, v in sorted(e.items())
                                           if k not in ("batch", "event", "record_id"))
                        log.info("batch %d: %s %s (%s)", totals.batches, e["event"], e["record_id"], detail)
    except KeyboardInterrupt:
        # Committed, and its rows only partly written, or not yet begun: the batch commits
        # inside run_documents, which then tidies up before the rows go out (tests/test_review21.py).
        if state is not None and (writing or state.committed > committed):
            _interrupted(f" while writing the rows of batch {totals.batches + 1}, which is committed to {state_path}: "
                         f"some of its rows may not have been written (`cleaner show {state_path} ID` or "
                         "`cleaner export` has them); the state keeps every batch before it too")
        _interrupted("; the state keeps every batch written before" if state is not None else "")
    finally:
        if state is not None:
            try:
                totals.state_records = state.info()["records"]
                state.close()  # waits for the last batch's checkpoint: seconds for a big state
            except KeyboardInterrupt:  # every batch committed: "interrupted" alone read as nothing kept
                executor.close()
                _interrupted("; the state keeps every batch written before")
        executor.close()
    if state is None:
        _finish(totals, "on stdout", started, workers, quiet, strict)
    else:  # the count is the state's (a stream has no end), not the records of the rows written
        _finish(totals, f"in {state_path}, rows on stdout", started, workers, quiet, strict,
                f", {totals.batches} batch(es)")
