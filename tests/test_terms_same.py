"""salient_terms() skips two regex calls a term cannot need (#18): the digit search on a
word of letters alone, and the possessive regex, now an endswith. Both rest on facts about
characters, checked here over every code point, and on any text."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.text import TERM
from cleaner.dedup.terms import _DIGIT, _POSSESSIVE, _POSSESSIVES, salient_terms

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
