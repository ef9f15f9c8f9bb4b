"""term_weights.similarity computes the same floats as its plain definition (issue #12,
point 7): the story tier's speed-ups (a row's lines unpacked once, b's words counted in
place, a size bound before counting) must not change a single value, since average
linkage sums every edge. Every text here is written by the team."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.config import config_from_dict
from cleaner.core.document import Document
from cleaner.dedup.term_weights import DocTerms, TermWeights, doc_terms, same_wording, similarity
from cleaner.stages.sign import Sign

CFG = config_from_dict()
SIGN = Sign.from_config(CFG)

_NAMES = ["Tarutyne", "Reni", "Vylkove", "Orlivka", "Bessarabka", "Izmail", "Kiliia", "Bolhrad"]
_WORDS = ["the", "choir", "sang", "for", "elders", "in", "and", "harvest", "came", "from", "a", "match",
          "was", "played", "near", "port", "said", "officials", "on"]


def _reference_same_wording(a: DocTerms, b: DocTerms, term: str) -> bool:
    """same_wording as its docstring defines it, with nothing cached."""
    line = a.lines.get(term)
    if line is not None and line == b.lines.get(term):
        return True
    mine, theirs = a.line_words.lines(term), b.line_words.lines(term)
    if not mine or not theirs:
        return False

    def alike(i: int, j: int) -> bool:
        x, y = a.line_words.words(i), b.line_words.words(j)
        inter = len(x & y)
        return inter > 0 and inter * (1.0 + a.overlap) >= a.overlap * (len(x) + len(y))

    return all(any(alike(i, j) for j in theirs) for i in mine) and all(any(alike(i, j) for i in mine) for j in theirs)


def _reference_similarity(a: DocTerms, b: DocTerms) -> float:
    shared = dropped = 0.0
    for t in sorted(a.weights.keys() & b.weights.keys()):
        w, other = a.weights[t], b.weights[t]
        if _reference_same_wording(a, b, t):
            dropped += w + other
        else:
            shared += min(w, other)
    return shared / (a.total + b.total - dropped - shared) if shared else 0.0


def _line(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=9))
    names = draw(st.lists(st.sampled_from(_NAMES), min_size=0, max_size=3))
    number = draw(st.sampled_from(["", " 12", " 2013"]))
    # A name after a lowercase word is mid-sentence: a term.
    return "said " + " ".join(words + names) + number + "."


@st.composite
def _corpus(draw: st.DrawFn) -> list[str]:
    """Texts drawn from one small pool of lines, some changed by a word: shared lines,
    nearly shared lines and names on several lines all occur."""
    pool = [_line(draw) for _ in range(draw(st.integers(2, 6)))]
    texts = []
    for _ in range(draw(st.integers(2, 5))):
        lines = [draw(st.sampled_from(pool)) if draw(st.booleans()) else _line(draw)
                 for _ in range(draw(st.integers(1, 5)))]
        if draw(st.booleans()):
            k = draw(st.integers(0, len(lines) - 1))
            lines[k] = lines[k].replace("said", draw(st.sampled_from(["told", "said", "wrote"])), 1)
        texts.append("Report\n" + "\n".join(lines))
    return texts


@settings(max_examples=150, deadline=None)
@given(_corpus(), st.sampled_from([0.3, 0.5, 1.0]), st.randoms(use_true_random=False))
def test_similarity_is_its_plain_definition_in_any_call_order(texts, overlap, rnd):
    story = config_from_dict({"story": {"wording_overlap": overlap}})["story"]
    docs = [SIGN.process(Document(id=f"d{i}", source="<test>", text=t, lang="en")) for i, t in enumerate(texts)]
    weigh = TermWeights(story).observe(docs)
    terms = [doc_terms(d, weigh) for d in docs]
    pairs = [(i, j) for i in range(len(terms)) for j in range(len(terms)) if i != j]
    rnd.shuffle(pairs)  # rows interleaved: the row cache must follow the document it is asked about
    for i, j in pairs + pairs:
        a, b = terms[i], terms[j]
        assert similarity(a, b) == _reference_similarity(a, b)
        for t in a.weights.keys() & b.weights.keys():
            assert same_wording(a, b, t) == _reference_same_wording(a, b, t)


def test_a_row_read_back_without_line_words_is_not_taken_for_another():
    """Documents without packed line words (a state's older members) share no wording but
    identical lines; the cached row of the document before must not answer for them."""
    story = CFG["story"]
    docs = [SIGN.process(Document(id=f"d{i}", source="<test>", text=t, lang="en")) for i, t in enumerate((
        "Report\nsaid the choir sang for Vylkove elders in Orlivka.",
        "Report\nsaid the choir sang for Vylkove elders in Orlivka today.",
        "Report\nofficials came from Vylkove and Orlivka to the port."))]
    weigh = TermWeights(story).observe(docs)
    a, b, c = (doc_terms(d, weigh) for d in docs)
    assert similarity(a, b) == 0.0  # nearly the same line: wording
    assert similarity(a, c) > 0.0
    bare = DocTerms(a.weights, {}, a.total)  # a without lines or line words
    assert similarity(bare, b) == _reference_similarity(bare, b) > 0.0
    assert similarity(a, b) == 0.0
