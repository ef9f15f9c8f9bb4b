"""Same-story linkage: average-linkage clustering of copy groups on their salient terms.

Outlets that retell one event share its names, numbers and dates, not its sentences.
Similarity is the weighted Jaccard of two documents' terms, each term weighed by its
rarity in general language and its place (title/lead) (term_weights.py): two reports that
share only "Russia", "Ukraine" and "President" share little. Pairwise, that signal is
still weak (see BENCHMARKS.md for its distribution on ECB+), so neither a pairwise
threshold nor single linkage separates events: single linkage chains them. Average
linkage merges two groups only when their *average* similarity over all cross pairs
reaches `story.threshold`; one far-off document pulls that average down, so a chain
A~B~C cannot glue two events together (the cluster-level criterion of issue #4).

Candidates come from an inverted index on the terms (exact, unlike MinHash LSH at a
Jaccard of 0.1, which would need nearly every band); terms printed by more than
`story.max_term_docs` documents are too common to propose pairs, but still count
in the similarity (the cost of a term is the square of its document count). Pairs dated
further apart than `story.date_window_days` count `story.outside_window_factor` times
their similarity (0: no edge); a dateline without a year ("ODESA, Dec 20") stands in for a
missing date, by day and month. Follow-up reports weeks later tell the same event, so
distance in time is evidence against a link, not a veto; the split step (average_linkage)
keeps two cohesive events apart.
Pairs with no edge count as similarity 0 in the averages.
"""

from __future__ import annotations

import heapq
import threading
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate, chain, repeat
from typing import Any, Protocol, Union, cast, runtime_checkable

import numpy as np
import numpy.typing as npt

from cleaner.core.config import Config
from cleaner.core.dates import story_gap
from cleaner.core.document import Document
from cleaner.dedup.terms import is_name
from cleaner.dedup.term_weights import DocTerms, TermWeights, doc_terms, features, similarity, similarity_given

# A merge tree (average_linkage): a leaf's id, or (left, right, cross average, left size,
# right size, left inside sum, right inside sum).
Tree = Union[int, tuple["Tree", "Tree", float, int, int, float, float]]


def doc_weights(docs: list[Document], weigh: TermWeights) -> list[DocTerms]:
    return [doc_terms(d, weigh) for d in docs]


def lead_names(a: Document, b: Document) -> list[str]:
    """Names (never numbers or dates) in both documents' titles or leads."""
    return sorted(t for t in set(features(a).lead).intersection(features(b).lead) if is_name(t))


def window_factor(a: Document, b: Document, window_days: int, outside: float) -> tuple[float, int | None]:
    """(what a pair's similarity is multiplied by, days apart): 1 within the date window
    (or undated), `outside` beyond it (story.outside_window_factor; 0: no edge)."""
    gap = story_gap(a.date, features(a).dateline, b.date, features(b).dateline)
    return (1.0 if gap is None or gap <= window_days else outside), gap


def pair_gate(a: Document, b: Document, shared_names: int, min_shared: int, min_lead: int,
              window_days: int, outside: float = 0.0) -> tuple[str | None, float, int | None]:
    """(why the story tier does not compare two documents at all, or None if it does; the
    date window's factor on their similarity; days apart). Not compared: too few shared
    names (numbers and dates never propose a pair), no name in both leads
    (story.min_shared_lead_names), or dates further apart than the window when that is a
    veto (story.outside_window_factor 0)."""
    factor, gap = window_factor(a, b, window_days, outside)
    if shared_names < min_shared:
        return f"{shared_names} shared name(s) < {min_shared} needed to be compared at all", factor, gap
    if min_lead:
        lead = len(lead_names(a, b))
        if lead < min_lead:
            return f"{lead} name(s) in both titles or leads < {min_lead} needed to be compared at all", factor, gap
    if factor == 0:
        return f"dated {gap} days apart > {window_days}", factor, gap
    return None, factor, gap


def stable_order(values: npt.NDArray[Any], bound: int) -> npt.NDArray[np.intp]:
    """np.argsort(values, kind="stable") for integers in 0..bound-1: the same order, by
    numpy's radix sort when they fit 16 bits (~10x its merge sort of int64)."""
    small = values.astype(np.uint16) if bound <= 1 << 16 else values
    order: npt.NDArray[np.intp] = np.argsort(small, kind="stable")
    return order


# name_postings in numpy holds ~30 bytes an occurrence while it runs (the term list, their
# numbers, owners, order) against the arrays' 4: up to this many occurrences (~30 MB), so a
# large run's peak (#18 point 6: 200,000 documents, ~10 million occurrences) is what it was.
# (Its postings are views of one array of every occurrence: at most ~4 MB kept with them.)
_POSTINGS_MAX = 1_000_000


def name_postings(docs: list[Document], max_term_docs: int) -> dict[str, npt.NDArray[np.uint32]]:
    """Each name's documents (positions, ascending), for the names 2 to `max_term_docs`
    documents print: the only ones that propose pairs."""
    lists = [features(d).terms for d in docs]
    if sum(map(len, lists)) > _POSTINGS_MAX:  # a large run: an array append an occurrence, in its memory
        postings: dict[str, array[int]] = defaultdict(lambda: array("I"))
        for i, terms_of in enumerate(lists):
            for t in terms_of:
                postings[t].append(i)
        return {t: np.frombuffer(ids, dtype=np.uint32) for t, ids in postings.items()
                if 1 < len(ids) <= max_term_docs and is_name(t)}
    # In C and numpy, not an array append an occurrence (~107,000 at 3,000 random-sentence
    # documents: 25 -> 19 ms; #12 point 7): each term numbered in the order it first comes
    # (a loop's dict order), its occurrences' documents grouped by a stable sort (ascending).
    terms = list(chain.from_iterable(lists))
    vocab = {t: k for k, t in enumerate(dict.fromkeys(terms))}
    ids = np.fromiter(map(vocab.__getitem__, terms), dtype=np.int64, count=len(terms))
    owner = np.repeat(np.arange(len(docs), dtype=np.uint32), np.fromiter(map(len, lists), np.int64, len(lists)))
    counts = np.bincount(ids, minlength=len(vocab)).tolist()
    found = owner[stable_order(ids, len(vocab))]
    starts = [0, *accumulate(counts)]
    # is_name asked once a distinct term, not at every occurrence: the same names, in the same order.
    return {t: found[starts[k]:starts[k + 1]] for t, k in vocab.items()
            if 1 < counts[k] <= max_term_docs and is_name(t)}


EdgeArrays = tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.float64]]
# Pairs measured (i, j) -> the terms similarity() left out as shared wording, for the pairs it
# left some out (a pair measured and not here left out none): what local_edges would decide
# again for the same pair (it depends on the two documents' lines, not on their weights).
Wording = dict[tuple[int, int], tuple[str, ...]]

# A similarity left unmeasured by candidate_edges: its upper bound is below the bound given
# (story.threshold), so the pair cannot join two components; link_component measures it
# if both documents end up in one component after all (resolve_edges).
UNMEASURED = float("nan")
# The bound is a float sum in another order than similarity()'s: a pair within this
# relative margin of the threshold is measured, never skipped.
_MARGIN = 1e-9


class TermMatrix:
    """Every document's weighted terms as term numbers and weights (a CSR matrix), for an
    upper bound on the similarity of one document and many candidates at once, in numpy
    (bounds)."""

    def __init__(self, weights: list[DocTerms]) -> None:
        # Term numbers in the order terms first come (C loops: map, chain, dict.fromkeys).
        terms = list(chain.from_iterable(d.weights for d in weights))
        vocab = {t: k for k, t in enumerate(dict.fromkeys(terms))}
        ids = list(map(vocab.__getitem__, terms))
        values = list(chain.from_iterable(d.weights.values() for d in weights))
        lines = list(chain.from_iterable(map(d.lines.get, d.weights, repeat(0)) for d in weights))
        ends = [0, *accumulate(len(d.weights) for d in weights)]
        self.indptr = np.array(ends, dtype=np.int64)
        self.ids = np.array(ids, dtype=np.int64)
        self.values = np.array(values, dtype=np.float64)
        self.lines = np.array(lines, dtype=np.uint32)  # the CRC of the one line a term is on (0: several)
        self.totals = np.array([d.total for d in weights], dtype=np.float64)
        self._vocab = len(vocab)
        self.vocab = vocab  # term -> its number in `ids`
        # Per thread (a Dask worker may run tasks in threads): each term's place in the row
        # document's terms (-1: not in them), set for one row at a time, so a candidate's
        # term is looked up, not searched for.
        self._slots = threading.local()
        self._pairs: tuple[dict[str, npt.NDArray[np.uint32]], PairIndex] | None = None

    def pair_index(self, docs: list[Document], postings: dict[str, npt.NDArray[np.uint32]],
                   max_term_docs: int) -> PairIndex:
        """The PairIndex of these weights and `postings`, built once for all slices of rows."""
        built = self._pairs
        if built is None or built[0] is not postings:
            built = self._pairs = (postings, PairIndex(docs, self, postings, max_term_docs))
        return built[1]

    def bounds(self, i: int, others: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """An upper bound on similarity(weights[i], weights[j]) for each j of `others`.

        similarity() leaves out the shared terms that are only wording (same_wording): surely
        those on one identical line in both (the CRCs in `lines`), perhaps others. Without
        the sure ones (their weights taken off both totals, A and B), the bound is
        Σ min / (A + B − Σ max) over the other shared terms: leaving out more lowers the
        numerator to some S <= Σ min, and the denominator is then the weight of all terms
        but those left out, at least A + B − Σ(a + b) + S; S / (U + S) grows with S, so the
        bound holds whatever else is left out."""
        lo, hi = self.indptr[i], self.indptr[i + 1]
        mine, mine_w, mine_lines = self.ids[lo:hi], self.values[lo:hi], self.lines[lo:hi]
        starts, lens = self.indptr[others], self.indptr[others + 1] - self.indptr[others]
        if not len(mine) or not lens.sum():
            return np.zeros(len(others))
        owner = np.repeat(np.arange(len(others)), lens)
        pos = np.arange(int(lens.sum())) + np.repeat(starts - (np.cumsum(lens) - lens), lens)
        slot: npt.NDArray[np.int64] | None = getattr(self._slots, "slot", None)
        if slot is None:
            slot = self._slots.slot = np.full(self._vocab, -1, dtype=np.int64)
        slot[mine] = np.arange(len(mine))
        try:
            at = slot[self.ids[pos]]
        finally:
            slot[mine] = -1
        hit = at >= 0
        at, pos, owner = at[hit], pos[hit], owner[hit]
        a, b = mine_w[at], self.values[pos]
        line = mine_lines[at]
        same = (line != 0) & (line == self.lines[pos])  # on one identical line: wording for sure
        size = len(others)
        kept = ~same
        low = np.bincount(owner[kept], np.minimum(a[kept], b[kept]), minlength=size)
        high = np.bincount(owner[kept], np.maximum(a[kept], b[kept]), minlength=size)
        gone = np.bincount(owner[same], a[same] + b[same], minlength=size)
        denominator = self.totals[i] + self.totals[others] - gone - high
        out: npt.NDArray[np.float64] = np.divide(low, denominator, out=np.zeros(size), where=low > 0)
        return out


# The first bound (PairIndex) is in another float order than TermMatrix.bounds: a pair within
# this relative margin of the threshold goes on to TermMatrix.bounds, never skipped.
_FIRST_MARGIN = 4e-9
# ... and one this far over it with no `rest` is measured without TermMatrix.bounds (the two
# are the same sum then, apart from float order: ~1e-15 relative).
_SURE_MARGIN = 1e-7
# Entries (a row's term times that term's documents) counted at once by PairIndex: ~10
# arrays of this length in memory (~2.5 MB), whatever the corpus. Any size gives the same
# pairs, sums and order (a pair's entries are all in its row's block); 2^15 keeps a block's
# arrays within the CPU's caches: 2^18 (~20 MB) took 0.10 CPU s at 3,000 random-sentence
# documents, 2^15 0.053 (2^13 0.062: more calls; #12 point 7, story-25).
_BLOCK = 1 << 15
# A block whose rows x documents are at most this many times its entries is counted in bins
# (bincount), one a pair, instead of by sorting its entries: the same pairs, sums and order.
_DENSE = 4
# PairIndex keeps ~28 bytes a weighted term of the run (~60 while built) beside the
# TermMatrix's 20: used up to this many weighted terms (~20,000 linkable documents of 50
# terms), so a large run's peak (#18 point 6: 200,000 documents within 1.2 GB, with ~90 MB
# to spare at session 13) is what it was.
_INDEX_MAX = 1_000_000


class PairIndex:
    """Every row's candidate pairs and a first upper bound on their similarity, counted for
    blocks of rows at once from postings that carry each document's weight and line
    (candidate_edges): what TermMatrix.bounds gives pair by pair from both documents' whole
    term lists (~7.6 million term visits at 3,000 random-sentence documents, ~0.2 s), from
    the shared terms only.

    Columns: the name postings (name_postings, which propose pairs and count toward
    min_shared), then every other weighted term 2 to max_term_docs documents have (they
    only add to the bound). A term more documents have is in no column: its weight is in
    `rest` of each document that has it, and the bound assumes the most such terms could
    add (below). For one pair, over the shared terms in columns: `low` the sum of the
    smaller weights of those not on one identical line in both (surely wording, as in
    TermMatrix.bounds), `both` the sum of both weights of all; the bound is

        (low + m) / (A + B - rest_a - rest_b - both + low + m),  m = min(rest_a, rest_b)

    which is TermMatrix.bounds's when neither has a `rest` (there A + B - gone - high =
    A + B - both + low), and at least it otherwise: TermMatrix.bounds is S / (U + S), growing
    with S and falling with U; the rest's shared terms add at most m to S, and U (weight not
    shared) is at least A + B - rest_a - rest_b - both, what the columns leave unshared."""

    def __init__(self, docs: list[Document], matrix: TermMatrix, postings: dict[str, npt.NDArray[np.uint32]],
                 max_term_docs: int) -> None:
        vocab, width = matrix.vocab, max(len(matrix.vocab), 1)
        n = len(docs)
        counts = np.diff(matrix.indptr)
        doc_of = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        # A document's weight and line for a term, looked up by term number * rows + doc: in
        # term then document order, the stable order of the term numbers alone (a radix sort,
        # stable_order), and the names' lookups below come nearly in that order too (both
        # number terms as they first come), which a binary search a key runs through faster
        # than keys in document order (#12 point 7: 13.6 -> ~4 ms at 3,000 documents).
        stride = max(len(counts), 1)
        by_term = stable_order(matrix.ids, width)  # each term's documents ascending
        order = by_term
        keys = (matrix.ids * stride + doc_of)[order]

        def look(doc: npt.NDArray[np.int64], term: npt.NDArray[np.int64]
                 ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint32]]:
            """Document `doc`'s weight and line for term number `term` (0, 0: not among its
            weighted terms, or no term number: a term of no weighted document)."""
            w, line = np.zeros(len(doc)), np.zeros(len(doc), dtype=np.uint32)
            if not len(keys) or not len(doc):
                return w, line
            at = term * stride + doc
            pos = np.minimum(np.searchsorted(keys, at), len(keys) - 1)
            hit = (keys[pos] == at) & (term >= 0)
            idx = order[pos[hit]]
            w[hit], line[hit] = matrix.values[idx], matrix.lines[idx]
            return w, line

        names = list(postings)
        name_ids = np.array([vocab.get(t, -1) for t in names], dtype=np.int64)
        df = np.bincount(matrix.ids, minlength=width)
        named = np.zeros(width, dtype=bool)
        named[name_ids[name_ids >= 0]] = True
        extra = ~named & (df >= 2) & (df <= max_term_docs)
        extra_ids = np.flatnonzero(extra)  # their columns follow the names', in this order
        rest = ~named & ~extra & (df >= 2)
        self.rest = np.bincount(doc_of, np.where(rest[matrix.ids], matrix.values, 0.0), minlength=n)[:n]
        self.totals = matrix.totals
        # Postings, flat: the names' (from the documents' terms) then the others' (from the weights).
        name_docs = [postings[t] for t in names]
        name_lens = np.array([len(d) for d in name_docs], dtype=np.int64)
        name_flat = (np.concatenate(name_docs).astype(np.int64) if name_docs else np.zeros(0, dtype=np.int64))
        name_w, name_line = look(name_flat, np.repeat(name_ids, name_lens))
        by_term = by_term[extra[matrix.ids[by_term]]]
        self.docs = np.concatenate((name_flat, doc_of[by_term])).astype(np.uint32)
        self.weight = np.concatenate((name_w, matrix.values[by_term]))
        self.line = np.concatenate((name_line, matrix.lines[by_term]))
        self.lens = np.concatenate((name_lens, df[extra_ids])).astype(np.int64)
        self.starts = np.concatenate(([0], np.cumsum(self.lens)[:-1])).astype(np.int64)
        self.names = len(names)  # columns below this are names
        # Rows, flat, by document: its columns (the postings turned around: each document is
        # in the postings of its own terms). A row entry's weight and line are its document's
        # entry in the column's postings, just before `row_start`.
        col_of = np.repeat(np.arange(len(self.lens), dtype=np.int64), self.lens)
        by_row = stable_order(self.docs, n)
        rows = self.docs[by_row].astype(np.int64)
        self.row_col = col_of[by_row].astype(np.int32)
        self.indptr = np.searchsorted(rows, np.arange(n + 1))
        # Each row entry's documents after the row's own (postings ascend): where they start
        # in `docs`; so a pair (i, j) is counted from row i only, j > i.
        at = col_of * max(n, 1) + self.docs  # ascending: columns in order, each one's documents ascending
        if len(at) > 1 and bool((at[1:] == at[:-1]).any()):  # a document twice in a column's postings
            self.row_start = np.searchsorted(at, col_of[by_row] * max(n, 1) + rows, side="right")
        else:  # each entry is its own key's one place, `by_row`: the search's answer is the next one
            self.row_start = by_row + 1
        # Where a block of rows ends: entries counted up to each row.
        row_len = self.starts[self.row_col] + self.lens[self.row_col] - self.row_start
        self.cost = np.concatenate(([0], np.cumsum(row_len)))[self.indptr]
        self.n = n

    def blocks(self, rows: range) -> Iterator[tuple[int, int]]:
        """Consecutive row ranges of `rows` of about _BLOCK entries each (one row more if needed)."""
        lo = rows.start
        while lo < rows.stop:
            hi = int(np.searchsorted(self.cost, self.cost[lo] + _BLOCK, side="right")) - 1
            hi = min(max(hi, lo + 1), rows.stop)
            yield lo, hi
            lo = hi

    def pairs(self, lo: int, hi: int, min_shared: int
              ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Rows lo..hi-1's pairs (i, j), i < j, sharing min_shared names or more, in row then
        j order: (i, j, shared names, the first bound)."""
        e, f = int(self.indptr[lo]), int(self.indptr[hi])
        cols, start = self.row_col[e:f], self.row_start[e:f]
        lens = self.starts[cols] + self.lens[cols] - start
        total = int(lens.sum())
        if not total:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, np.zeros(0)
        # Each entry: a row's term (repeated) and one later document that has it.
        idx = np.repeat(start - (np.cumsum(lens) - lens), lens) + np.arange(total, dtype=np.int64)
        a, b = np.repeat(self.weight[start - 1], lens), self.weight[idx]
        line = np.repeat(self.line[start - 1], lens)
        same = (line != 0) & (line == self.line[idx])
        name = np.repeat(cols < self.names, lens)
        row_of = np.repeat(np.arange(lo, hi, dtype=np.int64), np.diff(self.indptr[lo:hi + 1]))
        least = max(min_shared, 1)  # a pair shares a name at least (one sharing other terms only is none)
        span = (hi - lo) * self.n
        if span <= _DENSE * total:
            # Few rows x documents for the entries: a bin for each, in row then j order, no sort.
            keys = np.repeat(row_of - lo, lens) * self.n + self.docs[idx]
            shared = np.bincount(keys[name], minlength=span)
            bins = np.flatnonzero(shared >= least)
            shared = shared[bins]
            low = np.bincount(keys, np.where(same, 0.0, np.minimum(a, b)), minlength=span)[bins]
            both = np.bincount(keys, a + b, minlength=span)[bins]
            uniq = bins + lo * self.n
        else:
            keys = np.repeat(row_of, lens) * self.n + self.docs[idx]
            # Grouped by pair: the stable sort merges the runs (each entry's documents ascend).
            order = np.argsort(keys, kind="stable")
            keys = keys[order]
            head = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
            shared = np.add.reduceat(name[order].astype(np.int64), head)
            keep = shared >= least
            shared = shared[keep]
            low = np.add.reduceat(np.where(same, 0.0, np.minimum(a, b))[order], head)[keep]
            both = np.add.reduceat((a + b)[order], head)[keep]
            uniq = keys[head][keep]
        i, j = uniq // self.n, uniq % self.n
        rest_i, rest_j = self.rest[i], self.rest[j]
        top = low + np.minimum(rest_i, rest_j)
        under = self.totals[i] + self.totals[j] - rest_i - rest_j - both + top
        first = np.divide(top, under, out=np.zeros(len(top)), where=top > 0)
        first[(top > 0) & (under <= 0)] = np.inf
        return i, j, shared, first


def candidate_edges(docs: list[Document], weights: list[DocTerms], min_shared: int,
                    max_term_docs: int, window_days: int, min_lead: int = 0, outside_window: float = 0.0,
                    rows: range | None = None, postings: dict[str, npt.NDArray[np.uint32]] | None = None,
                    bound: float | None = None, matrix: TermMatrix | None = None,
                    wording: Wording | None = None) -> EdgeArrays:
    """Pairs (i < j) that share at least `min_shared` names, with their weighted term
    Jaccard, as three arrays (16 bytes a pair: a dict of pairs took ~200).

    Counted by rows of the co-occurrence matrix: with `bound`, blocks of rows at once
    (PairIndex: ~_BLOCK entries, so memory stays at one block plus the edges kept, whatever
    the number of pairs sharing a single name); without, one row at a time (_edges_by_row).
    `rows` (default: all) limits the rows i counted, so slices of rows can be counted
    apart (on a cluster's workers) and their edges concatenated in row order: the same
    arrays, in the same order, as one pass. `postings` (name_postings) saves building
    them again for each slice.

    `bound` (story.threshold; default: none): a pair whose similarity is surely below it
    (from weights alone: PairIndex's first bound, from the terms the pair shares, then
    TermMatrix.bounds for the few it leaves) is neither gated nor measured here: its
    similarity is UNMEASURED, for resolve_edges to settle if it ends up inside a
    component. Most pairs are such (on 3,000 random-sentence documents, 151,687 of 152,039
    pairs; the first bound leaves 373), and measuring one costs ~30 µs of wording checks.
    `matrix` saves building the TermMatrix (and its PairIndex) again for each slice.
    `wording`: the shared wording of each pair measured (Wording)."""
    arrays = name_postings(docs, max_term_docs) if postings is None else postings
    if bound is None:
        return _edges_by_row(docs, weights, min_shared, window_days, min_lead, outside_window, rows, arrays,
                             wording=wording)
    if matrix is None:
        matrix = TermMatrix(weights)
    if len(matrix.ids) > _INDEX_MAX:  # a large run: one row at a time, in the memory it took before
        return _edges_by_row(docs, weights, min_shared, window_days, min_lead, outside_window, rows, arrays,
                             bound, matrix, wording)
    index = matrix.pair_index(docs, arrays, max_term_docs)
    lefts: list[npt.NDArray[np.uint32]] = []
    rights: list[npt.NDArray[np.uint32]] = []
    values: list[npt.NDArray[np.float64]] = []
    for lo, hi in index.blocks(range(len(docs)) if rows is None else rows):
        left, right, shared, first = index.pairs(lo, hi, min_shared)
        if not len(left):
            continue
        # The first bound (PairIndex) is at least TermMatrix.bounds; the window's factor is at
        # most 1 (config), so a pair under either bound stays under it.
        near = np.flatnonzero(first * (1.0 + _FIRST_MARGIN) >= bound)
        # Without a term too common for a column on either side, the first bound is
        # TermMatrix.bounds in another float order: one clearly over the threshold is
        # measured as it; the others are bounded again, pair by pair.
        sure = ((index.rest[left[near]] == 0) & (index.rest[right[near]] == 0)
                & (first[near] * (1.0 - _SURE_MARGIN) >= bound))
        measure = [near[sure]]
        check = near[~sure]
        starts = np.flatnonzero(np.diff(left[check], prepend=-1))
        for a, b in zip(starts.tolist(), np.append(starts[1:], len(check)).tolist()):
            at = check[a:b]
            measure.append(at[matrix.bounds(int(left[at[0]]), right[at]) * (1.0 + _MARGIN) >= bound])
        sims, kept = _gated(docs, weights, left, right, shared, np.sort(np.concatenate(measure)), min_shared,
                            min_lead, window_days, outside_window, wording)
        lefts.append(left[kept].astype(np.uint32))
        rights.append(right[kept].astype(np.uint32))
        values.append(sims[kept])
    return _joined(lefts, rights, values)


def _joined(lefts: list[npt.NDArray[np.uint32]], rights: list[npt.NDArray[np.uint32]],
            values: list[npt.NDArray[np.float64]]) -> EdgeArrays:
    if not lefts:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.float64)
    return np.concatenate(lefts), np.concatenate(rights), np.concatenate(values)


def _gated(docs: list[Document], weights: list[DocTerms], left: npt.NDArray[Any], right: npt.NDArray[Any],
           shared: npt.NDArray[Any], measure: npt.NDArray[np.intp], min_shared: int, min_lead: int,
           window_days: int, outside_window: float, wording: Wording | None = None
           ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """The pairs (left[k], right[k]) sharing shared[k] names, for each k of `measure` (in
    order) gated and measured: (similarities, UNMEASURED where not measured; which pairs
    the gate keeps). Both paths of candidate_edges (PairIndex's blocks, _edges_by_row)."""
    sims = np.full(len(left), UNMEASURED)
    kept = np.ones(len(left), dtype=bool)
    for k, i, j, n in zip(measure.tolist(), left[measure].tolist(), right[measure].tolist(),
                          shared[measure].tolist()):
        # Two reports of one event both say early on who or where (story.min_shared_lead_names).
        refused, factor, _ = pair_gate(docs[i], docs[j], n, min_shared, min_lead, window_days, outside_window)
        if refused is None:
            sims[k] = _measured(weights, i, j, wording) * factor
        else:
            kept[k] = False
    return sims, kept


def _measured(weights: list[DocTerms], i: int, j: int, wording: Wording | None) -> float:
    """similarity(weights[i], weights[j]), its shared wording kept in `wording` if given."""
    if wording is None:
        return similarity(weights[i], weights[j])
    left_out: list[str] = []
    s = similarity(weights[i], weights[j], left_out)
    if left_out:
        wording[(i, j)] = tuple(left_out)
    return s


def _edges_by_row(docs: list[Document], weights: list[DocTerms], min_shared: int, window_days: int, min_lead: int,
                  outside_window: float, rows: range | None, arrays: dict[str, npt.NDArray[np.uint32]],
                  bound: float | None = None, matrix: TermMatrix | None = None,
                  wording: Wording | None = None) -> EdgeArrays:
    """candidate_edges one row at a time, every pair bounded by TermMatrix.bounds (with
    `bound`) or measured (without): candidate_edges without a bound, and the reference its
    blocks (PairIndex) are tested against."""
    lefts: list[npt.NDArray[np.uint32]] = []
    rights: list[npt.NDArray[np.uint32]] = []
    values: list[npt.NDArray[np.float64]] = []
    for i in range(len(docs)) if rows is None else rows:
        lists = [arrays[t] for t in features(docs[i]).terms if t in arrays]
        if len(lists) < min_shared:
            continue
        cand = np.concatenate(lists)
        cand = cand[cand > i]
        if not len(cand):
            continue
        others, shared = np.unique(cand, return_counts=True)
        keep = shared >= min_shared
        found, counts = others[keep], shared[keep]
        if not len(found):
            continue
        measure = (np.flatnonzero(matrix.bounds(i, found.astype(np.int64)) * (1.0 + _MARGIN) >= bound)
                   if matrix is not None and bound is not None else np.arange(len(found)))
        sims, kept = _gated(docs, weights, np.full(len(found), i), found, counts, measure, min_shared, min_lead,
                            window_days, outside_window, wording)
        lefts.append(np.full(int(kept.sum()), i, dtype=np.uint32))
        rights.append(found[kept])
        values.append(sims[kept])
    return _joined(lefts, rights, values)


def resolve_edges(shared: Shared, edges: Edges, wording: Wording | None = None) -> Edges:
    """A component's edges with every UNMEASURED similarity measured as candidate_edges
    would have (the pair gate, the date window, similarity), or dropped where the gate
    refuses the pair; in the same order. The pair shared `min_shared_terms` names or more
    when it was proposed, so the gate's first test passes. `wording`: as candidate_edges's."""
    if all(s == s for s in edges.values()):  # NaN is the one value not equal to itself
        return edges
    reps, weights, story = shared
    min_shared = story["min_shared_terms"]
    out: Edges = {}
    for (i, j), s in edges.items():
        if s != s:
            refused, factor, _ = pair_gate(reps[i], reps[j], min_shared, min_shared, story["min_shared_lead_names"],
                                           story["date_window_days"], story["outside_window_factor"])
            if refused is not None:
                continue
            s = _measured(weights, i, j, wording) * factor
        out[(i, j)] = s
    return out


def average_linkage(nodes: int | Iterable[int], edges: dict[tuple[int, int], float],
                    threshold: float, split_ratio: float = 0.0) -> list[list[int]]:
    """Clusters of `nodes` (or 0..nodes-1), merged while the best average cross-pair
    similarity >= threshold; then a split step undoes merges that joined two cohesive groups
    (below).

    Sparse: a cluster pair's average is (sum of its edges) / (|A| * |B|). Ties break on the
    lower cluster ids, and a merged cluster keeps the lower id, so the result depends on
    nothing but the input.

    Split step (story.split_ratio): an absolute threshold cannot tell two reports of one
    event that share little from two events that share a lot (the same boxer's two fights,
    the same team's two arrests): both clear it. What tells them apart is the contrast: two
    events are each far more cohesive inside than they are with each other. So, from the
    top of each cluster's merge tree down, a merge of A and B (both of 2+ members) is
    undone when its average cross similarity is below split_ratio x the average similarity
    of the pairs inside A and inside B; the split continues in each part. 0 turns it off.
    """
    members = {i: [i] for i in (range(nodes) if isinstance(nodes, int) else nodes)}
    sums: dict[int, dict[int, float]] = defaultdict(dict)
    for (i, j), s in edges.items():
        sums[i][j] = sums[j][i] = s
    # Merge tree: a cluster's last merge (left tree, right tree, cross average), or a leaf id;
    # and each cluster's sum of similarities over its inside pairs.
    tree: dict[int, Tree] = {i: i for i in members}
    inside: dict[int, float] = dict.fromkeys(members, 0.0)
    heap = [(-s, i, j) for (i, j), s in edges.items() if s >= threshold]
    heapq.heapify(heap)
    while heap:
        neg, a, b = heapq.heappop(heap)
        if a not in members or b not in members:
            continue  # one side was merged away since this entry was pushed
        avg = sums[a].get(b, 0.0) / (len(members[a]) * len(members[b]))
        if abs(avg + neg) > 1e-12:
            continue  # stale: a fresher entry for this pair is in the heap
        tree[a] = (tree[a], tree.pop(b), avg, len(members[a]), len(members[b]), inside[a], inside[b])
        inside[a] += inside.pop(b) + sums[a].get(b, 0.0)
        members[a].extend(members.pop(b))
        for c, s in sums.pop(b).items():
            del sums[c][b]
            if c != a:
                sums[a][c] = sums[c][a] = sums[a].get(c, 0.0) + s
        sums[a].pop(b, None)
        for c, s in sums[a].items():
            new = s / (len(members[a]) * len(members[c]))
            if new >= threshold:
                heapq.heappush(heap, (-new, min(a, c), max(a, c)))
    if split_ratio <= 0:
        return [sorted(m) for _, m in sorted(members.items())]
    clusters: list[list[int]] = []
    for _, top in sorted(tree.items()):
        todo: list[Tree] = [top]
        while todo:
            node = todo.pop()
            if isinstance(node, tuple):
                left, right, cross, n_left, n_right, in_left, in_right = node
                pairs = n_left * (n_left - 1) // 2 + n_right * (n_right - 1) // 2
                if n_left >= 2 and n_right >= 2 and cross < split_ratio * (in_left + in_right) / pairs:
                    todo.extend((right, left))
                    continue
            clusters.append(sorted(_leaves(node)))
    return sorted(clusters)


def _leaves(node: Tree) -> list[int]:
    out: list[int] = []
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, tuple):
            todo.extend((n[0], n[1]))
        else:
            out.append(n)
    return out


LOCAL_MIN_DOCS = 4  # a component of fewer documents is clustered on the run's own weights


def measured_locally(story: dict[str, Any], size: int) -> bool:
    """Whether a component (or a record) of `size` documents is measured again on its own
    term frequencies (local_edges): the one rule for step 2, its forked runner and a
    state's rebuilt records."""
    return bool(story["local_df_factor"]) and size >= LOCAL_MIN_DOCS


def local_edges(reps: list[Document], nodes: list[int], edges: dict[tuple[int, int], float],
                weights: list[DocTerms], story: dict[str, Any], wording: Wording | None = None
                ) -> dict[tuple[int, int], float]:
    """The edges of one component (LOCAL_MIN_DOCS+ documents linked at story.threshold),
    measured again with the component's own term frequencies.

    What a component's documents all print is what joined them: the person, the team, the
    country. It cannot tell which of the component's events two of them tell (the same
    boxer's two fights, the same company's two arrests); what differs between those events
    can (the opponent, the place, the day). So inside the component a term weighs
    1 - story.local_df_factor x (df - 1) / (m - 1), df being how many of its m documents
    print it: a term every document prints weighs (1 - local_df_factor), one only this pair
    prints keeps its weight. Those similarities are lower overall, so the component is
    clustered against story.local_threshold instead of story.threshold. The date window's
    factor applies as before. `wording`: the shared wording of every edge, decided already
    (candidate_edges, resolve_edges: the same lines, so the same terms): measured without
    deciding it again (similarity_given: the same sums)."""
    a = story["local_df_factor"]
    m = len(nodes)
    df: dict[str, int] = defaultdict(int)
    for i in nodes:
        for t in weights[i].weights:
            df[t] += 1
    local: dict[int, DocTerms] = {}
    for i in nodes:
        w = {t: x * (1.0 - a * (df[t] - 1) / (m - 1)) for t, x in weights[i].weights.items()}
        local[i] = DocTerms(w, weights[i].lines, sum(w.values()), weights[i].line_words, weights[i].overlap)
    out: dict[tuple[int, int], float] = {}
    for (i, j), s in edges.items():
        factor, _ = window_factor(reps[i], reps[j], story["date_window_days"], story["outside_window_factor"])
        out[(i, j)] = ((similarity(local[i], local[j]) if wording is None
                        else similarity_given(local[i], local[j], wording.get((i, j), ()))) * factor if s else 0.0)
    return out


Edges = dict[tuple[int, int], float]  # (i, j), i < j -> similarity


class EdgeParts:
    """A component's edges as the arrays story_components cut them from (left, right,
    sims; `edges()` is the Edges dict it would have made), for a runner whose tasks make the
    dict where they run (`edge_parts`: exec/forked.ForkedStories). Against 200,000 documents
    one component of the state bench's window held 26,441 of its 27,794 edges: as a dict in
    the caller, ~5 MiB at its peak, sent to one child anyway (#16 point 9)."""

    __slots__ = ("left", "right", "sims")

    def __init__(self, left: npt.NDArray[np.uint32], right: npt.NDArray[np.uint32], sims: npt.NDArray[np.float64]):
        self.left, self.right, self.sims = left, right, sims

    def __len__(self) -> int:
        return len(self.left)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        """The edges' pairs, in the dict's order."""
        return zip(self.left.tolist(), self.right.tolist())

    def __getstate__(self) -> tuple[Any, ...]:
        return self.left, self.right, self.sims

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.left, self.right, self.sims = state

    def edges(self) -> Edges:
        return dict(zip(self, self.sims.tolist()))


def as_edges(edges: "Edges | EdgeParts") -> Edges:
    return edges.edges() if isinstance(edges, EdgeParts) else edges


# A component's documents (ascending) and the edges inside it (EdgeParts: for a runner that asks)
Component = tuple[list[int], "Edges | EdgeParts"]
Linked = tuple[list[list[int]], Edges]  # a component's clusters, and its edges as they were clustered
Shared = tuple[list[Document], list[DocTerms], dict[str, Any]]  # what both steps read: reps, weights, story


def story_edges(shared: Shared, rows: range | None = None,
                postings: dict[str, npt.NDArray[np.uint32]] | None = None,
                matrix: TermMatrix | None = None, wording: Wording | None = None) -> EdgeArrays:
    """Step 1, for a slice of rows (candidate_edges with the story settings): pairs below
    story.threshold for sure are left UNMEASURED (only edges at the threshold make
    components; link_component measures the others inside one). `wording`: each measured
    pair's shared wording (Wording), for link_component."""
    reps, weights, story = shared
    return candidate_edges(reps, weights, story["min_shared_terms"], story["max_term_docs"],
                           story["date_window_days"], story["min_shared_lead_names"],
                           story["outside_window_factor"], rows, postings, story["threshold"], matrix, wording)


def component_labels(n: int, left: npt.NDArray[np.uint32], right: npt.NDArray[np.uint32]) -> npt.NDArray[np.intp]:
    """Each of documents 0..n-1's connected component under the edges (left, right), numbered
    in the order of each component's lowest document (scipy's connected_components numbers
    them so too). Importing scipy.sparse.csgraph for it cost ~0.45 s, a tenth of a
    3,000-document run's story tier. Each document's label is lowered to the lowest one
    across its edges, then to its label's label, until nothing changes: then both ends of
    every edge hold one label, a document of their component, and the component's lowest
    document holds itself, so every document holds its component's lowest. In arrays: a
    union-find over Python lists made two ints an edge, ~1.3 MiB against 50,000 documents'
    window (20,867 edges), touched at the story tier's peak (#16 point 9); ~7x faster too."""
    label = np.arange(n)
    a, b = left.astype(np.intp), right.astype(np.intp)
    while True:
        lowered = label.copy()
        low = np.minimum(label[a], label[b])
        np.minimum.at(lowered, a, low)
        np.minimum.at(lowered, b, low)
        while True:  # each label to its own label (a lower document of the same component)
            jumped = lowered[lowered]
            if np.array_equal(jumped, lowered):
                break
            lowered = jumped
        if np.array_equal(lowered, label):
            break
        label = lowered
    # return_counts: the same values, and numpy's plain unique() imports numpy.ma (~15 ms) to look for a mask.
    found: npt.NDArray[np.intp] = np.unique(label, return_inverse=True, return_counts=True)[1]
    return found


def story_components(n: int, left: npt.NDArray[np.uint32], right: npt.NDArray[np.uint32],
                     sims: npt.NDArray[np.float64], threshold: float, parts: bool = False) -> Iterator[Component]:
    """The connected components of the edges >= threshold that have an edge, each with
    every edge inside it (weaker ones too), one at a time in label order (scipy's: by
    lowest document). `parts`: the edges as EdgeParts, not a dict."""
    strong = sims >= threshold
    label = component_labels(n, left[strong], right[strong])
    del strong
    left_label = label[left]
    inside = left_label == label[right]
    left, right, sims, left_label = left[inside], right[inside], sims[inside], left_label[inside]
    del inside
    # Edges and nodes grouped by component.
    by_edge = np.argsort(left_label, kind="stable")
    edge_labels = left_label[by_edge]
    del left_label
    by_node = np.argsort(label, kind="stable")
    node_bounds = np.searchsorted(label[by_node], np.arange(label.max() + 2 if n else 1))
    for comp in np.unique(edge_labels, return_counts=True)[0].tolist():  # no numpy.ma (see component_labels)
        lo, hi = np.searchsorted(edge_labels, [comp, comp + 1])
        part = by_edge[lo:hi]
        comp_edges = EdgeParts(left[part], right[part], sims[part])
        yield by_node[node_bounds[comp]:node_bounds[comp + 1]].tolist(), comp_edges if parts else comp_edges.edges()


def link_component(shared: Shared, nodes: list[int], edges: Edges, wording: Wording | None = None) -> Linked:
    """Step 2, one component: its clusters (average_linkage), on component-local weights
    against story.local_threshold when it has LOCAL_MIN_DOCS+ documents (local_edges).
    `wording`: the shared wording step 1 found among its edges (story_edges), if kept: every
    edge it measured is then known, and resolve_edges adds those it measures."""
    reps, weights, story = shared
    local = measured_locally(story, len(nodes))
    known = wording if local else None  # resolve_edges adds to it
    edges = resolve_edges(shared, edges, known)
    threshold = story["threshold"]
    if local:
        edges = local_edges(reps, nodes, edges, weights, story, known)
        threshold = story["local_threshold"]
    return average_linkage(nodes, edges, threshold, story["split_ratio"]), edges


def component_runs(components: Iterable[Component], least: int) -> Iterator[list[Component]]:
    """Consecutive components in runs of at least `least` edges plus documents (the last
    one shorter): what a pool's or a cluster's task clusters (link_components)."""
    run: list[Component] = []
    cost = 0
    for component in components:
        run.append(component)
        cost += len(component[0]) + len(component[1])
        if cost >= least:
            yield run
            run, cost = [], 0
    if run:
        yield run


def link_components(shared: Shared, components: Iterable[Component],
                    wordings: Iterable[Wording | None] | None = None) -> list[Linked]:
    """Step 2 over components, in their order (`wordings`: each one's, as link_component's)."""
    given = repeat(None) if wordings is None else wordings
    return [link_component(shared, nodes, as_edges(edges), wording)
            for (nodes, edges), wording in zip(components, given)]


class StoryRunner(Protocol):
    """Where link_stories' two steps run: this process (InProcess), or a cluster's workers
    (exec/dask_stories.py), which run the same functions (story_edges, link_components)
    on slices of rows and runs of components and hand results back in that order."""

    def share(self, shared: Shared) -> object:
        """What the steps below are given for `shared` (the tuple, or a handle on it)."""

    def edges(self, shared: object, n: int) -> EdgeArrays:
        """story_edges over rows 0..n-1, in row order."""

    def link(self, shared: object, components: Iterator[Component]) -> Iterator[Linked]:
        """link_component for each component, in the components' order."""

    def release(self, shared: object) -> None:
        """The steps are done with `shared`."""


@runtime_checkable
class WeighsApart(Protocol):
    """A StoryRunner that can compute the canonicals' weighted terms in the processes that
    count the edges, so that its caller never holds them (a state's batch, whose caller
    reads none of them back: #16 point 9)."""

    def weights(self, n: int, make: Callable[[], list[DocTerms]]) -> list[DocTerms]:
        """The weights list to share() for `n` rows: make()'s, or an empty list the
        runner's processes fill with make() (the same values, from the same inputs)."""


class InProcess:
    """Both steps here, one after the other (the local engine, a state's batches)."""

    def share(self, shared: Shared) -> object:
        return shared

    def edges(self, shared: object, n: int) -> EdgeArrays:
        return story_edges(cast(Shared, shared))

    def link(self, shared: object, components: Iterator[Component]) -> Iterator[Linked]:
        for nodes, edges in components:  # one component's edges in memory at a time
            yield link_component(cast(Shared, shared), nodes, as_edges(edges))

    def release(self, shared: object) -> None:
        pass


def link_stories(reps: list[Document], cfg: Config, weights: list[DocTerms] | None = None,
                 runner: StoryRunner | None = None) -> tuple[list[list[int]], Edges]:
    """Story clusters over the representatives (indices into `reps`), and the edges that
    lie inside them.

    Two clusters merge only if their average cross-pair similarity reaches the threshold,
    so at least one cross pair must: every record lies inside a connected component of
    the edges >= threshold. Weaker edges between components can never count, so they are
    dropped, and each component is clustered on its own: the same result as clustering
    everything at once (ids and tie-breaks are global), in memory bounded by the largest
    component instead of by all edges. A component of LOCAL_MIN_DOCS+ documents is then
    clustered on its own term frequencies, against story.local_threshold (local_edges):
    the component, not the run, is what it is measured against.

    `runner` says where the two steps run (edges by slices of rows, components one by
    one); the results come back in row and component order, so every float sum is the
    same sequence of additions wherever they ran."""
    story = cfg["story"]
    n = len(reps)
    if weights is None:
        weights = doc_weights(reps, TermWeights(story).observe(reps))
    runner = runner if runner is not None else InProcess()
    shared = runner.share((reps, weights, story))
    clusters: list[list[int]] = []
    edges: Edges = {}
    try:
        # A runner that says so (`edge_parts`) takes each component's edges as arrays, made
        # into a dict by its task.
        parts = bool(getattr(runner, "edge_parts", False))
        components = story_components(n, *runner.edges(shared, n), story["threshold"], parts)
        for comp_clusters, comp_edges in runner.link(shared, components):
            clusters.extend(comp_clusters)
            edges.update(comp_edges)
    finally:
        runner.release(shared)
    linked = {i for c in clusters for i in c}
    clusters.extend([i] for i in range(n) if i not in linked)
    clusters.sort()
    return clusters, edges
