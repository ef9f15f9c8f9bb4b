"""What a pipeline step is: a `process(doc)` for one document and a `run(docs)` over a stream.

Modelled on datatrove's `run()` that takes and yields documents, kept smaller: a stage holds
only its settings, so the same object runs in a loop, in worker processes (it pickles), or
inside another engine that calls `process` per record. Rejected documents pass through
untouched so that every input reaches the output.
"""

from __future__ import annotations

import os
from typing import Iterable, Iterator

from cleaner.core.document import Document


class Stage:
    name = "stage"

    def process(self, doc: Document) -> Document:  # pragma: no cover - interface
        raise NotImplementedError

    def setup(self) -> None:
        """Load what processing needs (models, tables): called once per process before
        `process`, and before worker processes fork, so that they share one copy instead
        of each loading its own. Must be idempotent."""

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            yield safe_process(self, doc)


class InputProblem(Exception):
    """Raised by a stage for a document it cannot handle: it becomes the document's
    rejection, with this message as the reason."""


# What input alone can make any stage raise: too big for memory, nested too deep.
INPUT_FAILURES = (InputProblem, MemoryError, RecursionError)
# Set (to anything) by `cleaner run --strict`, and by the test suite: a programming error
# in a stage then stops the run instead of becoming one more rejection.
STRICT_ENV = "CLEANER_STRICT"


class StageBug(Exception):
    """A stage raised something no input should cause (a bug), under strict mode."""


def safe_process(stage: Stage, doc: Document) -> Document:
    """`stage.process(doc)`, with a failure the input caused turned into a rejection: one
    bad document must not stop the run.

    Any other exception is a bug. By default it still rejects only this document (the
    reason says it is an internal error); under strict mode (`STRICT_ENV`, which the
    tests set) it raises StageBug, so bugs fail tests and `--strict` runs instead of
    hiding among rejections with exit 0."""
    if not doc.ok:
        return doc
    try:
        return stage.process(doc)
    except INPUT_FAILURES as exc:
        said = str(exc)[:300]
        if isinstance(exc, MemoryError):
            # Python's MemoryError says nothing ("extract failed: MemoryError: "): a memory limit
            # reached while this document was processed (ulimit -v, a container's) rejects it
            # as a document too large for the memory there does; the reason says so (review-25).
            said = ("out of memory processing this document (a memory limit, or a document too large "
                    "for it)" + (f": {said}" if said else ""))
        return doc.reject(f"{stage.name} failed: {type(exc).__name__}: {said}")
    except Exception as exc:
        what = f"{type(exc).__name__}: {str(exc)[:300]}"
        if os.environ.get(STRICT_ENV):
            raise StageBug(f"{stage.name} failed on {doc.source}: {what}") from exc
        return doc.reject(f"{stage.name} failed (internal error, a bug: please report it): {what}")
