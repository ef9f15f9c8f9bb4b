"""#18 (thru-19): two faster spellings in the signing stage give what the code before gave.

- signatures.span_values by prefix sums (_span_prefix) against the per-character sum it
  replaced for texts up to PREFIX_CHARS (_span_batch, still used past it), on random code
  points and lengths, short and long strings (past the power tables' 4,096-character block);
- terms._TOKENS with its alternatives reordered and each opened by one character class,
  against the pattern before (written out here), on every code point in contexts that
  exercise each alternative and on random texts of the pieces that make tokens and breaks.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.text import WORD_CLASS
from cleaner.dedup import signatures, terms

# terms._TOKENS as it was before thru-19.
BEFORE = re.compile(r"(?<=[.!?。！？])\s++|\n++|\d++(?:[.,:/-]\d++)*+|" + WORD_CLASS + r"++(?:[-'’]"
                    + WORD_CLASS + r"++)*+", re.UNICODE)
BEFORE_FAST = re.compile(BEFORE.pattern.replace(WORD_CLASS, r"\w"), re.UNICODE)


@pytest.mark.parametrize("seed", range(40))
def test_prefix_sums_give_the_per_character_values(seed):
    rng = np.random.default_rng(seed)
    longest = [2, 12, 300, 5000, 9000][seed % 5]
    lengths = rng.integers(1, longest + 1, int(rng.integers(1, 60)))
    top = [128, 0x800, 0x110000][seed % 3]
    chars = rng.integers(0, top, int(lengths.sum()), dtype=np.uint32)
    if len(chars) <= signatures.PREFIX_CHARS:
        assert np.array_equal(signatures._span_prefix(chars, lengths), signatures._span_batch(chars, lengths))
    assert np.array_equal(signatures.span_values(chars, lengths), signatures._span_batch(chars, lengths))


def test_prefix_sums_of_other_integer_types_and_edges():
    lengths = np.array([1, 2, 1])
    for dtype in (np.int64, np.uint64, np.int32, np.uint32):
        chars = np.array([0, 0x10FFFF, 65, 1], dtype=dtype)
        assert np.array_equal(signatures._span_prefix(chars, lengths), signatures._span_batch(chars, lengths))
    assert len(signatures.span_values(np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int64))) == 0
    # Either side of the prefix path's limit: the same values.
    for n in (signatures.PREFIX_CHARS, signatures.PREFIX_CHARS + 1):
        chars = np.arange(n, dtype=np.uint32) % 0x3000
        lengths = np.array([n // 3, n // 3, n - 2 * (n // 3)])
        assert np.array_equal(signatures.span_values(chars, lengths), signatures._span_batch(chars, lengths))


def test_token_values_and_string_values_are_unchanged():
    """Fixed values: the scheme datasketch-compatible signatures rest on does not move."""
    got = signatures.token_hashes("Kyiv 2025 ціни").tolist()
    want = signatures._span_batch(np.array([ord(c) for c in "kyiv2025ціни"], dtype=np.uint32),
                                  np.array([4, 4, 4])).tolist()
    assert got == want
    assert signatures.string_hashes(["odesa", "@12-20"]).tolist() == signatures._span_batch(
        signatures._codepoints("odesa@12-20"), np.array([5, 6])).tolist()


PIECES = ["abc", "Dec", "20", "3.5", "1,000", "12abc", "abc12", "x-y", "-", "'", "’", "s", ".", "!", "?", "。", "！",
          "？", " ", "  ", "\n", "\n\n", "\t", "\r", "\u00a0", "\u3000", "_", "Київ", "字", "ा", "²", "½", "١٢",
          ":", "/", ",", "O'Brien", "self-made", "\x85", "\u2028"]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=60).map("".join) | st.text(max_size=120)


@settings(max_examples=1500, deadline=None)
@given(TEXTS)
def test_reordered_token_pattern_finds_the_same_tokens(text):
    assert terms._TOKENS.findall(text) == BEFORE.findall(text)
    assert terms._TOKENS_FAST.findall(text.replace("_", "")) == BEFORE_FAST.findall(text.replace("_", ""))


def test_reordered_token_pattern_on_every_code_point():
    """Each code point as a word, a joiner, a break, a separator in a number and after a
    sentence's end: the same tokens as before."""
    everything = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    rng = random.Random(19)
    rng.shuffle(everything)
    for at in range(0, len(everything), 512):
        chunk = everything[at:at + 512]
        sample = "".join(f"a{c}b. {c}1{c}2\n{c}x!{c}{c} " for c in chunk)
        assert terms._TOKENS.findall(sample) == BEFORE.findall(sample)
        if "_" not in sample:
            assert terms._TOKENS_FAST.findall(sample) == BEFORE_FAST.findall(sample)
