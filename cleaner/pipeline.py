"""The pipeline: per-document stages (in a loop or in worker processes), then clustering.

    read -> extract -> boilerplate -> language -> signatures   (per document, parallel)
         -> unique ids -> cluster into records                  (whole corpus)
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable, Iterable, Iterator

import numpy as np

from .boilerplate import StripBoilerplate
from .cluster import Record, cluster
from .config import Config
from .document import Document
from .extract import Extract
from .ids import make_ids_unique
from .language import DetectLanguage
from .sign import Sign
from .read import parse_deferred
from .spool import Spool
from .stage import Stage, safe_process
from .templates import RULE_ID as TEMPLATE_RULE
from .templates import Templates

Progress = Callable[[int], None]
_CLOCK = time.process_time if os.environ.get("CLEANER_CPU_CLOCK") else time.perf_counter


@dataclass
class Stages:
    """The pipeline's steps, built (and so validated) from one configuration."""

    per_document: list[Stage]  # extract, boilerplate, language: anywhere, in any process
    templates: Templates  # corpus-level: needs all documents of a source
    sign: Sign  # per document again, on the final text


def build_stages(cfg: Config) -> Stages:
    b = cfg["boilerplate"]
    return Stages(
        per_document=[
            Extract(**cfg["extract"]),
            StripBoilerplate(cfg.rule_paths(), b["protect_min_words"],
                             b["max_removed_fraction"], b["headline_max_words"]),
            DetectLanguage(**cfg["language"]),
        ],
        templates=Templates(**cfg["templates"], protect_min_words=b["protect_min_words"],
                            max_removed_fraction=b["max_removed_fraction"]),
        sign=Sign.from_config(cfg),
    )


def process_one(doc: Document, stages: list[Stage]) -> tuple[Document, dict[str, float]]:
    """All per-document stages on one document, with the time each took."""
    timings: dict[str, float] = {}
    for stage in stages:
        if not doc.ok:
            break
        start = _CLOCK()
        doc = safe_process(stage, doc)
        timings[stage.name] = _CLOCK() - start
    return doc, timings


_worker_stages: list[Stage] | None = None
_worker_finish: Callable | None = None
_worker_parent = 0


def _init_worker(stages: list[Stage], finish: Callable | None, parent: int) -> None:
    global _worker_stages, _worker_finish, _worker_parent
    _worker_stages, _worker_finish, _worker_parent = stages, finish, parent
    # Ctrl-C reaches every process of the terminal's group: the main process alone
    # handles it (one line, a checkpoint), then stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()


def _die_with_parent() -> None:
    """Linux: end (SIGTERM, silently) when the main process dies, even by SIGKILL, instead
    of living on as an orphan that prints tracebacks once its pipes are gone."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: _work checks the parent instead
    if os.getppid() != _worker_parent:  # it died before prctl took effect
        os._exit(0)


def _work(doc: Document) -> tuple:
    if os.getppid() != _worker_parent:  # orphaned (where prctl is missing): stop quietly
        os._exit(0)
    doc, spent = process_one(doc, _worker_stages)
    return (_worker_finish(doc) if _worker_finish else doc), spent


ARRAY_KEYS = ("near", "near_mh", "story_mh")  # kept on disk beside the spool until clustering


def pack(doc: Document, templates: Templates, spool: Spool, keyed: bool = False) -> Document:
    """Store a processed document on the spool; return the slim copy memory keeps.

    Done where the document was processed (each worker writes its own spool segment), so
    the main process never holds or passes on a whole one: only signatures, metadata, the
    rule ids it removed and its template line keys. With `keyed` (a checkpoint), the entry
    that lets a resumed run skip this input goes in the same write."""
    key = doc.work.pop("input_key", None)
    if keyed and key is None:
        # Rejected while read, so no stage (InputKey included) ran: it is still as read.
        key = input_key(doc)
    work = {k: v for k, v in doc.work.items() if k not in ("line_no", "link_density")}
    for name in ARRAY_KEYS:  # raw bytes: unpickling numpy objects costs far more
        if name in work:
            work[name] = work[name].astype(np.uint32).tobytes()
    work.update(removed_count=len(doc.removed), hits=[r["rule"] for r in doc.removed],
                template_keys=templates.line_keys(doc))
    slim = replace(doc, text="", html=None, removed=[], flags=[], work=work)
    # The entry's slim copy, pickled by put(), keeps its arrays as bytes: a checkpoint
    # must not point into arrays files, which every run rebuilds.
    work["spool"] = spool.put(doc, (key, slim) if keyed else None)
    return store_arrays(slim, spool)


def store_arrays(slim: Document, spool: Spool) -> Document:
    """Move a slim document's shingle and MinHash arrays to the spool, keeping references."""
    keys = [k for k in ARRAY_KEYS if k in slim.work]
    for key, ref in zip(keys, spool.put_arrays([slim.work[k] for k in keys])):
        slim.work[key] = ref
    return slim


class ParseDeferred(Stage):
    """JSONL lines the reader handed on unparsed (read_inputs(defer=True)), parsed here,
    in the worker processes; other documents pass unchanged."""

    name = "read"

    def process(self, doc: Document) -> Document:
        return parse_deferred(doc)


class InputKey(Stage):
    """Records what each input was before any stage changes it (`input_key`), so a
    checkpoint can name it; runs in the workers, off the main process."""

    name = "input_key"

    def process(self, doc: Document) -> Document:
        if "input_key" not in doc.work:
            doc.work["input_key"] = input_key(doc)
        return doc


MAX_WORKERS = 256  # run.workers' range, and --workers'
CORES_FACTOR = 4  # per-document stages are CPU-bound: more processes than this only cost memory


class WorkerError(Exception):
    """The worker processes could not be started (the system refused to fork)."""


def worker_limit() -> int:
    return min(MAX_WORKERS, CORES_FACTOR * (os.cpu_count() or 1))


def resolve_workers(requested: int) -> int:
    """The number of processes to run: 0 is one per core; at most a few per core."""
    return min(requested if requested > 0 else (os.cpu_count() or 1), worker_limit())


def process_stream(docs: Iterable[Document], stages: list[Stage], workers: int = 1,
                   finish: Callable | None = None) -> Iterator[tuple]:
    """Per-document stages over a stream, in input order, in `workers` processes;
    `finish` (picklable) turns each processed document into what is sent back."""
    if workers <= 1:
        for doc in docs:
            doc, spent = process_one(doc, stages)
            yield (finish(doc) if finish else doc), spent
        return
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    if ctx.get_start_method() == "fork":
        for stage in stages:
            stage.prepare()
    try:
        pool = ctx.Pool(workers, initializer=_init_worker, initargs=(stages, finish, os.getpid()))
    except OSError as exc:  # EAGAIN, ENOMEM: a failure to fork, not to write
        raise WorkerError(f"cannot start {workers} worker processes: {exc.strerror or exc}") from None
    with pool:
        yield from pool.imap(_work, docs, chunksize=8)


def _timed(timings: Counter, name: str, fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    timings[name] += time.perf_counter() - start
    return result


@dataclass
class RunResult:
    """Documents (sorted by id) and records of a run.

    A spooled run (the CLI's) keeps only signatures and metadata in memory: `full(doc)`
    gives back a document with its text and audit trail, read from the spool."""

    documents: list[Document]
    records: list[Record]
    timings: dict[str, float] = field(default_factory=dict)
    hits: Counter = field(default_factory=Counter)
    spool: Spool | None = None
    resumed: int = 0  # documents taken from an interrupted run's checkpoint

    def full(self, doc: Document) -> Document:
        if self.spool is None or "spool" not in doc.work:
            return doc
        full = self.spool.get(doc.work["spool"])
        full.id, full.status, full.record_id, full.meta, full.error = doc.id, doc.status, doc.record_id, doc.meta, doc.error
        full.work = {}
        return full

    def _parts(self, doc: Document) -> tuple[bytes, bytes, bytes]:
        if self.spool is None or "spool" not in doc.work:
            return doc.json_parts()
        return self.spool.get_parts(doc.work["spool"])

    def document_lines(self) -> Iterator[bytes]:
        """documents.jsonl, line by line (each `dump(full(doc).to_json())`, in UTF-8)."""
        for doc in self.documents:
            yield doc.json_line(self._parts(doc))

    def record_lines(self) -> Iterator[bytes]:
        """records.jsonl, line by line."""
        for record in self.records:
            yield record.json_line(self._parts(record.canonical)[1])

    def counts(self) -> dict[str, int]:
        status = Counter(d.status for d in self.documents)
        return {"inputs": len(self.documents), "kept": status["kept"],
                "duplicates": status["duplicate"], "rejected": status["rejected"],
                "records": len(self.records)}

    def rule_hits(self) -> dict[str, int]:
        return dict(sorted(self.hits.items()))

    def close(self, keep: bool = False) -> None:
        """Release the spool; `keep` leaves a checkpoint in place for --resume."""
        if self.spool is not None:
            self.spool.close(keep=keep)


def _apply_templates(doc: Document, stages: Stages, timings: Counter) -> Document:
    """Template removal on a whole document; one whose text changed is signed again."""
    text = doc.text
    doc = _timed(timings, stages.templates.name, stages.templates.apply, doc)
    if doc.text is not text:
        doc = _timed(timings, stages.sign.name, safe_process, stages.sign, doc)
    return doc


def _in_memory(docs, stages: Stages, workers: int, timings: Counter, hits: Counter,
               progress: Progress | None) -> list[Document]:
    """Both passes with whole documents in memory (the Python API)."""
    templates = stages.templates
    passed = []
    for doc, spent in process_stream(docs, [ParseDeferred(), *stages.per_document, stages.sign], workers):
        timings.update(spent)
        templates.observe(doc)
        passed.append(doc)
        if progress is not None:
            progress(len(passed))
    templates.decide()
    out = []
    for doc in passed:
        doc = _apply_templates(doc, stages, timings)
        hits.update(r["rule"] for r in doc.removed)
        out.append(doc)
    return out


def input_key(doc: Document) -> str:
    """What an input is, for resuming: where it comes from and everything read from it
    (for a JSONL line not parsed yet, the line itself)."""
    if "raw" in doc.work:
        raw = json.dumps([doc.source, doc.line, doc.work["raw"]], ensure_ascii=False)
    else:
        raw = json.dumps([doc.to_json(), doc.html], ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _spooled(docs, stages: Stages, workers: int, timings: Counter, hits: Counter,
             progress: Progress | None, holder: Spool) -> tuple[list[Document], int]:
    """Both passes with whole documents on the spool and slim ones in memory. Inputs a
    checkpoint already holds (an interrupted run's) are taken from it, not processed."""
    templates = stages.templates
    done = getattr(holder, "done", None)
    reused: list[Document] = []

    def todo() -> Iterator[Document]:
        for doc in docs:
            if done:  # resuming: look each input up here; otherwise workers key them
                key = input_key(doc)
                if key in done:
                    ref, slim = done.pop(key)  # popped: an input listed twice is processed twice
                    slim.work["spool"] = ref
                    reused.append(slim)
                    continue
                doc.work["input_key"] = key
            yield doc

    def received() -> Iterator[Document]:
        finish = partial(pack, templates=templates, spool=holder, keyed=done is not None)
        # The key first: it names the input as read, before parsing or any stage changes it.
        steps = ([InputKey()] if done is not None else []) + [ParseDeferred(), *stages.per_document, stages.sign]
        for slim, spent in process_stream(todo(), steps, workers, finish):
            timings.update(spent)
            yield slim
        yield from (store_arrays(slim, holder) for slim in reused)

    out = []
    for slim in received():
        hits.update(slim.work.pop("hits"))
        if "terms" in slim.work:  # names repeat across stories: one string each
            slim.work["terms"] = tuple(map(sys.intern, slim.work["terms"]))
            slim.work["lead"] = tuple(map(sys.intern, slim.work["lead"]))
        templates.observe_keys(slim, slim.work["template_keys"])
        out.append(slim)
        if progress is not None:
            progress(len(out))
    templates.decide()
    for slim in out:
        keys = slim.work.pop("template_keys")
        if not templates.touches(slim, keys):
            continue
        # Templates act on this one: redo its tail on the whole document, keep it slim.
        before = slim.work["removed_count"]
        full = _apply_templates(holder.get(slim.work["spool"]), stages, timings)
        if len(full.removed) != before:
            hits.update(r["rule"] for r in full.removed if r["rule"] == TEMPLATE_RULE)
            for key in ("exact", "near", "near_mh", "story_mh", "terms", "lead", "term_lines", "dateline", "words"):
                if key in full.work:
                    slim.work[key] = full.work[key]
            store_arrays(slim, holder)
            slim.work["removed_count"] = len(full.removed)
        if not full.ok:
            slim.reject(full.error)
        # Stored again, as written out: what templates removed or flagged (lines kept).
        slim.work["spool"] = holder.put(full)
    return out, len(reused)


def run_documents(docs: Iterable[Document], cfg: Config, workers: int = 1,
                  progress: Progress | None = None, stages: Stages | None = None,
                  spool: bool | Spool = False, spool_dir: str | None = None) -> RunResult:
    """The whole pipeline over a stream of documents.

    With `spool`, whole documents go to a temporary file (or the given Spool, such as a
    resumable Checkpoint) as the workers finish them and memory holds signatures only
    (call `close()` on the result when done with it)."""
    stages = stages if stages is not None else build_stages(cfg)
    stages.templates.reset()
    holder = spool if isinstance(spool, Spool) else (Spool(spool_dir) if spool else None)
    resumed = 0
    timings: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    start = time.perf_counter()
    # Signing runs in the workers too; the few documents that templates change are re-signed.
    if holder:
        out, resumed = _spooled(docs, stages, workers, timings, hits, progress, holder)
    else:
        out = _in_memory(docs, stages, workers, timings, hits, progress)
    timings["per_document_wall"] = time.perf_counter() - start
    make_ids_unique(out)
    start = time.perf_counter()
    steps: dict[str, float] = {}
    records = cluster(out, cfg, timings=steps, free=True, store=holder)
    timings["cluster"] = time.perf_counter() - start
    timings.update({f"cluster.{k}": v for k, v in steps.items()})
    for doc in out:
        doc.work = {"spool": doc.work["spool"]} if holder else {}
    out.sort(key=Document.sort_key)
    return RunResult(out, records, {k: round(v, 4) for k, v in sorted(timings.items())}, hits,
                     holder, resumed)
