"""Salient terms for the same-story tier: names, numbers and dates an event is told by.

Outlets retell an event in their own words, so their word n-grams barely overlap; what
they share is who, where, when and how many. Terms: capitalised words not at a sentence
start (or also seen capitalised mid-sentence), and numbers (digits kept, separators
dropped). Unspaced scripts have no case, so only their numbers and Latin names count.
"""

from __future__ import annotations

import re
import unicodedata

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|\n+")
# Numbers keep their inner separators ("03:40", "12,000", "2025-12-20") so they stay one term.
_WORD = re.compile(r"\d+(?:[.,:/-]\d+)*|[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_DIGIT = re.compile(r"\d")
_NOT_ALNUM = re.compile(r"[^\w]|_")
# Capitalised only by grammar or convention, not a name.
_STOP = {"i", "the", "a", "an", "and", "but", "in", "on", "at", "of", "mr", "mrs", "ms", "dr"}


def salient_terms(text: str) -> set[str]:
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    numbers: set[str] = set()
    names: set[str] = set()
    has_digit = _DIGIT.search
    for sentence in _SENTENCE.split(text):
        words = _WORD.findall(sentence)
        if not words:
            continue
        numbered = [w for w in words if has_digit(w)]
        numbers.update(_NOT_ALNUM.sub("", w).casefold() for w in numbered)
        # A sentence-initial capital says nothing; the same name mid-sentence does.
        names.update(w.casefold() for w in words[1:] if w[0].isupper() and not has_digit(w))
    return {t for t in names if t not in _STOP and len(t) > 1} | numbers
