"""Text normalisation and shingles: what the exact and near-duplicate tiers compare."""

from __future__ import annotations

import numpy as np

from cleaner.dedup.signatures import low32, shingle_values, token_hashes, word_digest
from cleaner.core.text import is_unspaced, tokens


def exact_key(text: str) -> str:
    """Same key <=> same words in the same order, ignoring case, punctuation and spacing."""
    return word_digest(text)


def shingles(text: str, word_n: int, char_n: int) -> set[str]:
    """Word n-grams, or character n-grams for unspaced scripts; a short text is one shingle.
    The readable form of `shingle_set` (reports and explanations use it)."""
    toks = tokens(text)
    if is_unspaced(text):
        joined = "".join(toks)
        n = char_n
        grams = {joined[i : i + n] for i in range(len(joined) - n + 1)}
        return grams or ({joined} if joined else set())
    n = word_n
    grams = {" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)}
    return grams or ({" ".join(toks)} if toks else set())


def shingle_set(text: str, word_n: int, char_n: int, values: np.ndarray | None = None,
                unspaced: bool | None = None) -> np.ndarray:
    """The values (signatures.py scheme) of `shingles(text, word_n, char_n)`, computed fast.
    `values` are the text's word token values when the caller already has them."""
    unspaced = is_unspaced(text) if unspaced is None else unspaced
    if unspaced:
        return shingle_values(low32(token_hashes(text, chars=True)), char_n)
    values = token_hashes(text) if values is None else values
    return shingle_values(low32(values), word_n)
