"""Text normalisation and shingles: what the exact and near-duplicate tiers compare."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Scripts written without spaces between words: Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")


def tokens(text: str) -> list[str]:
    """Case-folded word tokens; punctuation and spacing differences vanish."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def is_unspaced(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text[:5000]) or 1
    return len(_UNSPACED.findall(text[:5000])) / letters > 0.3


def exact_key(text: str) -> str:
    """Same key <=> same words in the same order, ignoring case, punctuation and spacing."""
    return hashlib.sha1(" ".join(tokens(text)).encode("utf-8")).hexdigest()


def shingles(text: str, word_n: int, char_n: int) -> set[str]:
    """Word n-grams, or character n-grams for unspaced scripts; a short text is one shingle."""
    toks = tokens(text)
    if is_unspaced(text):
        joined = "".join(toks)
        n = char_n
        grams = {joined[i : i + n] for i in range(len(joined) - n + 1)}
        return grams or ({joined} if joined else set())
    n = word_n
    grams = {" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)}
    return grams or ({" ".join(toks)} if toks else set())
