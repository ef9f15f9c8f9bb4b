"""MinHash signatures, compatible with datasketch, computed with numpy.

Scheme (documented, and tested against datasketch):
- a token's value is datasketch's `sha1_hash32` of its UTF-8 bytes (cached: news repeats
  its words, so most tokens are hashed once per process);
- a shingle's value is the MurmurHash3 finaliser of sum_k value(token_k) * C_k mod 2^32,
  with fixed odd constants C_k (position matters: "a b" != "b a");
- the signature is exactly what `datasketch.MinHash(num_perm, seed)` computes when fed
  those 32-bit shingle values (`hashfunc=int`, datasketch's default affine32 scheme),
  so it loads into datasketch's MinHash and MinHashLSH as it is.

Hashing each shingle string with SHA-1 in Python costs ~1 µs a shingle; this costs a
few numpy operations a document.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from hashlib import sha1

import numpy as np

_M32 = np.uint32
# MurmurHash3 fmix32 constants (as datasketch's _fmix for width 32).
_FMIX = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)
# One odd multiplier per position in a shingle (up to 20 tokens, config near.*_ngram <= 20).
POSITION_CONSTANTS = np.array([(0x9E3779B1 * (2 * k + 1)) & 0xFFFFFFFF | 1 for k in range(20)], dtype=np.uint32)
_TOKEN_CACHE: dict[str, int] = {}
_TOKEN_CACHE_MAX = 2_000_000


def hash32(item: str) -> int:
    # datasketch's sha1_hash32: the first 4 bytes of SHA-1, little-endian.
    return struct.unpack("<I", sha1(item.encode("utf-8")).digest()[:4])[0]


def fmix32(hv: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX
    hv = hv ^ (hv >> _M32(s1))
    hv = hv * _M32(m1)
    hv = hv ^ (hv >> _M32(s2))
    hv = hv * _M32(m2)
    return hv ^ (hv >> _M32(s3))


def token_values(tokens: list[str]) -> np.ndarray:
    cache = _TOKEN_CACHE
    if len(cache) > _TOKEN_CACHE_MAX:
        cache.clear()  # bounded memory; a cleared cache only costs time
    values = list(map(cache.get, tokens))  # C-level loop: most tokens are cached
    if None in values:  # new tokens: hash them once
        for i, value in enumerate(values):
            if value is None:
                values[i] = cache[tokens[i]] = hash32(tokens[i])
    return np.array(values, dtype=np.uint32)


def shingle_values(values: np.ndarray, n: int) -> np.ndarray:
    """Sorted unique 32-bit values of the n-grams over a sequence of token values; a
    sequence shorter than n is one shingle."""
    n = max(1, min(n, len(values)))
    if not len(values):
        return np.empty(0, dtype=np.uint32)
    count = len(values) - n + 1
    with np.errstate(over="ignore"):
        acc = values[:count] * POSITION_CONSTANTS[0]
        for k in range(1, n):
            acc = acc + values[k : k + count] * POSITION_CONSTANTS[k]
        return np.unique(fmix32(acc))


@lru_cache(maxsize=8)
def _prototype(num_perm: int, seed: int):
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=seed)


def minhash_values(values: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """datasketch's affine32 update over 32-bit values, vectorised: min over shingles of
    a * fmix32(v) + b (mod 2^32), per permutation."""
    proto = _prototype(num_perm, seed)
    if not len(values):
        return proto.hashvalues.copy()
    a, b = proto.permutations
    with np.errstate(over="ignore"):
        mixed = fmix32(values.astype(np.uint32)).reshape(-1, 1)
        return np.minimum(proto.hashvalues, (mixed * a + b).min(axis=0))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard of two sorted unique hash arrays."""
    if not len(a) and not len(b):
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
