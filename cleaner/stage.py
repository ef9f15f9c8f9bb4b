"""What a pipeline step is: a `process(doc)` for one document and a `run(docs)` over a stream.

Modelled on datatrove's `run()` that takes and yields documents, kept smaller: a stage holds
only its settings, so the same object runs in a loop, in worker processes (it pickles), or
inside another engine that calls `process` per record. Rejected documents pass through
untouched so that every input reaches the output.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from .document import Document


class Stage:
    name = "stage"

    def process(self, doc: Document) -> Document:  # pragma: no cover - interface
        raise NotImplementedError

    def prepare(self) -> None:
        """Load what processing needs (models, tables) now: called before worker processes
        fork, so they share one copy instead of each loading its own."""

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            yield safe_process(self, doc)


def safe_process(stage: Stage, doc: Document) -> Document:
    """`stage.process(doc)`, with any failure turned into a rejection: one bad document
    must not stop the run."""
    if not doc.ok:
        return doc
    try:
        return stage.process(doc)
    except Exception as exc:
        return doc.reject(f"{stage.name} failed: {type(exc).__name__}: {str(exc)[:300]}")
