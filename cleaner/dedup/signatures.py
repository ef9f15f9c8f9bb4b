"""MinHash signatures, compatible with datasketch, computed with numpy.

Scheme (documented, and tested against datasketch):
- tokens are what `text.tokens` returns: maximal runs of letters and digits of the NFKC,
  case-folded text; unspaced scripts (`text.is_unspaced`) use their word characters instead;
- a token's 64-bit value is the MurmurHash3 64-bit finaliser of the polynomial
  sum_j codepoint_j * P^j mod 2^64 (P = `POLY_BASE`), computed for all tokens of a document
  at once with numpy; its 32-bit value is the low half;
- a shingle's value is the MurmurHash3 finaliser of sum_k value32(token_k) * C_k mod 2^32,
  with fixed odd constants C_k (position matters: "a b" != "b a");
- the signature is exactly what `datasketch.MinHash(num_perm, seed)` computes when fed
  those 32-bit shingle values (`hashfunc=int`, datasketch's default affine32 scheme),
  so it loads into datasketch's MinHash and MinHashLSH as it is.

Hashing each shingle string with SHA-1 in Python costs ~1 µs a shingle, and even a cached
per-token lookup costs ~0.25 µs a token; this costs a few numpy operations a document.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Callable, Generic, TypeVar

import numpy as np

from cleaner.core.text import LETTER, UNSPACED, WORD_CHAR, nfkc, word_count

_M32, _M64 = np.uint32, np.uint64
# MurmurHash3 fmix32 / fmix64 constants (fmix32 as datasketch's _fmix for width 32).
_FMIX = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)
_FMIX64 = (33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33)
# One odd multiplier per position in a shingle (up to 20 tokens, config near.*_ngram <= 20).
POSITION_CONSTANTS = np.array([(0x9E3779B1 * (2 * k + 1)) & 0xFFFFFFFF | 1 for k in range(20)], dtype=np.uint32)
POLY_BASE = 0x100000001B3  # odd, so P^j never vanishes mod 2^64
_BLOCK = 4096  # P^j = LOW[j % BLOCK] * HIGH[j // BLOCK]: small tables for any token length


def _fmix(hv: np.ndarray, constants: tuple[int, ...], kind: type[np.uint32] | type[np.uint64]) -> np.ndarray:
    s1, m1, s2, m2, s3 = constants
    mixed: np.ndarray = hv ^ (hv >> kind(s1))  # a new array: the steps after work in place
    mixed *= kind(m1)
    mixed ^= mixed >> kind(s2)
    mixed *= kind(m2)
    mixed ^= mixed >> kind(s3)
    return mixed


def fmix32(hv: np.ndarray) -> np.ndarray:
    return _fmix(hv, _FMIX, _M32)


def fmix64(hv: np.ndarray) -> np.ndarray:
    return _fmix(hv, _FMIX64, _M64)


WORD_CHARS_TABLE = "word-chars"


def _word_chars_stamp() -> str:
    """What the flags depend on: the regex class and the Unicode database it reads."""
    import sys
    import unicodedata

    from cleaner.core.table_cache import code_stamp

    return (f"{sys.version_info[:2]} {unicodedata.unidata_version} {WORD_CHAR.pattern!r} {int(WORD_CHAR.flags)} "
            f"{code_stamp(__file__)}")


@lru_cache(maxsize=1)
def _word_chars() -> np.ndarray:
    """One flag per code point: derived_word_chars(), read back from the user's cache
    folder when an earlier run derived it under the same Python (core/table_cache.py):
    ~1 ms instead of ~0.045 s of the signing stage's setup, serial in every run."""
    from cleaner.core.table_cache import read_table, write_table

    stamp = _word_chars_stamp()
    got = read_table(WORD_CHARS_TABLE, stamp)
    if got is not None and len(got[1]) == 0x110000 // 8:
        flags: np.ndarray = np.unpackbits(np.frombuffer(got[1], dtype=np.uint8)).astype(bool)
        return flags
    flags = derived_word_chars()
    write_table(WORD_CHARS_TABLE, stamp, {}, [np.packbits(flags).tobytes()])
    return flags


def derived_word_chars() -> np.ndarray:
    # One flag per code point, from the same regex class as text.WORD, so the two agree.
    return derived_flags(WORD_CHAR)


def derived_flags(one_char: re.Pattern[str]) -> np.ndarray:
    """One flag per code point: does the one-character class `one_char` match it. Every
    code point, surrogates included, decoded from their UTF-32 in one call: the same string
    as "".join(map(chr, range(0x110000))), ~0.01 s instead of ~0.12."""
    everything = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    marked = one_char.sub("\x00", everything)
    flags: np.ndarray = _codepoints(marked) != np.arange(0x110000, dtype=np.uint32)
    flags[0] = one_char.match("\x00") is not None  # NUL marks itself: asked directly
    return flags


LETTERS_TABLE = "letter-chars"


@lru_cache(maxsize=1)
def _letters() -> np.ndarray:
    """derived_flags(text.LETTER) (a word character that is not a digit), read back from the
    user's cache folder as `_word_chars` is."""
    import sys
    import unicodedata

    from cleaner.core.table_cache import code_stamp, read_table, write_table

    stamp = (f"{sys.version_info[:2]} {unicodedata.unidata_version} {LETTER.pattern!r} {int(LETTER.flags)} "
             f"{code_stamp(__file__)}")
    got = read_table(LETTERS_TABLE, stamp)
    if got is not None and len(got[1]) == 0x110000 // 8:
        flags: np.ndarray = np.unpackbits(np.frombuffer(got[1], dtype=np.uint8)).astype(bool)
        return flags
    flags = derived_flags(LETTER)
    write_table(LETTERS_TABLE, stamp, {}, [np.packbits(flags).tobytes()])
    return flags


def letter_count(text: str) -> int:
    """text.count_of(text.LETTER_RUN, text): how many characters of `text` are letters (word
    characters that are not digits), by one table look-up a character: ~4 µs for 500
    characters of Cyrillic or accented Latin instead of the regex's ~17 (#18)."""
    if not text:
        return 0
    return int(np.count_nonzero(_letters()[_codepoints(text)]))


def line_word_counts(text: str) -> list[int]:
    """[text.word_count(line) for line in text.split("\n")], for any text. A text that
    holds no unspaced script (text.UNSPACED) is counted from the word-character table at
    once: a word is a run of word characters (text.WORD) and a line break is none, so each
    line's count is the number of runs that start on it. ~30 µs a 3 KB text of 25 lines,
    against ~2.8 µs a line by regex (templates' line keys count every line). A text with an
    unspaced script is counted a line at a time by word_count, whose lines in such a script
    count characters, not runs."""
    # A text that fits a code page holds no unspaced script (no page has a character of
    # text.UNSPACED: tests/test_cpu28.py), so only the others are searched for one (~8 µs).
    one_byte = document_code_page(text)
    if one_byte is None and UNSPACED.search(text):
        return [word_count(line) for line in text.split("\n")]
    if one_byte is not None:
        # Word characters as "a", others as spaces, each line led by a space: a word starts
        # at each " a". ~14-18 µs instead of ~35 (templates' line keys, every document).
        codec, data = one_byte
        marked = b" " + data.translate(code_page_tables(codec)[1]).replace(b"\n", b"\n ")
        return [line.count(b" a") for line in marked.split(b"\n")]
    cps = _codepoints(text)
    if not len(cps):
        return [0]
    flags = _word_chars()[cps]
    starts = flags.copy()
    starts[1:] &= ~flags[:-1]
    line_of = np.cumsum(cps == 10)  # a break's own line number is the next one's: it starts no word
    counts: list[int] = np.bincount(line_of[starts], minlength=int(line_of[-1]) + 1).tolist()
    return counts


# How many texts' folds (`folded`) and code pages (`document_code_page`) are kept, and up
# to what length: an executor signs a batch of documents (exec/local.BATCH, 64), then
# stores each (exec/flow.pack), whose template line keys fold the same texts again. With
# 2 kept (before cpu-28), every one of those folds was done twice (6,001 misses, no hit, in
# a 3,000-document run: ~10-13 µs a document, #18). At most FOLDED_KEPT texts of
# FOLDED_CHARS characters each, with their folds and encodings (a few MB at most).
FOLDED_KEPT = 128
FOLDED_CHARS = 20_000

R = TypeVar("R")


class _Kept(Generic[R]):
    """`derive(text)`, kept for the last FOLDED_KEPT texts of up to FOLDED_CHARS
    characters (a longer text is derived each time, never kept): `folded` and
    `document_code_page`, asked about the same document by its next callers."""

    __slots__ = ("derive", "kept")

    def __init__(self, derive: Callable[[str], R]) -> None:
        self.derive = derive
        self.kept = lru_cache(maxsize=FOLDED_KEPT)(derive)

    def __call__(self, text: str) -> R:
        return self.derive(text) if len(text) > FOLDED_CHARS else self.kept(text)

    def cache_clear(self) -> None:
        self.kept.cache_clear()


# One-byte code pages a text is tried in, in this order: most news in Latin or Cyrillic
# script fits one (Latin-1; cp1252 adds curly quotes, dashes and the euro sign; cp1251 is
# Cyrillic). A text that fits one is encoded by the codec in C, and a table of 256 entries
# answers for each byte what the word-character table answers for its character: exact,
# since each of these codecs encodes a character to the one byte that decodes back to it
# (tests/test_thru22.py checks every code point), and far fewer numpy calls a text.
CODE_PAGES = ("latin-1", "cp1252", "cp1251")


def in_code_page(text: str) -> tuple[str, bytes] | None:
    """(codec, text encoded) for the first of CODE_PAGES the text fits, else None."""
    for codec in CODE_PAGES:
        try:
            return codec, text.encode(codec)
        except UnicodeEncodeError:
            continue
    return None


# in_code_page of a document's text, kept for the next callers: the signing stage (whether
# a text is unspaced, salient_terms' token scan) and the template line keys
# (line_word_counts) ask about the same text; once instead of three times (~4.8 µs a 3 KB
# text, #18, cpu-28).
document_code_page = _Kept(in_code_page)


@lru_cache(maxsize=None)
def code_page_tables(codec: str) -> tuple[bytes, bytes]:
    """bytes.translate tables of a code page, from the word-character table: (a word
    character's byte and a line break kept, any other byte a space; a word character's
    byte "a", a line break kept, any other byte a space)."""
    flags = _word_chars()
    kept, marks = bytearray(256), bytearray(256)
    for byte in range(256):
        try:
            char = bytes([byte]).decode(codec)
        except UnicodeDecodeError:  # a byte the code page leaves undefined: no text holds it
            char = " "
        word = bool(flags[ord(char)])
        kept[byte] = byte if word or char == "\n" else 32
        marks[byte] = 97 if word else (10 if char == "\n" else 32)
    return bytes(kept), bytes(marks)


def word_character_tables() -> None:
    """Derive the word-character table and its code pages' (before workers fork)."""
    for codec in CODE_PAGES:
        code_page_tables(codec)


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


_POWERS: dict[str, np.ndarray] = {}


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    # Each table read once and the one grown here returned, not read back: another thread
    # (a Dask worker's) may store a shorter one meanwhile (tests/test_review20.py).
    low = _POWERS.get("low")
    if low is None:
        low = np.full(_BLOCK, POLY_BASE, dtype=np.uint64)
        low[0] = 1
        low = _POWERS["low"] = np.multiply.accumulate(low)  # wraps mod 2^64, as intended
    blocks = n // _BLOCK + 1
    high = _POWERS.get("high")
    if high is None or len(high) < blocks:
        high = np.full(blocks, pow(POLY_BASE, _BLOCK, 2**64), dtype=np.uint64)
        high[0] = 1
        high = _POWERS["high"] = np.multiply.accumulate(high)
    return low, high


CHUNK_CHARS = 1 << 20  # strings hashed a batch at a time: temporaries stay ~40 MB, whatever the text


# Strings of up to this many characters end to end are valued by prefix sums (_span_prefix);
# its two tables of powers then hold at most 2 x 8 bytes a character (1 MiB).
PREFIX_CHARS = 1 << 16
_PREFIX: dict[str, tuple[np.ndarray, np.ndarray]] = {}
INVERSE_BASE = pow(POLY_BASE, -1, 2**64)  # POLY_BASE is odd: it has an inverse mod 2^64


def _prefix_powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(P^t, P^-t) mod 2^64 for t < n at least (P = POLY_BASE), grown by doubling."""
    # Both tables in one entry, read once, and the ones grown here returned: a Dask worker
    # may sign in threads, and tables stored one at a time let another thread pair the new
    # P^t with the old, shorter P^-t (an IndexError: a document rejected by timing;
    # tests/test_review20.py).
    tables = _PREFIX.get("tables")
    if tables is None or len(tables[0]) < n:
        size = max(1024, 1 << (n - 1).bit_length())
        up = np.full(size, POLY_BASE, dtype=np.uint64)
        down = np.full(size, INVERSE_BASE, dtype=np.uint64)
        up[0] = down[0] = 1
        tables = _PREFIX["tables"] = np.multiply.accumulate(up), np.multiply.accumulate(down)
    return tables


def span_values(chars: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """64-bit values of consecutive strings: `chars` holds their code points end to end,
    `lengths` their lengths (each >= 1)."""
    if not len(lengths):
        return np.empty(0, dtype=np.uint64)
    if len(chars) <= PREFIX_CHARS:
        return _span_prefix(chars, lengths)
    ends = np.cumsum(lengths)
    if ends[-1] <= CHUNK_CHARS:
        return _span_batch(chars, lengths)
    # Cut between strings at about every CHUNK_CHARS characters (a longer string is one batch).
    cuts = np.unique(np.searchsorted(ends, np.arange(CHUNK_CHARS, ends[-1], CHUNK_CHARS), side="right"))
    out, start, pos = [], 0, 0
    for stop in [*cuts.tolist(), len(lengths)]:
        if stop > start:
            size = int(ends[stop - 1]) - pos
            out.append(_span_batch(chars[pos:pos + size], lengths[start:stop]))
            start, pos = stop, pos + size
    return np.concatenate(out)


def _span_prefix(chars: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """_span_batch's values by prefix sums: with G(i) = sum over t < i of c_t P^t (mod 2^64),
    a string at [s, e) is sum over j of c_(s+j) P^j = (G(e) - G(s)) P^-s, exactly (mod 2^64,
    where P is invertible). One cumulative sum over the characters and a few gathers of one
    value a string, instead of each character's offset in its string (arange, repeat, a
    table look-up each): ~13 µs less a 3 KB text (thru-19; tests/test_thru19.py)."""
    up, down = _prefix_powers(len(chars))
    prefix = np.empty(len(chars) + 1, dtype=np.uint64)
    prefix[0] = 0
    ends = np.cumsum(lengths)
    starts = ends - lengths
    with np.errstate(over="ignore"):
        # In uint64 whatever the code points' type, as _span_batch's astype.
        np.cumsum(np.multiply(chars, up[:len(chars)], dtype=np.uint64, casting="unsafe"), out=prefix[1:])
        return fmix64((prefix[ends] - prefix[starts]) * down[starts])


def _span_batch(chars: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    first = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=first[1:])
    # Offset of every character inside its string, without a Python loop.
    within = np.arange(len(chars), dtype=np.int64) - np.repeat(first, lengths)
    low, high = _powers(int(lengths.max()))
    with np.errstate(over="ignore"):
        terms = chars.astype(np.uint64) * (low[within] if len(high) == 1
                                           else low[within % _BLOCK] * high[within // _BLOCK])
        return fmix64(np.add.reduceat(terms, first))


def _fold(text: str) -> str:
    """The text NFKC-normalised and case-folded, as the token values and the exact key read
    it."""
    return nfkc(text).casefold()


# _fold, kept for the next caller: a worker signs a document (stages/sign.py), then takes its
# template line keys (exec/flow.pack), which fold the same text.
folded = _Kept(_fold)


@lru_cache(maxsize=2)  # the exact key and the token values scan the same text one after the other
def _scan(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Code points of the normalised text, and word-character flags padded with False."""
    cps = _codepoints(folded(text))
    flags = np.zeros(len(cps) + 2, dtype=bool)
    flags[1:-1] = _word_chars()[cps]
    return cps, flags


def token_hashes(text: str, chars: bool = False) -> np.ndarray:
    """64-bit values of `text.tokens(text)`, in order; with chars=True, of each word
    character instead (unspaced scripts)."""
    cps, flags = _scan(text)
    word = cps[flags[1:-1]]
    if chars:
        return span_values(word, np.ones(len(word), dtype=np.int64))
    edges = np.flatnonzero(flags[1:] != flags[:-1])  # token starts and ends, alternating
    return span_values(word, edges[1::2] - edges[::2])


def word_digest(text: str) -> str:
    """SHA-1 of the tokens themselves (code points, 0 between tokens): equal exactly when
    the token sequences are. Not built from token values: a polynomial hash mod 2^64 has
    colliding strings (Thue-Morse words), and the exact tier merges without checking."""
    cps, flags = _scan(text)
    inside = flags[1:-1]
    keep = inside | flags[:-2]  # word characters, and the first character after each token
    stream = (cps * inside)[keep]  # uint32 (a bool factor keeps the type)
    if len(stream) and stream[-1] == 0:  # text after the last token
        stream = stream[:-1]
    return hashlib.sha1(stream.astype("<u4", copy=False)).hexdigest()  # contiguous: read in place


def string_hashes(strings: list[str]) -> np.ndarray:
    """64-bit values of whole strings (same scheme as a token's), for names and terms."""
    strings = [s for s in strings if s]
    if not strings:
        return np.empty(0, dtype=np.uint64)
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    return span_values(_codepoints("".join(strings)), lengths)


def low32(values: np.ndarray) -> np.ndarray:
    return values.astype(np.uint32)  # keeps the low 32 bits


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """np.unique for a 1-d array, without its fixed overhead (~35 µs; this: ~3 µs)."""
    values = np.sort(values)
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def shingle_values(values: np.ndarray, n: int) -> np.ndarray:
    """Sorted unique 32-bit values of the n-grams over a sequence of 32-bit token values;
    a sequence shorter than n is one shingle."""
    n = max(1, min(n, len(values)))
    if not len(values):
        return np.empty(0, dtype=np.uint32)
    count = len(values) - n + 1
    with np.errstate(over="ignore"):
        acc = values[:count] * POSITION_CONSTANTS[0]
        for k in range(1, n):
            acc = acc + values[k : k + count] * POSITION_CONSTANTS[k]
        return unique_sorted(fmix32(acc))


MINHASH_ROWS = 8192  # shingles per block: 8192 x 128 permutations x 4 bytes = 4 MB
# From this many shingles a block is laid out one row per permutation: minima along
# contiguous rows (~17% less for a 25-line text's ~440 shingles, half for 4,000); fewer
# shingles, one row per shingle (the same minima either way: min is exact).
MINHASH_ACROSS = 200


PERMUTATIONS_TABLE = "minhash-permutations"


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(empty signature, a, b) of `datasketch.MinHash(num_perm, seed)` (its affine32 scheme),
    drawn as datasketch draws them (tested against it), without importing datasketch:
    its import pulls in scipy (~0.8 s of CPU in every worker process). Read back from the
    user's cache folder when an earlier run drew the same (core/table_cache.py): drawing
    imports numpy.random, ~5-10 ms of a run's serial setup (#18)."""
    from cleaner.core.table_cache import code_stamp, read_table, write_table

    # RandomState's stream is frozen by numpy's compatibility policy; numpy's version and
    # this module stamp the table anyway.
    stamp = f"{num_perm} {seed} numpy {np.__version__} {code_stamp(__file__)}"
    got = read_table(PERMUTATIONS_TABLE, stamp)
    if got is not None and len(got[1]) == 8 * num_perm:
        a, b = (np.frombuffer(got[1], dtype="<u4")[k * num_perm:(k + 1) * num_perm].astype(np.uint32)
                for k in range(2))
    else:
        a, b = drawn_permutations(num_perm, seed)
        write_table(PERMUTATIONS_TABLE, stamp, {}, [a.astype("<u4").tobytes(), b.astype("<u4").tobytes()])
    drawn = (np.full(num_perm, (1 << 32) - 1, dtype=np.uint32), a, b)
    for part in drawn:  # shared by every caller (cached): read-only
        part.flags.writeable = False
    return drawn


def drawn_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) as datasketch.MinHash(num_perm, seed) draws them."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def minhash_values(values: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """datasketch's affine32 update over 32-bit values, vectorised: min over shingles of
    a * fmix32(v) + b (mod 2^32), per permutation."""
    if values.ndim == 1:  # array arithmetic: wraps without a check, so no errstate (below)
        return minhash_mixed(fmix32(values.astype(np.uint32)), num_perm, seed)
    with np.errstate(over="ignore"):  # a 0-d array's steps are numpy scalars, which do check
        return minhash_mixed(fmix32(values.astype(np.uint32)), num_perm, seed)


def minhash_mixed(mixed: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """minhash_values of values whose fmix32 is `mixed` (uint32)."""
    _, a, b = permutations(num_perm, seed)
    if 0 < len(mixed) <= MINHASH_ROWS and mixed.ndim == 1:
        # One block (every 25-line text's): its minima are the signature, with no running
        # minimum to fold them into. No np.errstate either (~1.5 µs a call, ~10% of a
        # signature's time with the rest; cpu-27): products of arrays wrap modulo 2^32
        # without numpy checking them (only numpy scalars' do; tests/test_cpu27.py runs
        # this under errstate(all="raise")).
        return _block_minima(mixed, a, b)
    return minhash_blocks(mixed, num_perm, seed)


def _block_minima(block: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per permutation, the minimum over one block's shingles of a * mixed + b (mod 2^32)."""
    if len(block) >= MINHASH_ACROSS:
        # (permutations x shingles): each minimum runs along one contiguous row
        candidates = a.reshape(-1, 1) * block
        candidates += b.reshape(-1, 1)  # in place: one matrix, not two
        rows: np.ndarray = candidates.min(axis=1)
        return rows
    candidates = block.reshape(-1, 1) * a
    candidates += b
    cols: np.ndarray = candidates.min(axis=0)
    return cols


def minhash_blocks(mixed: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """minhash_mixed a block of MINHASH_ROWS shingles at a time (any number of them)."""
    empty, a, b = permutations(num_perm, seed)
    out: np.ndarray = empty.copy()
    # The (shingles x permutations) matrix of candidates is built a block of rows at a time:
    # whole, an 8 MB text's took 1.1 GB. Minima of blocks are the minimum: same values.
    with np.errstate(over="ignore"):
        for start in range(0, len(mixed), MINHASH_ROWS):
            np.minimum(out, _block_minima(mixed[start:start + MINHASH_ROWS], a, b), out=out)
    return out


# Each string's fmix32(low32(value)) (string_hashes), as string_minhash has met them: the
# story tier's terms (names, numbers, dates) recur across documents (~95% of a corpus's
# terms, in ~75% of its documents all of them). Forgotten all at once past STRINGS_KEPT
# (~10 MB); a string forgotten is hashed again, the same.
_MIXED: dict[str, int] = {}
STRINGS_KEPT = 100_000


def string_minhash(strings: list[str], num_perm: int, seed: int) -> np.ndarray:
    """minhash_values(low32(string_hashes(strings))): the same signature (a minimum does not
    depend on order or repeats), from the strings' kept mixed values; only the strings not
    met yet are hashed (string_hashes' numpy calls cost ~20 µs for any number of strings)."""
    global _MIXED  # replaced, not cleared, when full (below)
    kept = _MIXED
    missing = [s for s in strings if s not in kept]
    if missing:
        if "" in missing:  # string_hashes leaves empty strings out: so does this
            strings = [s for s in strings if s]
            missing = [s for s in missing if s]
        if len(kept) + len(missing) > STRINGS_KEPT:
            # A new dict, not clear(): another thread (a Dask worker's) may be between adding
            # its strings to the old one and reading them back.
            kept = _MIXED = {}
            missing = list(dict.fromkeys(strings))
        with np.errstate(over="ignore"):
            kept.update(zip(missing, fmix32(low32(string_hashes(missing))).tolist()))
    mixed = np.fromiter(map(kept.__getitem__, strings), dtype=np.uint32, count=len(strings))
    return minhash_mixed(mixed, num_perm, seed)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard of two sorted unique hash arrays."""
    if not len(a) and not len(b):
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
