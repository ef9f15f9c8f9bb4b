"""The story tier's candidate pairs counted for blocks of rows (stories.PairIndex, serial-18e)
give the arrays of counting them one row at a time with TermMatrix.bounds on every pair
(stories._edges_by_row, the code before): the same pairs, in the same order, the same
UNMEASURED pairs and the same floats. The first bound is never below TermMatrix.bounds.
Corpora are hypothesis's, from the team's own lines (names from a small pool, shared
lines, so wording is left out too), with a small story.max_term_docs so some terms are
too common to have a column (`rest`), and some documents the tier cannot pair (UNLINKED)."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.config import config_from_dict
from cleaner.core.document import Document
from cleaner.dedup import stories
from cleaner.dedup.cluster import UNLINKED
from cleaner.dedup.stories import PairIndex, TermMatrix, _edges_by_row, candidate_edges, name_postings
from cleaner.dedup.term_weights import DocTerms, TermWeights, doc_terms, similarity
from cleaner.stages.sign import Sign

CFG = config_from_dict()
SIGN = Sign.from_config(CFG)
_NAMES = ["Tarutyne", "Reni", "Vylkove", "Orlivka", "Bessarabka", "Izmail", "Kiliia", "Bolhrad", "Ozerne",
          "Prymorske"]
_WORDS = ["the", "choir", "sang", "for", "elders", "in", "and", "harvest", "came", "from", "a", "match",
          "was", "played", "near", "port", "said", "officials", "on", "12", "1997", "May"]


@st.composite
def _corpus(draw: st.DrawFn) -> tuple[list[Document], list[DocTerms]]:
    def line() -> str:
        words = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=8))
        names = draw(st.lists(st.sampled_from(_NAMES), min_size=0, max_size=5))
        return "said " + " ".join(words + names) + "."

    pool = [line() for _ in range(draw(st.integers(2, 8)))]
    docs = [SIGN.process(Document(
        id=f"d{k}", source="<test>", lang="en", title="Report " + draw(st.sampled_from(_NAMES)),
        text="\n".join(draw(st.sampled_from(pool)) if draw(st.booleans()) else line()
                       for _ in range(draw(st.integers(1, 6))))))
        for k in range(draw(st.integers(2, 24)))]
    weigh = TermWeights(CFG["story"]).observe(docs)
    unlinked = draw(st.sets(st.integers(0, len(docs) - 1), max_size=3))
    return docs, [UNLINKED if k in unlinked else doc_terms(d, weigh) for k, d in enumerate(docs)]


def _both(docs: list[Document], weights: list[DocTerms], min_shared: int, top: int, bound: float,
          rows: range | None = None):
    story = CFG["story"]
    args = (story["date_window_days"], story["min_shared_lead_names"], story["outside_window_factor"])
    postings = name_postings(docs, top)
    before = _edges_by_row(docs, weights, min_shared, *args, rows, postings, bound, TermMatrix(weights))
    now = candidate_edges(docs, weights, min_shared, top, args[0], args[1], args[2], rows, postings, bound)
    return before, now


def _same(a, b) -> None:
    for x, y in zip(a, b):
        assert x.dtype == y.dtype
        assert np.array_equal(x, y, equal_nan=True)


@settings(max_examples=250, deadline=None)
@given(_corpus(), st.integers(1, 3), st.sampled_from([2, 3, 5, 200]), st.sampled_from([0.0, 0.05, 0.11, 0.3]),
       st.sampled_from([1, 7, 1 << 18]), st.sampled_from([0, 4, 1000]))
def test_blocks_give_the_edges_of_one_row_at_a_time(corpus, min_shared, top, bound, block, dense):
    docs, weights = corpus
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stories, "_BLOCK", block)  # 1 and 7: a block a row, and rows split anywhere
        mp.setattr(stories, "_DENSE", dense)  # 0: always sorted; 1000: always in bins
        before, now = _both(docs, weights, min_shared, top, bound)
        _same(before, now)
        # Slices of rows (a cluster's tasks) concatenated: the same arrays again.
        parts = [_both(docs, weights, min_shared, top, bound, range(lo, min(len(docs), lo + 3)))[1]
                 for lo in range(0, len(docs), 3)]
        _same(now, tuple(np.concatenate([p[k] for p in parts]) for k in range(3)))


@settings(max_examples=150, deadline=None)
@given(_corpus(), st.sampled_from([2, 3, 200]), st.sampled_from([0, 1000]))
def test_the_first_bound_is_never_below_the_matrix_bound_nor_a_similarity(corpus, top, dense):
    docs, weights = corpus
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stories, "_DENSE", dense)
        matrix = TermMatrix(weights)
        index = PairIndex(docs, matrix, name_postings(docs, top), top)
        for lo, hi in index.blocks(range(len(docs))):
            left, right, _, first = index.pairs(lo, hi, 1)
            for i, j, f in zip(left.tolist(), right.tolist(), first.tolist()):
                exact = matrix.bounds(i, np.array([j], dtype=np.int64))[0]
                assert exact <= f * (1 + 1e-12)
                assert similarity(weights[i], weights[j]) <= f * (1 + 1e-12)
                if not index.rest[i] and not index.rest[j]:  # no term too common for a column: the same bound
                    assert f == pytest.approx(exact, rel=1e-12, abs=1e-15)


def test_a_term_too_common_for_a_column_still_bounds_the_pair():
    """Two documents that share only names printed by more than max_term_docs documents...
    and one proposing name: the first bound counts the common ones as `rest`."""
    lines = ["Reni and Izmail met in Tarutyne.", "Reni and Izmail met in Bolhrad.",
             "Reni and Izmail met in Kiliia.", "Reni and Izmail met in Ozerne."]
    docs = [SIGN.process(Document(id=f"d{k}", source="<test>", lang="en", text=t)) for k, t in enumerate(lines)]
    docs.append(SIGN.process(Document(id="d4", source="<test>", lang="en", text="Reni, Izmail, Ozerne.")))
    weigh = TermWeights(CFG["story"]).observe(docs)
    weights = [doc_terms(d, weigh) for d in docs]
    index = PairIndex(docs, TermMatrix(weights), name_postings(docs, 2), 2)
    assert index.rest.min() > 0  # reni and izmail: 5 documents > 2
    left, right, shared, first = index.pairs(0, len(docs), 1)
    assert (3, 4) in set(zip(left.tolist(), right.tolist()))  # ozerne proposes it
    k = list(zip(left.tolist(), right.tolist())).index((3, 4))
    assert shared[k] == 1
    assert similarity(weights[3], weights[4]) <= first[k]
    before, now = _both(docs, weights, 1, 2, 0.11)
    _same(before, now)


def test_no_pairs_and_no_terms():
    docs = [SIGN.process(Document(id=f"d{k}", source="<test>", lang="en", text="said the choir."))
            for k in range(3)]
    weights = [replace(UNLINKED) for _ in docs]
    before, now = _both(docs, weights, 2, 200, 0.11)
    _same(before, now)
    assert not len(now[0])


def test_a_large_run_counts_one_row_at_a_time(monkeypatch):
    """Over _INDEX_MAX weighted terms, no PairIndex is built (its memory): the same arrays."""
    docs = [SIGN.process(Document(id=f"d{k}", source="<test>", lang="en", text=f"Reni, Izmail and {n} met."))
            for k, n in enumerate(["Ozerne", "Kiliia", "Ozerne", "Bolhrad"])]
    weigh = TermWeights(CFG["story"]).observe(docs)
    weights = [doc_terms(d, weigh) for d in docs]
    small = _both(docs, weights, 2, 200, 0.11)[1]
    monkeypatch.setattr(stories, "_INDEX_MAX", 3)
    monkeypatch.setattr(TermMatrix, "pair_index", None)  # would raise if called
    _same(small, _both(docs, weights, 2, 200, 0.11)[1])
    assert len(small[0])
