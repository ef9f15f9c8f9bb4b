"""sign-18f (#18, #16): faster spellings of the signing stage's word scans and story MinHash
give what the straightforward code gives. Each test compares a new path with the code it
replaces (written out here), so it fails if the two ever differ."""

from __future__ import annotations

import re
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core import text as text_module
from cleaner.core.text import LETTER, UNSPACED, UNSPACED_RUN, WORD, WORD_FAST, count_of, is_unspaced, words
from cleaner.dedup import signatures as sig
from cleaner.dedup import terms as terms_module
from cleaner.dedup.signatures import low32, minhash_values, string_hashes, string_minhash, unique_sorted


def _every_code_point_but_underscore() -> str:
    return "".join(chr(c) for c in range(sys.maxunicode + 1) if c != ord("_") and not 0xD800 <= c < 0xE000)


EVERYTHING = _every_code_point_but_underscore()
# Contexts a character may stand in: alone, inside a word, inside a number, after a sentence end.
CONTEXTS = ["{} ", "a{}b ", "1{}2 ", "x. {}", "Ab-{}-cd ", "3,{}00 "]


def _texts_without_underscore() -> st.SearchStrategy[str]:
    pieces = st.sampled_from(["Odesa", "O'Neill", "Saint-Denis", "12,000", "2025-12-20", "03:40", ". ", "! ",
                              "\n", "\n\n", " ", "  ", "。", "上海", "ไทย", "İstanbul", "straße", "ﬁne", "x3",
                              "٣٤", "Ⅻ", "²", "-", "'", "’", "/", ".", ","])
    return st.one_of(st.lists(pieces, max_size=30).map("".join),
                     st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="_"),
                             max_size=80))


def test_fast_token_pattern_is_the_token_pattern_on_every_code_point():
    # Without "_", \w and WORD_CLASS are the same class: the same tokens, character by character.
    for context in CONTEXTS:
        sample = "".join(context.format(c) for c in EVERYTHING)
        assert terms_module._TOKENS_FAST.findall(sample) == terms_module._TOKENS.findall(sample)
        assert WORD_FAST.findall(sample) == WORD.findall(sample)


@settings(max_examples=500, deadline=None)
@given(_texts_without_underscore())
def test_fast_token_patterns_are_the_patterns(text):
    assert terms_module._TOKENS_FAST.findall(text) == terms_module._TOKENS.findall(text)
    assert words(text) == WORD.findall(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_words_with_underscores_split_there(text):
    # With "_" in the text, words() keeps WORD: an underscore splits words.
    assert words(text + "_" + text) == WORD.findall(text + "_" + text)


def test_salient_terms_with_an_underscore_read_the_words_around_it():
    assert terms_module.salient_terms("Met Odesa_Kyiv in Lviv_Town on Dec 20.")[0] == \
        terms_module.salient_terms("Met Odesa Kyiv in Lviv Town on Dec 20.")[0]


def test_salient_terms_use_a_replaced_token_pattern():
    # A test that puts its own scan in text_tokens (tests/test_terms_same.py) gets it used.
    saved = terms_module.text_tokens
    terms_module.text_tokens = re.compile(r"\d+|[^\W\d_]+").findall  # no hyphen or apostrophe joins
    try:
        assert "saint" in terms_module.salient_terms("We met Saint-Denis there.")[0]
    finally:
        terms_module.text_tokens = saved
    assert "saint-denis" in terms_module.salient_terms("We met Saint-Denis there.")[0]


def _is_unspaced_before(text: str) -> bool:
    sample = text[:5000]
    if not UNSPACED.search(sample):
        return False
    letters = len(LETTER.findall(sample)) or 1
    return len(UNSPACED.findall(sample)) / letters > 0.3


def _word_count_before(line: str) -> int:
    if not UNSPACED.search(line):
        return len(WORD.findall(line))
    unspaced = len(UNSPACED.findall(line))
    return len(WORD.findall(UNSPACED.sub(" ", line))) + (unspaced + 1) // 2


_MIXED = st.lists(st.sampled_from(["上海市", "，", "。", "ภาษาไทย", "カタカナ", "Latin words ", "слова ", "1234",
                                   " ", "\n", "ㄱ", "한국어", "a", "x"]), max_size=60).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_MIXED, st.text(max_size=60)))
def test_unspaced_counts_by_runs_are_the_counts_by_characters(text):
    assert is_unspaced(text) == _is_unspaced_before(text)
    text_module.word_count.cache_clear()
    assert text_module.word_count(text) == _word_count_before(text)


def test_unspaced_run_counts_every_code_point():
    assert count_of(UNSPACED_RUN, EVERYTHING) == len(UNSPACED.findall(EVERYTHING))


def _story_before(strings: list[str], num_perm: int = 128, seed: int = 1) -> np.ndarray:
    return minhash_values(unique_sorted(low32(string_hashes(strings))), num_perm, seed)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=6), max_size=40), st.sampled_from([(128, 1), (64, 7)]))
def test_string_minhash_is_the_minhash_of_the_hashed_strings(strings, perm):
    num_perm, seed = perm
    assert np.array_equal(string_minhash(strings, num_perm, seed), _story_before(strings, num_perm, seed))
    # Again, every string now kept: the same signature.
    assert np.array_equal(string_minhash(strings, num_perm, seed), _story_before(strings, num_perm, seed))


def test_string_minhash_after_forgetting(monkeypatch):
    monkeypatch.setattr(sig, "STRINGS_KEPT", 5)
    sig._MIXED.clear()
    first = ["odesa", "kyiv", "2025", "@12-20"]
    assert np.array_equal(string_minhash(first, 128, 1), _story_before(first))
    # Past the bound mid-list: everything forgotten, the list's strings hashed again.
    second = ["odesa", "lviv", "kharkiv", "dnipro", "", "odesa"]
    assert np.array_equal(string_minhash(second, 128, 1), _story_before(second))
    assert set(sig._MIXED) == {"odesa", "lviv", "kharkiv", "dnipro"}
    assert np.array_equal(string_minhash([], 128, 1), _story_before([]))
    assert np.array_equal(string_minhash([""], 128, 1), _story_before([""]))


def test_minhash_values_across_blocks_and_layouts(monkeypatch):
    rng = np.random.default_rng(5)
    values = rng.integers(0, 2**32, 1000, dtype=np.uint64).astype(np.uint32)
    expected = minhash_values(values, 128, 1)
    one_at_a_time = np.minimum.reduce([minhash_values(values[i:i + 1], 128, 1) for i in range(len(values))])
    assert np.array_equal(expected, one_at_a_time)
    monkeypatch.setattr(sig, "MINHASH_ROWS", 300)  # blocks of 300 and a last one of 100 (the other layout)
    assert np.array_equal(minhash_values(values, 128, 1), expected)
