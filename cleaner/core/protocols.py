"""The seams between stages, storage and execution, as short protocols. Each has one
implementation or two today; the next (persistent state, Dask) implement the same.

- Stage (core/stage.py): per document, `setup()` once per process, then `process(doc)`, or
  `process_batch(docs)` for an executor's batch (by default `process` each).
- CorpusStage: statistics that merge across partitions, one decision, then `apply`
  (stages/templates.py).
- DocStore: where processed documents wait while the corpus is decided (store/memory.py,
  store/spool.py, store/checkpoint.py).
- CandidateIndex: candidate pairs for the near-duplicate tier (dedup/bands.py; dedup/groups.py,
  probed by document, from band keys grouped on a cluster).
- Executor: maps the per-document stages over a stream (exec/local.py, exec/dask_engine.py).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Callable, ClassVar, Iterable, Iterator, Protocol

from cleaner.core.document import Document


class CorpusStage(Protocol):
    name: str

    def observe_keys(self, doc: Document, keys: list[int]) -> None:
        """Count one document (a slim copy suffices) with the keys computed where its text was."""

    def merge(self, other: Any) -> None:
        """Add the statistics another instance observed on another partition."""

    def decide(self) -> None:
        """Once, after every document was observed (and partitions merged)."""

    def touches(self, doc: Document, keys: list[int]) -> bool:
        """Would `apply` change this document? Only those are read back whole."""

    def apply(self, doc: Document) -> Document:
        """The decision, applied to one whole document."""


class DocStore(Protocol):
    # True: the store is reachable from every worker, which puts documents into it, and the
    # flow keeps slim copies in memory; False: the flow keeps and puts whole documents.
    slims: bool

    def put(self, doc: Document, entry: tuple[str, Document] | None = None) -> Any:
        """Keep a processed document (and, in a checkpoint, its entry); returns its reference.
        A store that keeps entries stores the entry's slim copy's arrays too (put_arrays) and
        leaves their references in its array fields (store/spool.Spool.put)."""

    def get(self, ref: Any) -> Document: ...

    def get_parts(self, ref: Any) -> tuple[bytes, bytes, bytes]:
        """The document's encoded documents.jsonl row parts (Document.json_parts)."""

    def put_arrays(self, arrays: list[Any]) -> list[Any]: ...

    def get_array(self, ref: Any) -> Any: ...

    def close(self, keep: bool = False) -> None: ...


class CandidateIndex(Protocol):
    def insert(self, idx: int, signature: Any) -> None: ...

    def query(self, signature: Any) -> set[int]:
        """Indices inserted before whose signatures may be within the threshold."""


class Executor(Protocol):
    def map(self, docs: Iterable[Document], stages: list[Any],
            finish: Callable[[Document], object] | None = None) -> Iterator[tuple[object, dict[str, float]]]:
        """(finish(doc) or doc, seconds per stage) for each document, in input order."""

    # close() has nothing left to do (the local pool ended with its map): exec/closing.Closing
    # calls it at once in this thread, not in a thread of its own (a Dask cluster's 1-2 s).
    closes_at_once: ClassVar[bool]

    def reaching(self) -> AbstractContextManager[None]:
        """Wraps a run's steps that use the engine: a Dask cluster lost is said in one line
        wherever the client meets it; the local engine's says its own (a null context)."""

    def close(self) -> None: ...
