"""A state's batch (dedup/incremental.py) on the worker processes' cores: the clustering
of a batch against a state runs in the main process, after the per-document stages, while
the workers wait. Its largest parts are work the workers can share, with the same
results: signing the copy tier's candidates again from their texts (their shingles:
`shingles_ahead`, the caller working beside the children), signing the story window's
canonicals again (their salient terms and term lines' words: restore_member), and the
story tier's two steps (edges by slices of rows, components by runs; the StoryRunner
protocol, as exec/dask_stories.py).

A pool of forked processes, for one step of one batch: each child starts with what the
step reads (the signing stage, or the story tier's canonicals and weights) as the parent
had it, so nothing is sent but row ranges, texts and components; results come back in
order (slices in row order, components in their order), so every float sum is the same
sequence of additions as in one process, and the rows are identical. With one worker,
where fork is missing, or for a step too small to gain (`MIN_TEXTS`, `MIN_ROWS`), the
step runs here as before. A child touches neither the state's connection nor its lock.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import pickle
import signal
import threading
from collections import deque
from contextlib import ExitStack, contextmanager
from typing import Any, Callable, Iterable, Iterator, cast

import numpy as np

from cleaner.dedup.stories import (Component, EdgeArrays, EdgeParts, Edges, InProcess, Linked, Shared, TermMatrix,
                                   Wording, component_runs, link_components, measured_locally, name_postings,
                                   story_edges)
from cleaner.dedup.term_weights import DocTerms
from cleaner.dedup.terms import tokens_apart
from cleaner.exec.local import (_HELD, WorkerError, _die_with_parent, _hold, _pool_class, _restore, _unhold, end_pool,
                                live_get, watch)
from cleaner.exec.memory import release_free_memory

MIN_TEXTS = 128  # texts to sign before a pool pays (~1-3 ms a text; a fork and a pool ~30-60 ms)
MIN_ROWS = 512  # story canonicals before the story tier's steps go to a pool
SLICE = 64  # rows per edge task at least (exec/dask_stories.py's reasoning)
TASKS = 8  # edge tasks per worker: early rows meet more pairs, so slices differ in cost
RUN = 256  # edges (plus documents) per component task at least
AHEAD = 8  # component tasks in flight per worker

# What a step's children read, set in the parent just before they fork (then inherited).
_given: Any = None
_view: dict[str, Any] = {}
# Set once ForkedStories(forget=True) has emptied the weights in `_given` (_forget): a child
# forked after (the pool replacing one that died while idle) inherits it and refuses the
# story tier's tasks (_unforgotten), which it would fail with an IndexError.
_forgotten = False
# Set by ForkedStories(apart=True) before its children fork: how a child makes the weights
# list its parent shares empty (the child fills it once, _unforgotten).
_weighing: Callable[[], list[DocTerms]] | None = None
# A state batch's children: how to pack the batch's document k's row (Helpers `packing`).
# (its slim copy, its text or None, its terms row or None: incremental._pack_row)
Packed = tuple[bytes, bytes | None, bytes | None]
_packing: Callable[[int, bool], Packed] | None = None


def _init(parent: int) -> None:
    # What the child inherited (the parent's documents, the state's tables, the step's
    # arrays) is never freed here: left out of the cyclic collector's walks, whose reference
    # counting writes to each object it visits copied the parent's pages one by one
    # (copy-on-write: ~7% of a state batch's page faults, ~37% of the read-ahead child's).
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C and stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _unhold(_HELD)
    _die_with_parent(parent)


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


@contextmanager
def forked_pool(workers: int, given: Any) -> Iterator[Any]:
    """A pool of `workers` forked processes that start with `given` (module `_given`), or
    None (one worker, no fork, or the system refused to fork: the caller works here)."""
    with _forked_pool(workers, given, workers) as pool:
        yield pool


@contextmanager
def _forked_pool(workers: int, given: Any, children: int) -> Iterator[Any]:
    """forked_pool with `children` processes (fewer than `workers`: the caller works beside them)."""
    global _given
    if workers < 2 or not can_fork():
        yield None
        return
    _given = given
    before = _hold(_HELD)  # no Ctrl-C inside a fork (exec/local._HELD)
    try:
        # The local executor's Pool, whose handler thread sleeps while results flow (local._pool_class).
        pool = watch(_pool_class()(children, initializer=_init, initargs=(os.getpid(),), context=mp.get_context("fork")))
    except OSError:
        pool = None
    finally:
        _restore(before)
    try:
        yield pool
    finally:
        _given = None
        if pool is not None:
            end_pool(pool)


# -- the window's texts signed again ---------------------------------------------------

Salient = tuple[list[str], list[str], bytes, str | None, bytes]


def _salient(job: tuple[str, str | None, str | None, str | None]) -> Salient:
    terms, lead, lines, dateline, words = _given.salient(*job)
    return terms, lead, lines, dateline, words


def salient_all(sign: Any, jobs: list[tuple[str, str | None, str | None, str | None]], workers: int,
                helpers: Helpers | None = None) -> list[Salient]:
    """sign.salient(text, date, title, lang) for each job, in order: on a pool when there
    are enough of them (`helpers`: the batch's children, with this process beside them)."""
    if len(jobs) >= MIN_TEXTS and helpers is not None:
        pool = helpers.pool()
        if pool is not None:
            ahead = SalientAhead(sign, pool, workers - 1)
            for start in range(0, len(jobs), CHUNK):
                ahead.add(jobs[start:start + CHUNK])
            return ahead.results()
    if len(jobs) >= MIN_TEXTS:
        with forked_pool(workers, sign) as pool:
            if pool is not None:
                return list(live_get(pool, pool.map_async(_salient, jobs, chunksize=max(8, len(jobs) // (4 * workers)))))
    return [sign.salient(*job) for job in jobs]


# -- the copy tier's candidates: their shingles signed again --------------------------

CHUNK = 16  # texts a task (~0.2-0.5 ms a text): small, so the caller can take the last ones itself
IN_FLIGHT = 2  # tasks a child holds at most: the rest wait here, for whichever process is free first


def _near(texts: list[str]) -> list[np.ndarray]:
    return [_given.near_shingles(text) for text in texts]


def shingles_ahead(sign: Any, chunks: Iterable[list[str]], workers: int,
                   helpers: Helpers | None = None) -> list[np.ndarray]:
    """sign.near_shingles(text) for each text of `chunks`, in order, on `workers` cores:
    `workers` - 1 forked children and the caller. `chunks` is made by the caller as it goes
    (the copy tier reading its candidates from the state, and finding the next ones): the
    children are fed from the pool's result thread (ChunksAhead), so they keep signing
    while the caller is inside a statement (a look-ahead's band rows: 0.08 s a slice
    against 200,000 documents, when the caller fed them between chunks only, they waited);
    once it has read all, it signs the waiting chunks from the last while the children
    take them from the first. The pool is forked once `MIN_TEXTS` texts are waiting; fewer
    are signed here. `helpers`: the batch's children (forked there, if not yet, and kept
    for its later steps), else a pool of this call's."""
    def here(texts: list[str]) -> list[np.ndarray]:
        return [sign.near_shingles(text) for text in texts]

    waiting: list[list[str]] = []  # chunks before the pool is forked (or when there is none)
    with ExitStack() as stack:
        pool: Any = None  # None: not forked yet; False: no pool (one worker, no fork)
        ahead: ChunksAhead | None = None
        for chunk in chunks:
            if ahead is not None:
                ahead.add(chunk)
                continue
            waiting.append(chunk)
            if pool is None and sum(len(texts) for texts in waiting) >= MIN_TEXTS:
                pool = (helpers.pool() if helpers is not None else
                        stack.enter_context(_forked_pool(workers, sign, workers - 1))) or False
                if pool:
                    ahead = ChunksAhead(pool, workers - 1, _near, here)
                    for texts in waiting:
                        ahead.add(texts)
                    waiting = []
        if ahead is not None:
            return cast(list[np.ndarray], ahead.results())
    return [shingles for texts in waiting for shingles in here(texts)]


# -- one batch's children, for its signing steps -------------------------------------


class Helpers:
    """The `workers` - 1 forked children of one state batch, given the signing stage:
    forked when a step first asks for them (`pool`), kept for the batch's later signing
    steps (the copy tier's candidates, then the story window's canonicals: one fork where
    there were two), ended by `close`. None from `pool`: no children (one worker, no fork).
    `packing(k, with_text)`: the state row of the batch's document k (its slim copy and
    text, packed: incremental._pack_row), which the children compute from the documents
    as they were when forked (PackAhead)."""

    def __init__(self, sign: Any, workers: int, packing: Callable[[int, bool], Packed] | None = None):
        self.sign, self.workers, self.packing = sign, workers, packing
        self._stack = ExitStack()
        self._pool: Any = None  # None: not forked yet; False: none to be had

    def pool(self) -> Any:
        global _packing
        if self._pool is None:
            _packing = self.packing  # inherited by the children forked now
            try:
                self._pool = self._stack.enter_context(_forked_pool(self.workers, self.sign, self.workers - 1)) or False
            finally:
                _packing = None
        return self._pool or None

    def forked(self) -> bool:
        """Whether the children are there (a step asked for them and they could be forked)."""
        return bool(self._pool)

    def close(self) -> None:
        self._pool = None
        self._stack.close()


def _salient_chunk(jobs: list[tuple[str, str | None, str | None, str | None]]) -> bytes:
    """A chunk's answers pickled as one bytes object (SalientAhead: unpickled by the caller
    once it has signed its own)."""
    return pickle.dumps([_salient(job) for job in jobs], protocol=pickle.HIGHEST_PROTOCOL)


class ChunksAhead:
    """`task(chunk)` (a module function, run on a pool's children) for chunks added one at a
    time (`add`), in order, started on the children at once and kept going while the caller
    does other work: each chunk a child returns sends it the next waiting one (from the
    pool's result thread), so the caller need not come back to feed them. `results`: the
    caller does the chunks still waiting itself (`here`, which gives what `task` gives),
    from the last (the children take theirs from the first), then waits for the children's.
    A chunk's answer is a list (one result a job) unless a subclass reads it (`_chunks`)."""

    def __init__(self, pool: Any, children: int, task: Callable[[list[Any]], Any], here: Callable[[list[Any]], Any]):
        self.pool, self.limit, self.task, self.here = pool, IN_FLIGHT * max(1, children), task, here
        self._lock = threading.Lock()
        self._waiting: deque[tuple[int, list[Any]]] = deque()
        self._done: list[Any] = []  # each chunk's answer (None until done)
        self._sent: list[Any] = []  # AsyncResults, collected by `results`
        self._in_flight = 0

    def add(self, jobs: list[Any]) -> None:
        with self._lock:
            self._waiting.append((len(self._done), jobs))
            self._done.append(None)
            self._feed()

    def _feed(self) -> None:  # with the lock held
        while self._waiting and self._in_flight < self.limit:
            number, jobs = self._waiting.popleft()
            try:
                task = self.pool.apply_async(self.task, (jobs,), callback=self._back, error_callback=self._back)
            except BaseException:
                self._waiting.appendleft((number, jobs))  # still waiting: `results` does it here
                raise
            self._in_flight += 1
            self._sent.append((number, task))

    def _back(self, _: Any) -> None:  # the pool's result thread: a chunk came back (or failed)
        with self._lock:
            self._in_flight -= 1
            try:
                self._feed()
            except ValueError:  # the pool was ended (the batch failed): nothing more is sent
                pass

    def results(self) -> list[Any]:
        return [found for chunk in self._chunks() for found in chunk]

    def _chunks(self) -> list[Any]:
        """Each chunk's answer, in order (results, before they are joined)."""
        while True:
            with self._lock:
                if not self._waiting:
                    break  # nothing more is sent: every chunk sent is in _sent
                number, jobs = self._waiting.pop()
            self._done[number] = self.here(jobs)
        for number, task in self._sent:
            self._done[number] = live_get(self.pool, task)  # a child's error is raised here
        done, self._done, self._sent = self._done, [], []  # held by the caller alone from now
        return [chunk for chunk in done if chunk is not None]


def _pack_chunk(jobs: list[tuple[int, bool]]) -> list[Packed]:
    assert _packing is not None  # forked by a Helpers given its packing
    return [_packing(k, with_text) for k, with_text in jobs]


class PackAhead(ChunksAhead):
    """`packing(k, with_text)` for jobs (k, with_text) added a chunk at a time (ChunksAhead),
    on the children of a Helpers given that packing: a state batch's rows, packed (pickled,
    compressed; a canonical's text ~0.2 ms) while the caller reads the story window, where
    this process packed each as it wrote it."""

    def __init__(self, packing: Callable[[int, bool], Packed], pool: Any, children: int):
        super().__init__(pool, children, _pack_chunk, lambda jobs: [packing(k, with_text) for k, with_text in jobs])

    def results(self) -> list[Packed]:
        return cast(list[Packed], super().results())


class SalientAhead(ChunksAhead):
    """sign.salient(text, date, title, lang) for jobs added a chunk at a time (ChunksAhead):
    the story window's canonicals, signed while the caller writes the batch's rows.

    Each chunk's answers are kept pickled (one bytes object a chunk, the children's and the
    caller's alike) until every chunk is signed and the caller's token cache is let go, and
    only then made into objects: made as they came, the answers (terms, lines' words) were
    scattered among the signing's temporaries and the tokens classified apart (~3.5 MiB
    against 50,000 documents), and kept the allocator's arenas those left: against 50,000
    documents the caller signed ~1,100-1,400 of the window's 3,412 texts itself (as the
    children's pace has it), +5 pymalloc arenas of which +3.5 MB free blocks, held through
    the story tier's peak (#16 point 9). Made after, they fill those free blocks: the 50k
    probe's peak -2.3 MiB. Pickled and read again: ~10 us an answer."""

    def __init__(self, sign: Any, pool: Any, children: int):
        super().__init__(pool, children, _salient_chunk,
                         lambda jobs: pickle.dumps([sign.salient(*job) for job in jobs],
                                                   protocol=pickle.HIGHEST_PROTOCOL))

    def results(self) -> list[Salient]:
        # The chunks this process signs itself (`here`) classify their tokens apart: a window's
        # texts are not signed here again, and their tokens would stay through the story
        # tier's peak (#16 point 9).
        with tokens_apart():
            chunks = cast(list[bytes], self._chunks())
        found: list[Salient] = []
        for k, chunk in enumerate(chunks):
            found.extend(pickle.loads(chunk))
            chunks[k] = b""  # each chunk's bytes let go once read
        return found


# -- the story tier's steps --------------------------------------------------------------


def _unforgotten() -> Shared:
    """The story tier's shared data, in a child forked before its weights were let go."""
    if _forgotten:
        raise WorkerError("a worker process died (its replacement was forked after the story tier's weights "
                          "were let go)")
    shared = cast(Shared, _given)
    global _weighing
    if _weighing is not None:  # ForkedStories(apart=True): the weights are made here, once a child
        shared[1].extend(_weighing())
        _weighing = None
    return shared


def _edges(lo: int, hi: int) -> tuple[EdgeArrays, Wording]:
    shared = _unforgotten()
    if "postings" not in _view:  # once a child, for every slice it counts
        _view["postings"] = name_postings(shared[0], shared[2]["max_term_docs"])
        _view["matrix"] = TermMatrix(shared[1])
    wording: Wording = {}
    return story_edges(shared, range(lo, hi), _view["postings"], _view["matrix"], wording), wording


def _link(components: list[Component], wordings: list[Wording | None], edges: bool = True) -> list[Linked]:
    linked = link_components(_unforgotten(), components, wordings)
    # `edges` False: the caller keeps the clusters alone; the edges are not sent back (pickled
    # here, unpickled and held by the caller at its peak: ~6 MiB at 200,000 documents).
    return linked if edges else [(clusters, {}) for clusters, _ in linked]


def _wording_of(known: Wording, nodes: list[int], edges: Edges | EdgeParts) -> Wording:
    """The wording step 1 measured among a component's pairs (link_component's `wording`):
    by its edges, or, when it has more edges than `known` has pairs, `known`'s pairs with
    both ends among its nodes (every edge of it, and maybe pairs step 1 measured that are
    not edges: link_component asks for its edges' wording alone, so both answer it the same).
    Against 200,000 documents one component held 26,441 edges and `known` 3,853 pairs (a
    tuple an edge, made at the story tier's peak: #16 point 9)."""
    if len(edges) <= len(known):
        return {e: known[e] for e in edges if e in known}
    inside = set(nodes)
    return {e: w for e, w in known.items() if e[0] in inside and e[1] in inside}


class ForkedStories:
    """stories.StoryRunner on a pool of forked processes, for one link_stories call (a
    state's batch): the same functions as InProcess, on slices and runs, in order.
    `edges` False: link() hands back each component's clusters with no edges (link_stories'
    caller reads the clusters alone: a state's batch, #16 point 9); with no pool (fewer than
    MIN_ROWS canonicals) they come back as InProcess gives them. `forget`: once the children
    are forked with them and given the first step's tasks, the weights list handed to
    share() is emptied in this process (its caller reads none of it after: a state's batch).
    `let_go`: called where the weights are forgotten (`forget`, once the children are
    forked), before the trim: what else of the canonicals only the children read after
    (its caller's to say).
    `apart`: the weights are not made in this process at all (weights(): each child makes
    them from the canonicals and the term weights it starts with), unless no child forks."""

    edge_parts = True  # each component's edges come as arrays (stories.EdgeParts): the child makes the dict

    def __init__(self, workers: int, edges: bool = True, forget: bool = False, apart: bool = False,
                 let_go: Callable[[], None] | None = None):
        self.workers = workers
        self.keep_edges = edges
        self.forget = forget
        self.let_go = let_go
        self.apart = apart
        self._make: Callable[[], list[DocTerms]] | None = None  # weights()'s, until share() forks
        self._shared: Shared | None = None  # share()'s, while its weights are to be forgotten (forget)
        self._pool: Any = None
        self._context: Any = None
        # The shared wording of each pair step 1 measured (the slices' Wording, merged), sent
        # with the components that re-measure their pairs on local weights (link_component):
        # a child does not compare those pairs' lines again (~44% of step 2's similarity work).
        self._wording: Wording = {}

    def weights(self, n: int, make: Callable[[], list[DocTerms]]) -> list[DocTerms]:
        """stories.WeighsApart: with `apart`, for a step that will fork (MIN_ROWS), an empty
        list that each child fills with make() (_unforgotten): the DocTerms of the window's
        canonicals (~1.2 KB a window group, ~4 MiB against 50,000 documents) are never made
        in this process, nor interleaved here with what outlives them (#16 point 9). Each
        child makes all of them (the TermMatrix of step 1 reads every row)."""
        if self.apart and n >= MIN_ROWS and self.workers > 1 and can_fork():
            self._make = make
            return []
        return make()

    def share(self, shared: Shared) -> object:
        global _weighing
        make, self._make = self._make, None
        if len(shared[0]) >= MIN_ROWS:
            _weighing = make
            self._context = forked_pool(self.workers, shared)
            self._pool = self._context.__enter__()
        if self._pool is None and make is not None:  # no child forked after all: made here
            _weighing = None
            shared[1].extend(make())
        self._shared = shared if self.forget and self._pool is not None else None
        return shared

    def _forget(self) -> None:
        """Each canonical's DocTerms (~1.2 KB a window group) is the children's alone once
        they are forked: freed in this process, and its pages handed back, before the steps'
        arrays and results arrive at the story tier's peak (#16 point 9: the tier's rise at
        200,000 documents ~18 -> ~13 MiB). Done while the children count the first step's
        edges (here it delayed their tasks by the frees and the trim). A child forked later
        (the pool replacing a dead one) would see none: a death fails the batch
        (local.live_get) all the same. With `apart` the list is empty already (the children
        made it): what is freed here is what `let_go` lets go of."""
        global _forgotten
        if self._shared is not None:
            _forgotten = True  # before the list is emptied: a child forked from now on refuses
            self._shared[1].clear()
            self._shared = None
            if self.let_go is not None:
                self.let_go()
                self.let_go = None
            release_free_memory()

    def edges(self, shared: object, n: int) -> EdgeArrays:
        if self._pool is None:
            return InProcess().edges(shared, n)
        size = max(SLICE, -(-n // (TASKS * self.workers)))
        task = self._pool.starmap_async(_edges, [(lo, min(n, lo + size)) for lo in range(0, n, size)], chunksize=1)
        self._forget()
        slices = live_get(self._pool, task)
        if not slices:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.float64)
        for _, wording in slices:
            self._wording.update(wording)
        left, right, sims = zip(*(arrays for arrays, _ in slices))
        return np.concatenate(left), np.concatenate(right), np.concatenate(sims)

    def link(self, shared: object, components: Iterator[Component]) -> Iterator[Linked]:
        if self._pool is None:
            yield from InProcess().link(shared, components)
            return
        pending: deque[Any] = deque()
        known, story = self._wording, cast(Shared, shared)[2]
        for run in component_runs(components, RUN):
            wordings = [_wording_of(known, nodes, edges) if measured_locally(story, len(nodes))
                        else None for nodes, edges in run]  # every edge step 1 measured: the rest left out none
            pending.append(self._pool.apply_async(_link, (run, wordings, self.keep_edges)))
            while len(pending) > AHEAD * self.workers:
                yield from live_get(self._pool, pending.popleft())
        while pending:  # in submission order: the components' order
            yield from live_get(self._pool, pending.popleft())

    def release(self, shared: object) -> None:
        global _forgotten, _weighing
        _weighing = None
        self._wording = {}
        self._shared = None
        context, self._context, self._pool = self._context, None, None
        if context is not None:
            context.__exit__(None, None, None)
        _forgotten = False  # the pool is ended: the next one's children get their weights
