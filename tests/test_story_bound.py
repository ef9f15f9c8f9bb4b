"""The story tier measures only the pairs that can matter (issue #12 point 7), with the same
result as measuring every pair.

candidate_edges leaves a pair UNMEASURED when an upper bound on its similarity, from term
weights alone (TermMatrix.bounds), is below story.threshold: such a pair cannot make a
component, and link_component measures it (resolve_edges) only if both documents end up
in one. Records, edges and every float must be those of measuring every pair. Texts are
the team's trap set (tests/data/story_traps.json: same-topic events, so many weak pairs
inside components) and hypothesis corpora of the team's own lines."""

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.config import config_from_dict
from cleaner.core.document import Document
from cleaner.dedup.stories import (UNMEASURED, InProcess, Shared, TermMatrix, candidate_edges, component_labels,
                                   link_stories, resolve_edges, story_edges)
from cleaner.dedup.term_weights import TermWeights, doc_terms, similarity
from cleaner.stages.sign import Sign

CFG = config_from_dict()
SIGN = Sign.from_config(CFG)
TRAPS = json.loads((Path(__file__).resolve().parent / "data" / "story_traps.json").read_text(encoding="utf-8"))


def _signed(texts: list[dict]) -> list[Document]:
    return [SIGN.process(Document(id=d["id"], source="<test>", text=d["text"], title=d.get("title"),
                                  date=d.get("date"), lang=d.get("lang", "en"))) for d in texts]


class _Exact(InProcess):
    """Every pair measured: the story tier as it was before the bound."""

    def edges(self, shared: object, n: int):
        reps, weights, story = shared  # type: ignore[misc]
        return candidate_edges(reps, weights, story["min_shared_terms"], story["max_term_docs"],
                               story["date_window_days"], story["min_shared_lead_names"],
                               story["outside_window_factor"])


def _same_floats(a: dict, b: dict) -> bool:
    return list(a.items()) == list(b.items())  # same pairs, same order, same floats


def _trap_docs() -> list[Document]:
    return _signed([{**d, "lang": None} for t in TRAPS for e in t["events"] for d in e["docs"]])


def test_the_bound_never_falls_below_a_similarity():
    docs = _trap_docs()
    story = CFG["story"]
    weights = [doc_terms(d, TermWeights(story).observe(docs)) for d in docs]
    matrix = TermMatrix(weights)
    n = len(docs)
    for i in range(n):
        others = np.arange(n, dtype=np.int64)
        bounds = matrix.bounds(i, others)
        for j in range(n):
            assert similarity(weights[i], weights[j]) <= bounds[j] * (1 + 1e-12)


def test_trap_set_records_and_edges_are_those_of_measuring_every_pair():
    docs = _trap_docs()
    story = CFG["story"]
    weigh = TermWeights(story).observe(docs)
    weights = [doc_terms(d, weigh) for d in docs]
    left, right, sims = story_edges((docs, weights, story))
    unmeasured = [(i, j) for i, j, s in zip(left.tolist(), right.tolist(), sims.tolist()) if math.isnan(s)]
    assert unmeasured, "the trap set must exercise the bound"
    for cfg in (CFG, config_from_dict({"story": {"local_df_factor": 0.0}})):
        bounded = link_stories(docs, cfg, weights)
        exact = link_stories(docs, cfg, weights, _Exact())
        assert bounded[0] == exact[0]
        assert _same_floats(bounded[1], exact[1])
    # Some of the pairs left unmeasured lie inside a record and were measured there.
    assert any(p in bounded[1] for p in unmeasured)


def test_an_unmeasured_pair_the_gate_refuses_is_dropped():
    docs = _signed([
        {"id": "a", "date": "2024-03-01", "title": "Ferry Orlivka",
         "text": "The Orlivka ferry to Tarutyne stopped after the Kiliia storm.\nBolhrad crews helped."},
        {"id": "b", "date": "2024-09-20", "title": "Orlivka",
         "text": "A choir from Orlivka sang in Tarutyne.\nThe harvest was late in Reni."}])
    story = config_from_dict({"story": {"outside_window_factor": 0.0}})["story"]
    weights = [doc_terms(d, TermWeights(story).observe(docs)) for d in docs]
    shared: Shared = (docs, weights, story)
    assert resolve_edges(shared, {(0, 1): UNMEASURED}) == {}  # 203 days apart: the window vetoes
    same_day = [replace(d, date="2024-03-01") for d in docs]
    measured = resolve_edges((same_day, weights, story), {(0, 1): UNMEASURED})
    assert measured == {(0, 1): similarity(weights[0], weights[1])}
    assert resolve_edges(shared, {(0, 1): 0.25}) == {(0, 1): 0.25}  # measured edges pass as they are


_NAMES = ["Tarutyne", "Reni", "Vylkove", "Orlivka", "Bessarabka", "Izmail", "Kiliia", "Bolhrad"]
_WORDS = ["the", "choir", "sang", "for", "elders", "in", "and", "harvest", "came", "from", "a", "match",
          "was", "played", "near", "port", "said", "officials", "on"]


@st.composite
def _corpus(draw: st.DrawFn) -> list[dict]:
    """Texts from a small pool of lines with names: many pairs, a few linked, shared lines."""
    def line() -> str:
        words = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=8))
        names = draw(st.lists(st.sampled_from(_NAMES), min_size=0, max_size=4))
        return "said " + " ".join(words + names) + "."

    pool = [line() for _ in range(draw(st.integers(2, 8)))]
    return [{"id": f"d{k}", "title": "Report " + draw(st.sampled_from(_NAMES)),
             "text": "\n".join(draw(st.sampled_from(pool)) if draw(st.booleans()) else line()
                               for _ in range(draw(st.integers(1, 6))))}
            for k in range(draw(st.integers(2, 12)))]


@settings(max_examples=60, deadline=None)
@given(_corpus(), st.sampled_from([0.05, 0.11, 0.3]), st.booleans())
def test_any_corpus_gives_the_records_of_measuring_every_pair(texts, threshold, local):
    # Without component-local weights, an unmeasured pair reaches average linkage as it is.
    story = {"threshold": threshold, "local_threshold": min(threshold, 0.075)}
    cfg = config_from_dict({"story": story if local else {**story, "local_df_factor": 0.0}})
    docs = _signed(texts)
    weights = [doc_terms(d, TermWeights(cfg["story"]).observe(docs)) for d in docs]
    bounded = link_stories(docs, cfg, weights)
    exact = link_stories(docs, cfg, weights, _Exact())
    assert bounded[0] == exact[0]
    assert _same_floats(bounded[1], exact[1])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 40).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0))),
                         max_size=60 if n else 0))))
def test_components_are_numbered_as_scipy_numbers_them(graph):
    """component_labels replaced scipy's connected_components: the same labels (by lowest
    document), so components come in the same order."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n, pairs = graph
    left = np.array([min(p) for p in pairs], dtype=np.uint32)
    right = np.array([max(p) for p in pairs], dtype=np.uint32)
    expected = connected_components(coo_matrix((np.ones(len(pairs), dtype=np.int8), (left, right)), shape=(n, n)),
                                    directed=False)[1]
    assert component_labels(n, left, right).tolist() == expected.tolist()
