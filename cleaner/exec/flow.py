"""The one driver of the flow, whatever runs the stages and wherever documents are kept:

    read -> [executor: parse, extract, boilerplate, language, sign] -> store (+ slim copy)
         -> templates: observe every slim copy, decide, apply to the few it touches (re-sign)
         -> unique ids -> cluster the slim copies into records -> RunResult

The CLI passes a Spool (documents on disk, or a resumable Checkpoint), the Python API
and the benches a MemoryStore; the executor is a loop or local worker processes
(exec/local.py). Clustering sees only each document's Features (core/features.py).
"""

from __future__ import annotations

import importlib
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, TypeVar

from cleaner.core.config import Config
from cleaner.core.document import Document, Stored, share_fields
from cleaner.core.features import ARRAY_FIELDS, copy_with, raw_array, share_terms
from cleaner.core.stage import safe_process
from cleaner.dedup.ids import make_ids_unique
from cleaner.core.protocols import DocStore, Executor
from cleaner.exec.dask_corpus import store_keys
from cleaner.exec.local import LocalExecutor
from cleaner.exec.memory import fewer_full_collections, release_free_memory
from cleaner.inspect.report_rows import StoredPieces, stored_pieces
from cleaner.stages.build import Stages, build_stages
from cleaner.stages.templates import RULE_ID as TEMPLATE_RULE
from cleaner.stages.templates import Templates
from cleaner.store.checkpoint import InputKey, input_key
from cleaner.store.memory import MemoryStore
from cleaner.store.spool import Spool

if TYPE_CHECKING:  # imported by the callers that pass one (cli, api): the flow never builds it
    from cleaner.dedup.cluster import Record
    from cleaner.dedup.incremental import IncrementalClusterer

Progress = Callable[[int], None]
R = TypeVar("R")

# Clustering's modules (dedup/cluster.py and, through it, stories, term_weights, their regexes:
# ~0.02-0.03 s) are imported once the executor's first result is in, while the workers run,
# not at the flow's import, where they were part of a run's serial start.
CLUSTERING = "cleaner.dedup.cluster"


def _clustering() -> ModuleType:
    return importlib.import_module(CLUSTERING)  # once imported, a dict look-up


def pack(doc: Document, templates: Templates, store: DocStore, keyed: bool = False,
         keys_in_store: bool = False) -> Document:
    """Store a processed document; return the copy memory keeps.

    With a spool, done where the document was processed (each worker writes its own
    segment), so the main process never holds or passes on a whole one: the slim copy
    keeps features, metadata, the rule ids it removed and its template line keys. With
    `keyed` (a checkpoint), the entry that lets a resumed run skip this input goes in the
    same write. A memory store keeps the document itself. With `keys_in_store` (templates
    decided on a cluster, exec/dask_corpus.py), the template line keys go to the store too
    and the slim copy keeps their reference."""
    # An array of uint64, not a list: 8 bytes a key in the main process instead of ~40.
    stored = Stored(hits=[r["rule"] for r in doc.removed], template_keys=array("Q", templates.line_keys(doc)))
    if not store.slims:
        doc.stored = stored
        stored.ref = store.put(doc)
        return doc
    key = doc.stored.input_key if doc.stored else None
    if keyed and key is None:
        # Rejected while read, so no stage (InputKey included) ran: it is still as read.
        key = input_key(doc)
    features = doc.features
    if features is not None:  # raw bytes: unpickling numpy objects costs far more
        raw: dict[str, Any] = {name: raw_array(getattr(features, name)) for name in ARRAY_FIELDS}
        features = copy_with(features, **raw)
    slim = copy_with(doc, text="", html=None, removed=[], flags=[], line_no=None, link_density=None,
                     features=features, stored=stored)
    # With an entry, put() stores the slim copy's arrays first and the entry points at them
    # (store/spool.py, CHECKPOINT_FORMAT): stored once, not pickled into the entry again.
    # `key is not None` only narrows the type: a keyed document got its key above.
    entry = (key, slim) if keyed and key is not None else None
    stored.ref = store.put(doc, entry)
    if keys_in_store:  # after put: a checkpoint's entry keeps the keys themselves
        stored.template_keys = store_keys(stored.template_keys, store)
    return slim if entry is not None else store_arrays(slim, store)


def store_arrays(slim: Document, store: DocStore) -> Document:
    """Move a slim document's array fields (shingles, MinHashes, packed line words:
    Features' ARRAY_FIELDS) to the store, keeping references."""
    if slim.features is not None:
        refs = store.put_arrays([getattr(slim.features, name) for name in ARRAY_FIELDS])
        for name, ref in zip(ARRAY_FIELDS, refs):
            setattr(slim.features, name, ref)
    return slim


def share_strings(slim: Document, terms: dict[str, str]) -> None:
    """One string object for each value slim copies repeat: each copy comes unpickled from a
    worker with its own (the source, status, language and its reason, the metadata's
    provenance notes: ~400 bytes a document), and salient terms (names repeat across
    stories). `terms`: the run's own table of the terms met so far (each term the first
    object met), not Python's interned strings: a run's table costs less than interning (a
    2-worker run on the references corpus met 148,084 terms, 8,317 of them distinct, and its
    main process spent ~0.1 s of its CPU in sys.intern while the workers ran: #18)."""
    share_fields(slim)  # core/document
    if slim.features is not None:
        share_terms(slim.features, terms)  # core/features


# Seconds per step are kept in a Counter (a step not seen yet counts 0, update() adds);
# typeshed types a Counter's counts as int, hence the ignores where seconds go in.
def _timed(timings: Counter[str], name: str, fn: Callable[..., R], *args: Any) -> R:
    start = time.perf_counter()
    result = fn(*args)
    timings[name] += time.perf_counter() - start  # type: ignore[assignment]  # seconds (see above)
    return result


@dataclass
class RunResult:
    """Documents (sorted by id) and records of a run.

    A spooled run (the CLI's) keeps only signatures and metadata in memory: `full(doc)`
    gives back a document with its text and audit trail, read from the spool."""

    documents: list[Document]
    records: list[Record]
    timings: dict[str, float] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    spool: Spool | None = None
    resumed: int = 0  # documents taken from an interrupted run's checkpoint

    def full(self, doc: Document) -> Document:
        if self.spool is None or doc.stored is None:
            return doc
        full = self.spool.get(doc.stored.ref)
        full.id, full.status, full.record_id, full.meta, full.error = doc.id, doc.status, doc.record_id, doc.meta, doc.error
        full.line_no = None
        return full

    def _parts(self, doc: Document) -> tuple[bytes, bytes, bytes]:
        if self.spool is None or doc.stored is None:
            return doc.json_parts()
        return self.spool.get_parts(doc.stored.ref)

    def document_lines(self, input_order: bool = False) -> Iterator[bytes]:
        """documents.jsonl, line by line (each `dump(full(doc).to_json())`, in UTF-8), in
        id order; with `input_order`, in the order read (a feed's or stdin's line order)."""
        docs = self.documents
        if input_order:
            docs = sorted(docs, key=lambda d: (d.source, d.line or 0, d.id))
        for doc in docs:
            yield doc.json_line(self._parts(doc))

    def report_pieces(self, doc: Document) -> StoredPieces:
        """What report.html needs of a document as stored (inspect/report_rows.py): kept
        encoded in a spool by whoever stored it; worked out here for a document in memory."""
        if self.spool is None or doc.stored is None:
            return stored_pieces(doc)
        return self.spool.get_report_pieces(doc.stored.ref)

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


def _apply_templates(doc: Document, stages: Stages, timings: Counter[str]) -> Document:
    """Template removal on a whole document; one whose text changed is signed again."""
    text = doc.text
    doc = _timed(timings, stages.templates.name, stages.templates.apply, doc)
    if doc.text is not text:
        doc = _timed(timings, stages.sign.name, safe_process, stages.sign, doc)
    return doc


def process_documents(docs: Iterable[Document], stages: Stages, executor: Executor, store: DocStore,
                      timings: Counter[str], hits: Counter[str], progress: Progress | None = None
                      ) -> tuple[list[Document], int]:
    """Every input through the per-document stages and templates, kept in `store`; returns
    the copies memory keeps (slim ones for a spool) and how many came from a checkpoint.

    Inputs a checkpoint already holds (an interrupted run's) are taken from it, not processed.
    An executor with a cluster (`decide_templates`) decides templates there, from the keys
    the workers put into the store."""
    templates = stages.templates
    remote = getattr(executor, "decide_templates", None) if store.slims else None
    done = getattr(store, "done", None)
    reused: list[Document] = []

    def todo() -> Iterator[Document]:
        for doc in docs:
            if done:  # resuming: look each input up here; otherwise workers key them
                key = input_key(doc)
                if key in done:
                    ref, slim = done.pop(key)  # popped: an input listed twice is processed twice
                    slim.stored.ref = ref
                    reused.append(slim)
                    continue
                doc.stored = Stored(input_key=key)
            yield doc

    def received() -> Iterator[Document]:
        keep = partial(pack, templates=templates, store=store, keyed=done is not None,
                       keys_in_store=remote is not None)
        # The key first: it names the input as read, before parsing or any stage changes it.
        steps = ([InputKey()] if done is not None else []) + stages.mapped()
        in_workers = store.slims  # workers put into it themselves; else documents come back whole
        first = True
        for item, spent in executor.map(todo(), steps, keep if in_workers else None):
            if first:  # the workers are busy now: import what clustering needs meanwhile
                first = False
                _clustering()
            timings.update(spent)
            # The executor yields what `keep` returned (a slim copy), else the document.
            assert isinstance(item, Document)
            yield item if in_workers else keep(item)
        yield from reused  # their arrays are where the interrupted run stored them

    out = []
    terms: dict[str, str] = {}  # this call's salient terms, each one object (share_strings)
    for slim in received():
        assert slim.stored is not None  # pack() gave every copy one; a checkpoint's kept its own
        hits.update(slim.stored.hits)
        slim.stored.hits = []
        share_strings(slim, terms)
        if remote is None:
            templates.observe_keys(slim, slim.stored.template_keys)
        elif isinstance(slim.stored.template_keys, (list, array)):  # a checkpoint's: its keys, not a reference
            slim.stored.template_keys = store_keys(list(slim.stored.template_keys), store)
        out.append(slim)
        if progress is not None:
            progress(len(out))
    touched = None
    if remote is None:
        templates.decide(store)
    else:
        touched = remote(templates, out, store)
    for pos, slim in enumerate(out):
        assert slim.stored is not None  # as above
        keys, slim.stored.template_keys = slim.stored.template_keys, None
        if not (templates.touches(slim, keys) if touched is None else pos in touched):
            continue
        # Templates act on this one: redo its tail on the whole document, keep it slim.
        before = slim.features.removed if slim.features else 0
        full = _apply_templates(store.get(slim.stored.ref), stages, timings)
        if len(full.removed) != before:
            hits.update(r["rule"] for r in full.removed if r["rule"] == TEMPLATE_RULE)
            if full.features is not None and full is not slim:  # re-signed (its text changed)
                slim.features = full.features
                store_arrays(slim, store)
            if slim.features is not None:
                slim.features.removed = len(full.removed)
        if not full.ok:
            assert full.error is not None  # Document.reject always gives a reason
            slim.reject(full.error)
        # Stored again, as written out: what templates removed or flagged (lines kept).
        slim.stored.ref = store.put(full)
    return out, len(reused)


def run_documents(docs: Iterable[Document], cfg: Config, workers: int = 1,
                  progress: Progress | None = None, stages: Stages | None = None,
                  spool: bool | Spool = False, spool_dir: str | None = None,
                  executor: Executor | None = None, clusterer: IncrementalClusterer | None = None,
                  label: str = "") -> RunResult:
    """The whole pipeline over a stream of documents.

    With `spool`, whole documents go to a temporary file (or the given Spool, such as a
    resumable Checkpoint) as the workers finish them and memory holds signatures only
    (call `close()` on the result when done with it); without, they stay in memory.
    With `clusterer` (dedup/incremental.IncrementalClusterer), the documents are one batch
    clustered against its state (committed before this returns), and the result's records
    are the ones they are in."""
    with fewer_full_collections():  # the slim copies would be walked again and again (exec/memory.py)
        return _run_documents(docs, cfg, workers, progress, stages, spool, spool_dir, executor, clusterer, label)


def _run_documents(docs: Iterable[Document], cfg: Config, workers: int, progress: Progress | None,
                   stages: Stages | None, spool: bool | Spool, spool_dir: str | None, executor: Executor | None,
                   clusterer: IncrementalClusterer | None, label: str) -> RunResult:
    stages = stages if stages is not None else build_stages(cfg)
    stages.templates.reset()
    executor = executor or LocalExecutor(workers, cpu_time=cfg["run"]["cpu_time"])
    holder = spool if isinstance(spool, Spool) else (Spool(spool_dir) if spool else None)
    store = holder if holder is not None else MemoryStore()
    timings: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    start = time.perf_counter()
    out, resumed = process_documents(docs, stages, executor, store, timings, hits, progress)
    timings["per_document_wall"] = time.perf_counter() - start  # type: ignore[assignment]  # seconds (_timed)
    make_ids_unique(out)
    from cleaner.dedup.cluster import cluster, load_line_words  # imported while the workers ran (CLUSTERING)

    start = time.perf_counter()
    steps: dict[str, float] = {}
    if clusterer is None:
        # An executor with a cluster groups the band keys there (exec/dask_bands.py), reading
        # signatures from the spool; the leader pass here walks the groups it returns.
        near = getattr(executor, "near_candidates", None) if holder is not None else None
        candidates = None
        if near is not None:
            begin = time.perf_counter()
            candidates = near(out, cfg, holder)
            steps["candidates"] = time.perf_counter() - begin
        # ...and computes the story tier's edges and components there (exec/dask_stories.py).
        stories = getattr(executor, "story_runner", None)
        records = cluster(out, cfg, timings=steps, free=True, store=holder, candidates=candidates,
                          stories=stories() if stories is not None else None)
    else:
        load_line_words(out, holder)  # a state's batch: its clusterer reads them as bytes
        records = clusterer.add(out, store=holder if holder is not None else None, label=label)
    timings["cluster"] = time.perf_counter() - start  # type: ignore[assignment]  # seconds (_timed)
    timings.update({f"cluster.{k}": v for k, v in steps.items()})
    for doc in out:  # clustering is done: only the way back to each whole document stays
        doc.features = None
        if holder:
            assert doc.stored is not None  # process_documents stored every document
            doc.stored = Stored(ref=doc.stored.ref)
        else:
            doc.stored = None
    # What clustering freed (the features, the story tier's tables) lies in heaps writing
    # cannot reuse, most in the arena of the pool's result thread, which unpickled the
    # slim copies: handed back here, writing does not grow the process past it.
    release_free_memory()
    out.sort(key=Document.sort_key)
    return RunResult(out, records, {k: round(v, 4) for k, v in sorted(timings.items())}, hits,
                     holder, resumed)
