"""Text normalisation and shingles: what the exact and near-duplicate tiers compare."""

from __future__ import annotations

import hashlib

import numpy as np

from .signatures import shingle_values, token_values
from .text import is_unspaced, tokens


def exact_key(text: str, toks: list[str] | None = None) -> str:
    """Same key <=> same words in the same order, ignoring case, punctuation and spacing."""
    toks = tokens(text) if toks is None else toks
    return hashlib.sha1(" ".join(toks).encode("utf-8")).hexdigest()


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


def shingle_set(text: str, word_n: int, char_n: int, toks: list[str] | None = None) -> np.ndarray:
    """The values (signatures.py scheme) of `shingles(text, word_n, char_n)`, computed fast:
    word n-grams, or character n-grams for unspaced scripts."""
    toks = tokens(text) if toks is None else toks
    if is_unspaced(text):
        return shingle_values(token_values(list("".join(toks))), char_n)
    return shingle_values(token_values(toks), word_n)
