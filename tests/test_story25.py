"""Story tier, session 25 (#12 point 7): its CPU cut with the same output, and a number term
wordfreq cannot estimate. Every text here is written by the team."""

from array import array

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.config import config_from_dict
from cleaner.core.document import Document
from cleaner.core.features import copy_with
from cleaner.dedup import stories
from cleaner.dedup.stories import PairIndex, TermMatrix, link_stories, name_postings, stable_order
from cleaner.dedup.term_weights import TermWeights, doc_terms, numbers_zipf, number_shapes, zipf
from cleaner.stages.sign import Sign

CFG = config_from_dict()
# Gurung Khema digit six (Unicode 16): `regex` (wordfreq's) calls it a digit, Python 3.11-3.13's
# tables do not know it, so int() refuses it.
NEW_DIGIT = "\U00016136"
UNREADABLE = NEW_DIGIT * 3 + "5"  # a number term (its 5), whose shape "0000" wordfreq's list holds


def signed(text: str, doc_id: str, lang: str = "en") -> Document:
    return Sign.from_config(CFG).process(Document(id=doc_id, source="<test>", text=text, lang=lang))


def with_term(doc: Document, term: str, lead: bool = False) -> Document:
    """`doc` with one more salient term, as a state's kept terms or the API could hand it over
    (on no line of its own: read back without line words)."""
    f = doc.features
    assert f is not None
    terms = sorted((*f.terms, term))
    lines = array("I")
    lines.frombytes(f.term_lines)
    lines.insert(terms.index(term), 0)
    doc.features = copy_with(f, terms=tuple(terms), term_lines=lines.tobytes(), line_words=b"",
                             lead=tuple(sorted((*f.lead, term))) if lead else f.lead)
    return doc


STRIKE = ("Drone strike hits Vylkove port\nA drone struck the grain terminal of Vylkove on the Danube, "
          "officials in Izmail said. Governor Oleh Kiper named two injured workers, Petro Hnatiuk "
          "and Ivan Moroz.\nThe Tuzla ferry stopped for the day.")
RETOLD = ("Vylkove port hit by drone\nGovernor Oleh Kiper said the grain terminal of Vylkove was struck "
          "overnight; Petro Hnatiuk and Ivan Moroz were hurt, Izmail officials added.\nThe Tuzla ferry "
          "did not sail.")


def test_a_number_term_wordfreq_cannot_estimate_weighs_as_an_unknown_word():
    """Failed before: ValueError (int() of the new digit) out of the story tier's observe."""
    if NEW_DIGIT.isdigit():
        pytest.skip("this Python's Unicode tables know the digit: wordfreq estimates it")
    shapes = number_shapes({UNREADABLE})
    assert shapes == {UNREADABLE: "0000"}
    assert numbers_zipf(shapes, {"0000": 4.5}) == {UNREADABLE: 0.0}
    assert zipf(UNREADABLE, "en") == 0.0  # explain's path: the same answer
    docs = [with_term(signed(STRIKE, "a"), UNREADABLE, lead=True), with_term(signed(RETOLD, "b"), UNREADABLE)]
    weigh = TermWeights(CFG["story"]).observe(docs)
    assert weigh.zipf(UNREADABLE, "en") == 0.0
    base = CFG["story"]["rarity_base"] ** 2
    assert doc_terms(docs[1], weigh).weights[UNREADABLE] == base
    assert doc_terms(docs[0], weigh).weights[UNREADABLE] == base * CFG["story"]["lead_boost"]
    clusters, _ = link_stories(docs, CFG)
    assert clusters == [[0, 1]]  # the tier went on, and the retelling still joins


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 70_000), max_size=300), st.booleans())
def test_stable_order_is_numpys_stable_argsort(values, small):
    top = 1 << 16 if small else 70_001
    arr = np.array([v % top for v in values], dtype=np.int64)
    assert stable_order(arr, top).tolist() == np.argsort(arr, kind="stable").tolist()


def _docs() -> list[Document]:
    texts = [STRIKE, RETOLD,
             "Talks in Geneva\nEnvoys met in Geneva on Tuesday; Oleh Kiper did not attend. Izmail sent none.",
             "Ferry line resumes\nThe Tuzla ferry sailed again from Izmail, Ivan Moroz said. Vylkove waits.",
             "Harvest report\nPetro Hnatiuk counted the grain at Vylkove and Izmail; Geneva buyers waited."]
    return [signed(t, f"d{k}") for k, t in enumerate(texts)]


@pytest.mark.parametrize("largest", [0, 1_000_000])
def test_name_postings_are_each_names_documents_in_order(largest, monkeypatch):
    """The numpy postings (and, past _POSTINGS_MAX occurrences, the loop in less memory):
    each name's documents ascending, names in the order they first come, a document twice
    where it prints a term twice (as the loop did before)."""
    monkeypatch.setattr(stories, "_POSTINGS_MAX", largest)
    docs = _docs()
    docs.append(copy_with(docs[0], id="twice"))
    f = docs[-1].features
    docs[-1].features = copy_with(f, terms=(*f.terms, "izmail"))
    got = name_postings(docs, 200)
    want: dict[str, list[int]] = {}
    for i, d in enumerate(docs):
        for t in d.features.terms:
            want.setdefault(t, []).append(i)
    want = {t: ids for t, ids in want.items() if 1 < len(ids) <= 200 and not t[0].isdigit() and t[0] != "@"}
    assert {t: v.tolist() for t, v in got.items()} == want and list(got) == list(want)
    assert all(v.dtype == np.uint32 for v in got.values())
    assert got["izmail"].tolist()[-2:] == [5, 5]


@pytest.mark.parametrize("block", [1, 7, 1 << 15])
def test_pair_index_with_a_document_twice_in_a_posting(block, monkeypatch):
    """PairIndex's row starts: each entry's own place plus one, or (a document twice in a
    column) the search it replaces; every block size gives the same pairs and bounds."""
    docs = _docs()
    weigh = TermWeights(CFG["story"]).observe(docs)
    weights = [doc_terms(d, weigh) for d in docs]
    postings = name_postings(docs, 200)
    matrix = TermMatrix(weights)
    plain = PairIndex(docs, matrix, postings, 200)
    at = np.repeat(np.arange(len(plain.lens)), plain.lens) * len(docs) + plain.docs
    assert plain.row_start.tolist() == np.searchsorted(at, at[np.argsort(plain.docs, kind="stable")],
                                                       side="right").tolist()
    doubled = dict(postings)
    doubled["izmail"] = np.sort(np.concatenate((postings["izmail"], postings["izmail"][:1])))
    twice = PairIndex(docs, matrix, doubled, 200)
    col = list(doubled).index("izmail")
    assert len(twice.docs) == len(plain.docs) + 1
    first = twice.starts[col]  # the doubled document's two entries both start after its last one
    assert twice.row_start[np.flatnonzero((twice.row_col == col))].tolist()[:2] == [first + 2, first + 2]
    monkeypatch.setattr(stories, "_BLOCK", block)
    got = [plain.pairs(lo, hi, 2) for lo, hi in plain.blocks(range(len(docs)))]
    one = plain.pairs(0, len(docs), 2)
    for k in range(4):
        assert np.concatenate([g[k] for g in got]).tolist() == one[k].tolist()


@pytest.mark.parametrize("lang", ["en", "fr", "ca", "tr", "ro", "de"])
def test_list_keys_are_list_words(lang):
    """zipf_of's words as wordfreq's list holds them: each word alone where list_words would
    say so, else list_words' answer (elisions, quotes, dotted and dotless i, cedillas)."""
    from cleaner.dedup.term_weights import _list_keys, list_words

    plain = {"vylkove", "izmail", "kiper", "irak", "şiş", "țara", "straße"}
    quoted = plain | {"l'état", "d’odesa", "rock'n'roll", "i\u0307stanbul"}
    for words in (plain, quoted):
        assert _list_keys(set(words), lang) == {w: list_words(w, lang) for w in words}
