"""What a pipeline step is: a `process(doc)` for one document, a `process_batch(docs)` for an
executor's batch of them, and a `run(docs)` over a stream.

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

    def process_batch(self, docs: list[Document]) -> list[Document]:
        """`process` over each of `docs` (all ok), in order: what an executor calls with its
        batch (exec/local.py, BATCH). A stage whose work is cheaper over many documents at
        once (numpy's per-call cost paid once a batch: stages/language/detect.py) overrides
        it with one that gives each document exactly what `process` would. If it raises,
        `safe_process_batch` processes the batch again a document at a time, so an override
        must change no document before it has every answer."""
        return [self.process(doc) for doc in docs]

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


def safe_process_batch(stage: Stage, docs: list[Document]) -> list[Document]:
    """safe_process over each of `docs`, through `stage.process_batch` where the stage has
    its own: the same documents, rejections and strict-mode errors. Documents no longer ok
    pass through untouched. If the batch call raises, each document is processed again
    alone (`safe_process`): a document that fails is rejected alone, never its batch; under
    strict mode, a failure of the batch call that no document alone repeats is a StageBug."""
    todo = [k for k, doc in enumerate(docs) if doc.ok]
    if type(stage).process_batch is Stage.process_batch or len(todo) < 2:
        return [safe_process(stage, doc) for doc in docs]
    out = list(docs)
    try:
        done = stage.process_batch([docs[k] for k in todo])
        if len(done) != len(todo):
            raise ValueError(f"{len(done)} documents back from a batch of {len(todo)}")
    except Exception as exc:
        out = [safe_process(stage, doc) for doc in docs]
        if os.environ.get(STRICT_ENV) and not isinstance(exc, INPUT_FAILURES):
            raise StageBug(f"{stage.name} failed on a batch of {len(todo)} documents, and on none of "
                           f"them alone: {type(exc).__name__}: {str(exc)[:300]}") from exc
        return out
    for k, doc in zip(todo, done):
        out[k] = doc
    return out
