"""The story tier's two steps (dedup/stories.link_stories) on the Dask cluster.

The client sends each copy group's canonical once, as the story tier reads it (its names,
lead, dateline, date, and its weighted terms with their line words: `_pack`), broadcast to
every worker. Then:
- edges: each task counts a slice of rows (stories.story_edges with `rows`), against the
  name postings its worker builds once from the broadcast; the client concatenates the
  slices' (i, j, similarity) arrays in slice order, which is the order one pass gives;
- components: the client lists the connected components (stories.story_components: a
  sparse graph of the edges, cheap) and sends runs of consecutive components with their
  edges; each task clusters its run (stories.link_components), and the client takes the
  results run after run, so clusters and edges come back in component order and every
  float sum is the same sequence of additions as in one process.

The functions the workers run are the local engine's own; only where they run differs.
A task whose worker dies runs again elsewhere (the broadcast is on every worker), and a
worker that has not seen this run's broadcast unpacks it on its first task.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Iterator
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from cleaner.core.document import Document
from cleaner.core.features import Features
from cleaner.dedup.stories import (Component, EdgeArrays, Linked, Shared, TermMatrix, component_runs, link_components,
                                   name_postings, story_edges)
from cleaner.dedup.term_weights import DocTerms, features
from cleaner.dedup.terms import LineWords
from cleaner.exec.dask_engine import LOST, lost

SLICE = 64  # rows per edge task at least: a row costs ~0.2-5 ms, a task ~1-5 ms to schedule
TASKS = 8  # edge tasks per worker at most: early rows meet more pairs (j > i), so slices differ in cost and more of them even the workers out
RUN = 256  # edges (plus documents) per component task at least: ~0.1 s of local weights and linkage
AHEAD = 8  # component tasks in flight per worker: bounds what the client holds

# One canonical as the story tier reads it: id, date, terms, lead, dateline; its term
# weights, their lines, their total, its packed line words and the wording overlap.
Packed = tuple[str, str | None, tuple[str, ...], tuple[str, ...], str | None,
               dict[str, float], dict[str, int], float, bytes, float]


def _pack(doc: Document, terms: DocTerms) -> Packed:
    f = features(doc)
    values = terms.line_words.values
    return (doc.id, doc.date, f.terms, f.lead, f.dateline, terms.weights, terms.lines, terms.total,
            b"" if values is None else bytes(values), terms.overlap)


def _unpack(packed: list[Packed], story: dict[str, Any]) -> Shared:
    reps: list[Document] = []
    weights: list[DocTerms] = []
    for doc_id, date, terms, lead, dateline, w, lines, total, line_words, overlap in packed:
        reps.append(Document(doc_id, "", date=date,
                             features=Features("", None, None, None, terms=terms, lead=lead, dateline=dateline,
                                               line_words=line_words)))
        weights.append(DocTerms(w, lines, total, LineWords(line_words, terms), overlap))
    return reps, weights, story


class _View:
    """In a worker: one run's broadcast unpacked, and its name postings and term matrix
    once built."""

    def __init__(self, shared: Shared):
        self.shared = shared
        self.postings: dict[str, npt.NDArray[np.uint32]] | None = None
        self.matrix: TermMatrix | None = None


_views: dict[str, _View] = {}  # in a worker: by the run's token (the latest run's only)
Job = tuple[str, list[Packed], dict[str, Any]]
Handle = tuple[str, Any]  # the run's token, and the future of its broadcast Job


def _view(job: Job) -> _View:
    token, packed, story = job
    view = _views.get(token)
    if view is None:
        _views.clear()  # an earlier run's canonicals: done with (or abandoned)
        view = _views[token] = _View(_unpack(packed, story))
    return view


def _edges(job: Job, lo: int, hi: int) -> EdgeArrays:
    """On a worker: the edges of rows lo..hi-1."""
    view = _view(job)
    if view.postings is None:
        view.postings = name_postings(view.shared[0], view.shared[2]["max_term_docs"])
        view.matrix = TermMatrix(view.shared[1])
    return story_edges(view.shared, range(lo, hi), view.postings, view.matrix)


def _link(job: Job, components: list[Component]) -> list[Linked]:
    """On a worker: a run of components clustered, in order."""
    return link_components(_view(job).shared, components)


def _forget(token: str) -> None:
    _views.pop(token, None)


class ClusterStories:
    """stories.StoryRunner on a Dask client: the edges and the components on the workers."""

    def __init__(self, client: Any, workers: int, scheduler: str | None = None):
        self.client, self.workers, self.scheduler = client, workers, scheduler

    def _result(self, future: Any) -> Any:
        try:
            return future.result()
        except LOST as exc:  # a task's own error passes through
            raise lost(exc, self.scheduler) from None

    def share(self, shared: Shared) -> object:
        reps, weights, story = shared
        token = secrets.token_hex(8)
        try:
            # Broadcast: the client sends it once, the workers copy it from each other.
            job = self.client.scatter([(token, [_pack(d, w) for d, w in zip(reps, weights)], story)],
                                      broadcast=True, hash=False)[0]
        except LOST as exc:
            raise lost(exc, self.scheduler) from None
        return token, job

    def edges(self, shared: object, n: int) -> EdgeArrays:
        _, job = cast(Handle, shared)
        size = max(SLICE, -(-n // (TASKS * self.workers)))
        parts = [self.client.submit(_edges, job, lo, min(n, lo + size), pure=False) for lo in range(0, n, size)]
        slices = [self._result(future) for future in parts]  # in row order
        if not slices:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.float64)
        left, right, sims = zip(*slices)
        return np.concatenate(left), np.concatenate(right), np.concatenate(sims)

    def link(self, shared: object, components: Iterator[Component]) -> Iterator[Linked]:
        _, job = cast(Handle, shared)
        pending: deque[Any] = deque()
        for run in component_runs(components, RUN):
            pending.append(self.client.submit(_link, job, run, pure=False))
            while len(pending) > AHEAD * self.workers:
                yield from self._result(pending.popleft())
        while pending:  # in submission order: the components' order
            yield from self._result(pending.popleft())

    def release(self, shared: object) -> None:
        token, _ = cast(Handle, shared)
        try:
            self.client.run(_forget, token)
        except LOST:  # the cluster is gone, and its workers' memory with it
            pass
