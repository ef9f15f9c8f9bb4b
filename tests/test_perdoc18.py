"""#18 (perdoc-18): the per-document stages' faster paths against their old definitions.
Each test compares the new path with the code it replaced (written out here), over every
code point where a table is involved and over varied texts (many scripts, whitespace, empty
lines, very long lines, surrogates); a difference fails."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.text import LETTER, LETTER_RUN, WORD_CHAR, count_of
from cleaner.dedup import signatures
from cleaner.stages.language import langdetect_fast
from cleaner.stages.language.langdetect_fast import _LATIN, _LATIN_RUN, _NON_LATIN_RUN, _NORMALISE, normalised

PIECES = ["abc", "Ωμέγα", "Київ", "١٢٣", "12", "_", " ", "  ", "\n", "\n\n", "\t", "ा", "字", "̀", "[", "z{", "Ạ", "ș",
          "\U0010ffff", "\ud800", "é", "½", "²", "İ", "ß", "ﬁ", "\u00a0", "\u3000", "ア", "あ", "한", "ی", "—", "\x00",
          "NATO", "McDonald", "ǅ", "x" * 300]
MIXED = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
TEXTS = MIXED | st.text(alphabet=st.characters(), max_size=200)
EVERY = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")


def _fixture_texts() -> list[str]:
    rng = random.Random(18)
    texts = ["", " ", "\n", "a", "Kyiv 2025: ціни_зросли!", "Die Bürger\u00a0von Köln", "x" * 20_000,
             "\n".join(["", "Line one.", "   ", "ΑΘΗΝΑ — Η κυβέρνηση", "", "中文字符测试。"])]
    for _ in range(300):
        texts.append("".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 80))))
    return texts


def test_letter_flags_are_the_letter_class_on_every_code_point():
    flags = signatures.derived_flags(LETTER)
    want = np.array([LETTER.match(ch) is not None for ch in EVERY])
    assert np.array_equal(flags, want)
    assert np.array_equal(signatures.derived_flags(WORD_CHAR), signatures.derived_word_chars())


def test_letter_table_read_back_is_the_derived_one():
    assert np.array_equal(signatures._letters(), signatures.derived_flags(LETTER))


@settings(max_examples=500, deadline=None)
@given(TEXTS)
def test_letter_count_is_count_of_letter_runs(text):
    assert signatures.letter_count(text) == count_of(LETTER_RUN, text)


def test_letter_count_on_fixtures():
    for text in _fixture_texts():
        assert signatures.letter_count(text) == count_of(LETTER_RUN, text)
        assert signatures.letter_count(text[:500]) == count_of(LETTER_RUN, text[:500])


def test_normalise_is_one_character_for_every_code_point():
    # normalised() relies on it; so does its table's 0 for "not seen yet"
    from langdetect.utils.ngram import NGram

    for code in range(0, 0x110000, 1):
        one = NGram.normalize(chr(code))
        assert len(one) == 1 and one != "\x00", code


def test_normalised_is_translate_on_every_code_point():
    assert normalised(EVERY) == EVERY.translate(_NORMALISE)
    assert normalised(EVERY[::-1]) == EVERY[::-1].translate(_NORMALISE)


@settings(max_examples=500, deadline=None)
@given(TEXTS)
def test_normalised_is_translate(text):
    assert normalised(text) == text.translate(_NORMALISE)


def test_normalised_on_fixtures_cold_and_warm():
    langdetect_fast._NORMALISED[:] = 0  # forget what was met: filled again on the way
    for _ in range(2):
        for text in _fixture_texts():
            assert normalised(text) == text.translate(_NORMALISE)


def _cleaning_text_reference(text: str) -> str:
    """FastDetector.cleaning_text before perdoc-18: counts by runs."""
    latin = count_of(_LATIN_RUN, text)
    if latin * 2 < count_of(_NON_LATIN_RUN, text):
        return _LATIN.sub("", text)
    return text


def _cleaned(text: str) -> str:
    det = langdetect_fast.FastDetector.__new__(langdetect_fast.FastDetector)
    det.text = text
    det.cleaning_text()
    return det.text


@settings(max_examples=500, deadline=None)
@given(TEXTS)
def test_cleaning_text_is_the_reference(text):
    assert _cleaned(text) == _cleaning_text_reference(text)


def test_cleaning_text_on_fixtures():
    extra = ["Москва abc", "Москва abcdefghijklmnopq", "AZaz[]^_`", "\u02ff\u0300", "\u1e00" * 5 + "ab"]
    for text in _fixture_texts() + extra:
        assert _cleaned(text) == _cleaning_text_reference(text)


def _extract_ngrams_reference(det: langdetect_fast.FastDetector) -> list[str]:
    """FastDetector._extract_ngrams with str.translate (before perdoc-18's normalised)."""
    canon = langdetect_fast._canonical(det.word_lang_prob_map)
    result: list[str] = []
    words = det.text.translate(_NORMALISE).split(" ")
    last = len(words) - 1
    for index, word in enumerate(words):
        if not word:
            continue
        grams, tail = langdetect_fast._word_grams(word, canon)
        result.extend(grams if index < last else grams[: len(grams) - tail])
    return result


def _detector(text: str) -> langdetect_fast.FastDetector:
    from cleaner.stages.language.detect import DetectLanguage

    stage = DetectLanguage()
    stage.setup()
    det = langdetect_fast.FastDetector(stage._factory)
    det.text = text
    return det


NGRAM_PIECES = PIECES + ["the ", "word", " ", "Zürich", "ÉCOLE", "москва", "a", "ab", " a", "I ", "xyz"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(NGRAM_PIECES), max_size=60).map("".join) | st.text(max_size=200))
def test_extract_ngrams_is_a_word_at_a_time(text):
    det = _detector(text)
    assert det._extract_ngrams() == _extract_ngrams_reference(det)


def test_extract_ngrams_on_fixtures_cold_and_warm():
    for _ in range(2):
        for text in _fixture_texts() + ["word", "word ", " word", "two  spaces end ", "", " ", "  "]:
            det = _detector(text)
            assert det._extract_ngrams() == _extract_ngrams_reference(det)
        langdetect_fast._WORDS.clear()


# pack_line_words: the lines' word hashes at once (terms.lines_word_hashes)
from cleaner.core.text import nfkc  # noqa: E402
from cleaner.dedup import terms  # noqa: E402


def _pack_reference(lines: list[str], term_lines: list[list[int]], normalized: bool = False,
                    folded_lines: list[str] | None = None) -> bytes:
    """pack_line_words before perdoc-18: a line at a time (each line folded here: the folds
    salient_terms hands over since cpu-29, `folded_lines`, are not read)."""
    used = sorted(set().union(*term_lines))
    where = {i: k for k, i in enumerate(used)}
    hashes = terms._folded_word_hashes if normalized else terms.word_hashes
    words = [hashes(lines[i]) for i in used]
    return terms.packed_layout(words, term_lines, where)  # the layout, unchanged


def test_lines_word_hashes_on_every_code_point():
    chunk = 4096
    lines = [EVERY[k:k + chunk].replace("\n", " ") for k in range(0, len(EVERY), chunk)]
    lines = [nfkc(line) for line in lines]
    assert terms.lines_word_hashes(lines) == [terms._folded_word_hashes(line) for line in lines]


@settings(max_examples=500, deadline=None)
@given(st.lists(TEXTS.map(nfkc), max_size=12))
def test_lines_word_hashes_is_a_line_at_a_time(lines):
    # lines holding a line break too (a line at a time then)
    assert terms.lines_word_hashes(lines) == [terms._folded_word_hashes(line) for line in lines]


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=10), st.data())
def test_pack_line_words_is_the_reference(lines, data):
    term_lines = data.draw(st.lists(st.lists(st.integers(0, len(lines) - 1), min_size=1, max_size=4)
                                    .map(lambda xs: sorted(set(xs))), max_size=8))
    assert terms.pack_line_words(lines, term_lines) == _pack_reference(lines, term_lines)
    normal = [nfkc(line) for line in lines]
    assert terms.pack_line_words(normal, term_lines, normalized=True) == _pack_reference(normal, term_lines, True)


def test_salient_terms_on_fixtures_is_with_the_reference_pack(monkeypatch):
    # (a text with a lone surrogate: salient_terms' line CRCs refuse it, on main too)
    texts = [t for t in _fixture_texts() if "\ud800" not in t]
    now = [terms.salient_terms(text, "2025-12-20", 40, None, None) for text in texts]
    monkeypatch.setattr(terms, "pack_line_words", _pack_reference)
    assert now == [terms.salient_terms(text, "2025-12-20", 40, None, None) for text in texts]
