"""MinHash signatures, compatible with datasketch.

Hash values are exactly what `datasketch.MinHash(num_perm, seed)` gives for the same
shingles (sha1 32-bit hashes, datasketch's permutations), so signatures can be loaded
into datasketch's MinHash and MinHashLSH by anyone downstream.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from hashlib import sha1
from typing import Iterable

import numpy as np


def hash32(item: str) -> int:
    # datasketch's sha1_hash32: the first 4 bytes of SHA-1, little-endian.
    return struct.unpack("<I", sha1(item.encode("utf-8")).digest()[:4])[0]


def shingle_hashes(items: Iterable[str]) -> np.ndarray:
    """Sorted unique 32-bit hashes of a shingle set (exact Jaccard is computed on these)."""
    return np.unique(np.fromiter((hash32(s) for s in items), dtype=np.uint32))


@lru_cache(maxsize=8)
def _prototype(num_perm: int, seed: int):
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=seed)


def minhash(hashes: np.ndarray, num_perm: int, seed: int):
    """A datasketch MinHash over already-hashed shingles."""
    m = _prototype(num_perm, seed).copy()
    if len(hashes):
        # update_batch hashes its input again with hashfunc; identity keeps our hashes.
        m.hashfunc = int
        m.update_batch([int(h) for h in hashes])
        m.hashfunc = _prototype(num_perm, seed).hashfunc
    return m


def as_minhash(hashvalues: np.ndarray, num_perm: int, seed: int):
    """A datasketch MinHash holding already computed hash values (for MinHashLSH)."""
    m = _prototype(num_perm, seed).copy()
    m.hashvalues = hashvalues
    return m


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard of two sorted unique hash arrays."""
    if not len(a) and not len(b):
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
