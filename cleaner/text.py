"""What a word is, for every module that counts or compares words."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Scripts written without spaces between words: Chinese, Japanese kana, Thai, Lao, Myanmar, Khmer.
# (Korean Hangul is written with spaces, so it counts like any spaced script.)
UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")


def tokens(text: str) -> list[str]:
    """Case-folded word tokens (NFKC); punctuation and spacing differences vanish."""
    if not unicodedata.is_normalized("NFKC", text):  # most text already is: skip the copy
        text = unicodedata.normalize("NFKC", text)
    return WORD.findall(text.casefold())


@lru_cache(maxsize=4096)  # rules, guards and templates ask about the same lines many times
def word_count(line: str) -> int:
    if not UNSPACED.search(line):
        return len(WORD.findall(line))
    # Unspaced scripts have no word breaks; two characters per word approximates length.
    unspaced = len(UNSPACED.findall(line))
    return len(WORD.findall(UNSPACED.sub(" ", line))) + (unspaced + 1) // 2


_LETTER = re.compile(r"[^\W\d_]")


def is_unspaced(text: str) -> bool:
    sample = text[:5000]
    if not UNSPACED.search(sample):  # the common case, decided by one C-level scan
        return False
    letters = len(_LETTER.findall(sample)) or 1
    return len(UNSPACED.findall(sample)) / letters > 0.3
