"""Salient terms for the same-story tier: names, numbers and dates an event is told by.

Outlets retell an event in their own words, so their word n-grams barely overlap; what
they share is who, where, when and how many. Terms: capitalised words not at a sentence
start (or also seen capitalised mid-sentence), and numbers (digits kept, separators
dropped). Unspaced scripts have no case, so only their numbers and Latin names count.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import filterfalse

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|\n+")
# Numbers keep their inner separators ("03:40", "12,000", "2025-12-20") so they stay one term.
_WORD = re.compile(r"\d+(?:[.,:/-]\d+)*|[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_DIGIT = re.compile(r"\d")
_NOT_ALNUM = re.compile(r"[^\w]|_")
# Capitalised only by grammar or convention, not a name.
_STOP = {"i", "the", "a", "an", "and", "but", "in", "on", "at", "of", "mr", "mrs", "ms", "dr"}


# One scan: sentence breaks and words, in order (a break is whitespace; a word never is).
_TOKENS = re.compile(_SENTENCE.pattern + "|" + _WORD.pattern, re.UNICODE)


def salient_terms(text: str) -> set[str]:
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    toks = _TOKENS.findall(text)
    has_digit = _DIGIT.search
    numbers = {_NOT_ALNUM.sub("", w).casefold() for w in filterfalse(str.isalpha, toks) if has_digit(w)}
    # A sentence-initial capital says nothing; the same name mid-sentence does.
    names = {w.casefold() for prev, w in zip(["\n", *toks], toks)
             if w[0].isupper() and not prev[0].isspace() and not has_digit(w)}
    return {t for t in names if t not in _STOP and len(t) > 1} | numbers
