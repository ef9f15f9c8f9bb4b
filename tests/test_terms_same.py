"""salient_terms() skips two regex calls a term cannot need (#18): the digit search on a
word of letters alone, and the possessive regex, now an endswith. Both rest on facts about
characters, checked here over every code point, and on any text."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.text import TERM
from cleaner.dedup.terms import _DIGIT, _POSSESSIVE, _POSSESSIVES, salient_terms
from test_sign_fast import reference_salient_terms  # imported here: its @given tests inside a test are nested

EVERY = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def test_no_letter_is_a_digit():
    """So a token of letters alone (isalpha) never holds what _DIGIT finds."""
    assert not [c for c in EVERY if c.isalpha() and _DIGIT.match(c)]


def test_no_token_folds_to_a_final_apostrophe_or_line_break():
    """A token ends in a letter or digit; folded, it still does not end in an apostrophe
    or a line break, so _POSSESSIVE (['’]s?$) can only find a final "'s" or "’s"."""
    ends = [c for c in EVERY if TERM.fullmatch(c)]
    assert len(ends) > 100_000
    assert not [c for c in ends if c.casefold().endswith(("'", "’", "\n"))]


def _strip(folded: str) -> str:
    return folded[:-2] if folded.endswith(_POSSESSIVES) else folded


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
       | st.lists(st.sampled_from(["Odesa", "'s", "’s", "'", "’", "S", "ß", "İ", "ſ", "3", "-", " "]),
                  max_size=12).map("".join))
def test_possessive_strip_is_the_regex_on_any_token(text):
    for token in TERM.findall(text):
        folded = token.casefold()
        assert _strip(folded) == _POSSESSIVE.sub("", folded)


def test_names_numbers_and_possessives_still_found():
    terms = salient_terms("Yesterday Odesa's mayor and O'Neill’s team counted 12,000 votes; ie6 and x3 too.")[0]
    assert {"odesa", "o'neill", "12000", "ie6", "x3"} <= set(terms)
    assert "yesterday" not in terms  # a capital at a sentence start says nothing


# #18 point 2, fourth pass: _TOKENS has possessive quantifiers and pack_line_words hashes
# words by map (word_hashes). Both must give what the code before gave, byte for byte:
# the pattern and the set comprehension of main at 084147e are kept here to compare with.

import zlib  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from cleaner.core.text import tokens  # noqa: E402
from cleaner.dedup import terms as terms_module  # noqa: E402

REFERENCE_TOKENS = re.compile(r"(?<=[.!?。！？])\s+|\n+|\d+(?:[.,:/-]\d+)*|[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)


def _reference_word_hashes(line: str) -> list[int]:
    return sorted({zlib.crc32(w.encode("utf-8")) for w in tokens(line)})


# Pieces that exercise every branch: months and weekdays of several languages (lower and
# upper case), day numbers, link words, sentence ends with and without space, line breaks,
# hyphens, apostrophes, numbers with separators, possessives, stop words, one-letter
# capitals, casefold oddities (ß, İ, ſ, final sigma, U+0345), scripts with and without case.
PIECES = ["Dec", "Dec.", "December", "20", "20.", "3", "31", "32", "2013", "12,000", "03:40", "2025-12-20",
          "de", "of", "diciembre", "Dezember", "декабря", "Mai", "May", "may", "mars", "Saturday", "saturday",
          "Samstag", "субботу", "Odesa's", "O'Neill", "Kherson’s", "Saint-Denis", "The", "I", "A", "X", "Mr",
          "ie6", "x3", "3a", "a3", "mp3", "İstanbul", "Straße", "STRASSE", "ſ", "ΣΟΦΟΣ", "σοφος", "ͅ", "Ǆ", "ǅ",
          "北京", "東京で", "ข่าว", "Київ", "Москва", "שלום", "قال", "한국", "_", "'", "’", "-", ".", "!", "?",
          "。", "！", ",", ";", "(", ")", " ", "  ", "\n", "\n\n", " \n", "\t", "\u00a0", "\u2028", "ﬁ", "①", "Ⅻ",
          "plumless", "buckeroo"]  # these two share a CRC-32


def _texts():
    return (st.lists(st.sampled_from(PIECES), max_size=40).map(" ".join)
            | st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
            | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))


_LANGS = [None, "en", "de", "fr", "es", "ru", "uk", "zz"]


@settings(max_examples=600, deadline=None)
@given(_texts(), st.sampled_from([None, "2025-12-20", "0001-01-01"]), st.sampled_from(_LANGS),
       st.sampled_from([None, "Odesa: Dec 20", "May 3"]), st.integers(0, 45))
def test_salient_terms_are_what_the_code_before_gave(text, doc_date, lang, title, lead_words):
    now = terms_module.salient_terms(text, doc_date, lead_words, title, lang)
    with _reference_scan():
        before = terms_module.salient_terms(text, doc_date, lead_words, title, lang)
    assert now == before


@contextmanager
def _reference_scan(pattern=REFERENCE_TOKENS):
    """salient_terms with `pattern` in place of its token scan (text_tokens: _TOKENS_FAST,
    read for a text without "_", _TOKENS, or a code page's page_tokens) and the reference
    word_hashes."""
    saved = terms_module.text_tokens, terms_module.word_hashes
    terms_module.text_tokens = pattern.findall
    terms_module.word_hashes = _reference_word_hashes
    try:
        yield
    finally:
        terms_module.text_tokens, terms_module.word_hashes = saved


def test_the_reference_scan_reaches_salient_terms():
    """Texts with and without "_", in a code page or not, all read the swapped pattern, so
    the comparison above compares: a pattern that joins no hyphen splits "Saint-Denis" either way."""
    split = re.compile(r"\d+|[^\W\d_]+")
    for text in ("We met Saint-Denis there.", "We met Saint-Denis in a_b.", "We met Saint-Denis in 北京."):
        assert "saint-denis" in terms_module.salient_terms(text)[0]
        with _reference_scan(split):
            assert "saint" in terms_module.salient_terms(text)[0]


@settings(max_examples=400, deadline=None)
@given(_texts())
def test_possessive_tokens_are_the_tokens_before(text):
    # And the pattern _TOKENS spells out is still _SENTENCE | TERM, should TERM change.
    plain = re.compile(terms_module._SENTENCE.pattern + "|" + TERM.pattern, re.UNICODE)
    assert terms_module._TOKENS.findall(text) == REFERENCE_TOKENS.findall(text) == plain.findall(text)


@settings(max_examples=400, deadline=None)
@given(_texts())
def test_word_hashes_are_the_set_comprehension(text):
    for line in text.split("\n"):
        assert terms_module.word_hashes(line) == _reference_word_hashes(line)


def test_two_words_with_one_crc_are_one_hash():
    """"plumless" and "buckeroo" share a CRC-32: the line's hashes stay a set."""
    assert zlib.crc32(b"plumless") == zlib.crc32(b"buckeroo")
    assert terms_module.word_hashes("Odesa plumless buckeroo plumless") == \
        _reference_word_hashes("Odesa plumless buckeroo plumless")
    assert len(terms_module.word_hashes("plumless buckeroo")) == 1


# salient_terms passes over plain words (#18 point 2): lower-case words of letters alone
# that name no month or weekday, and words that can make no term. Reading every token
# instead (the reference of test_sign_fast.py) must give the same result.
CALENDAR_WORDS = ["May", "may", "MAY", "Dec", "Dezember", "декабря", "Samstag", "Saturday", "lundi", "mai",
                  "de", "of", "20", "20.", "3", "2013", "Straße", "ſ", "İstanbul", "ǅemal", "ΣΑΣ", "ς"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CALENDAR_WORDS + ["Odesa", "the", "met", "on", "x3", "O'Neill", "12,000", " ",
                                                  "  ", ". ", ".\n", "\n\n", ", ", "-", "'s"]),
                max_size=60).map(" ".join)
       | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
       st.sampled_from([None, "2024-03-05"]), st.sampled_from([None, "en", "de", "fr", "ru", "es"]),
       st.sampled_from([None, "Title On Top"]))
def test_passing_over_plain_words_changes_nothing(text, doc_date, lang, title):
    assert salient_terms(text, doc_date, 5, title, lang) == reference_salient_terms(text, doc_date, 5, title, lang)


def test_plain_words_are_passed_over_and_the_rest_read():
    from cleaner.dedup.terms import PLAIN, _TOKENS, calendar_names, calendar_words, token_kind

    def read(text, lang):
        months, days = calendar_words(lang)
        return [w for w in _TOKENS.findall(text) if token_kind(w, months, days, calendar_names(lang)) != PLAIN]

    text = "Mayor Klitschko said on Saturday, 20 de diciembre: the rain will stop.\nthen"
    assert read(text, "es") == ["Mayor", "Klitschko", "Saturday", "20", "diciembre", "\n"]
    assert read("the rain may stop", "en") == ["may"]  # a month name is read


def test_dates_still_read_across_passed_over_words():
    text = "Reports said the 20 de diciembre vote was close. On 3 of May, more."
    terms, lead, _, dateline, _ = salient_terms(text, None, 40, None, "es")
    assert "@12-20" in terms
    assert salient_terms("Odesa, 20. Dezember - Die Stadt", None, 40, None, "de")[3] == "12-20"
