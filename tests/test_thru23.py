"""thru-23 (#18): the main process's share of a run, cut where it did per-term Python work.

- flow.share_strings: the salient terms of the slim copies that come back from the workers
  are shared through the run's own table (one object a distinct term), not sys.intern: a
  2-worker run on the references corpus met 148,084 terms, 8,317 of them distinct, and
  its main process spent ~0.1 s of CPU in sys.intern while the workers ran.
- TermWeights.of: a document's base weights read from base_weight's cache (now by
  language, then term) by one map in C, then the lead's terms and the terms not weighed
  yet; term_weights.doc_terms' one-line terms by compress. The same dicts, in the same
  order, the same floats as the loops they replace (kept here to compare with).
"""

from __future__ import annotations

import sys
from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.config import config_from_dict
from cleaner.core.document import Document
from cleaner.dedup.term_weights import DocTerms, TermWeights, doc_terms
from cleaner.dedup.terms import is_year
from cleaner.exec import flow
from cleaner.stages.sign import Sign

CFG = config_from_dict()
SIGN = Sign.from_config(CFG)
_NAMES = ["Tarutyne", "Reni", "Vylkove", "Orlivka", "Izmail", "Kiliia", "Bolhrad", "Odesa", "Kyiv", "Lviv"]
_WORDS = ["the", "choir", "sang", "for", "elders", "in", "harvest", "came", "from", "a", "match", "was",
          "played", "near", "port", "said", "on", "12", "1997", "2013", "May", "Saturday", "Dec", "20", "3,400"]


def _loop_of(weigh: TermWeights, terms, lead, lang) -> dict[str, float]:
    """TermWeights.of as it was (session 22): a loop over the terms."""
    in_lead = set(lead)
    out: dict[str, float] = {}
    for t in terms:
        if t in in_lead:
            out[t] = weigh.lead_boost * (weigh.date_weight if is_year(t) else weigh.base_weight(t, lang))
        else:
            out[t] = weigh.base_weight(t, lang)
    return out


@st.composite
def _docs(draw: st.DrawFn) -> list[Document]:
    lines = st.lists(st.sampled_from(_WORDS + _NAMES), min_size=1, max_size=12).map(" ".join)
    docs = []
    for k in range(draw(st.integers(1, 12))):
        text = "\n".join("said " + words + "." for words in draw(st.lists(lines, min_size=1, max_size=6)))
        title = draw(st.sampled_from(_NAMES)) + " " + draw(st.sampled_from(["1997", "May 3", "council"]))
        docs.append(SIGN.process(Document(id=f"d{k}", source="<test>", text=text, title=title,
                                          lang=draw(st.sampled_from(["en", "de", "uk", None])),
                                          date=draw(st.sampled_from([None, "2013-05-04"])))))
    return docs


def _fields(terms: DocTerms) -> tuple:
    return (list(terms.weights.items()), list(terms.lines.items()), terms.total, bytes(terms.line_words.values or b""),
            terms.line_words.terms, terms.overlap)


@settings(max_examples=60, deadline=None)
@given(_docs(), st.randoms(use_true_random=False))
def test_weights_are_the_loops_in_the_same_order(docs, rnd):
    weigh = TermWeights(CFG["story"]).observe(docs)
    fresh = TermWeights(CFG["story"]).observe(docs)
    order = list(range(len(docs))) * 2  # each document twice: its terms weighed, then read back
    rnd.shuffle(order)
    for k in order:
        d = docs[k]
        f = d.features
        got = weigh.of(f.terms, f.lead, d.lang)
        want = _loop_of(fresh, f.terms, f.lead, d.lang)
        assert list(got.items()) == list(want.items())  # same keys, order and floats (== on floats: exact)
        assert all(type(v) is float for v in got.values())
        # doc_terms: the one-line terms (term_lines != 0), in term order, as the comprehension gave
        only = array("I")
        only.frombytes(f.term_lines)
        terms = doc_terms(d, weigh)
        assert list(terms.lines.items()) == [(t, c) for t, c in zip(f.terms, only) if c]
        assert _fields(terms) == _fields(doc_terms(d, weigh))


def test_a_lead_year_is_not_given_a_base_weight():
    """The loop never weighed a year of the lead by rarity (date_weight x lead_boost): nor
    does `of`, so no number table is looked up for it."""
    weigh = TermWeights(CFG["story"])
    asked: list[str] = []
    base = weigh.base_weight
    weigh.base_weight = lambda t, lang: asked.append(t) or base(t, lang)  # type: ignore[method-assign]
    got = weigh.of(("1997", "kyiv"), ("1997",), "en")
    assert got["1997"] == weigh.lead_boost * weigh.date_weight
    assert asked == ["kyiv"]


def _slim(i: int, terms: tuple[str, ...], lead: tuple[str, ...]) -> Document:
    doc = SIGN.process(Document(id=f"d{i}", source="feed.jsonl", lang="en", text="said Reni."))
    doc.features.terms, doc.features.lead = terms, lead
    return doc


def test_terms_are_shared_through_the_runs_table():
    # Equal strings that are separate objects, as two documents unpickled from a worker hold them.
    a = _slim(0, ("".join(["ki", "lia"]), "".join(["re", "ni"])), ("".join(["re", "ni"]),))
    b = _slim(1, ("".join(["re", "ni"]), "".join(["vyl", "kove"])), ())
    assert a.features.terms[1] is not b.features.terms[0]
    table: dict[str, str] = {}
    flow.share_strings(a, table)
    flow.share_strings(b, table)
    assert a.features.terms == ("kilia", "reni") and b.features.terms == ("reni", "vylkove")
    assert a.features.terms[1] is b.features.terms[0] is a.features.lead[0] is table["reni"]
    assert set(table) == {"kilia", "reni", "vylkove"}
    # The table's, not Python's interned strings: a term not interned elsewhere stays so.
    word = "".join(["bolh", "rad", "-23"])
    c = _slim(2, (word,), ())
    flow.share_strings(c, {})
    assert c.features.terms[0] is word and sys.intern("".join(["bolh", "rad", "-23"])) is not word


def test_a_run_shares_its_terms_across_workers(tmp_path):
    """process_documents with 2 workers: documents printing the same name hold one object."""
    from cleaner.exec.local import LocalExecutor
    from cleaner.stages.build import build_stages
    from cleaner.store.spool import Spool
    from collections import Counter

    docs = [Document(id=f"d{i}", source="feed.jsonl", text=f"Officials in Tarutyne said on Monday {i} boats came.\n"
                     f"The Reni port said the Izmail choir sang.") for i in range(8)]
    with Spool(str(tmp_path)) as spool:
        out, _ = flow.process_documents(docs, build_stages(CFG), LocalExecutor(workers=2), spool, Counter(),
                                        Counter())
    names = [next(t for t in d.features.terms if t == "tarutyne") for d in out]
    assert len({id(t) for t in names}) == 1
