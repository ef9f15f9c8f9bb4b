"""Candidate pairs for the near-duplicate tier: MinHash LSH by banding.

`optimal_bands` picks the (bands, rows) that datasketch's MinHashLSH picks for a threshold
(the weighted false positive and false negative areas under the S-curve, minimised),
computed here instead of through datasketch's private `_optimal_param`, and without
scipy: the S-curve 1 - (1 - s^r)^b is a polynomial of degree b*r <= num_perm, so
Gauss-Legendre quadrature with num_perm/2 + 1 nodes integrates it exactly (tested
against MinHashLSH's own choice). `BandIndex` is the in-memory candidate index.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np


BANDS_TABLE = "lsh-bands"
BANDS_KEPT = 64  # (threshold, num_perm, weights) answers the table keeps


@lru_cache(maxsize=64)
def optimal_bands(threshold: float, num_perm: int, fp_weight: float = 0.5,
                  fn_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) minimising fp_weight * P(false positive) + fn_weight * P(false negative):
    derived_bands, read back from the user's cache folder when an earlier run derived the
    same (core/table_cache.py): deriving imports numpy.polynomial and integrates ~600 S-curves,
    ~10 ms of every run's serial start (#18; the configuration's check asks for it)."""
    if num_perm < 2:
        raise ValueError(f"num_perm must be at least 2, got {num_perm}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    from cleaner.core.table_cache import code_stamp, read_table, write_table

    key = f"{threshold!r} {num_perm} {fp_weight!r} {fn_weight!r}"
    stamp = f"numpy {np.__version__} {code_stamp(__file__)}"
    got = read_table(BANDS_TABLE, stamp)  # its bytes: a JSON object, key -> [bands, rows]
    known: dict[str, Any] = {}
    if got is not None:
        try:
            loaded = json.loads(bytes(got[1]))
        except (ValueError, RecursionError):  # not the object written (see table_cache.read_table)
            loaded = None
        known = loaded if isinstance(loaded, dict) else {}
    found = known.get(key)
    if isinstance(found, list) and len(found) == 2 and all(type(x) is int and x >= 1 for x in found) \
            and found[0] * found[1] <= num_perm:
        return found[0], found[1]
    bands, rows = derived_bands(threshold, num_perm, fp_weight, fn_weight)
    kept = dict(list(known.items())[-(BANDS_KEPT - 1):])
    kept[key] = [bands, rows]
    write_table(BANDS_TABLE, stamp, {}, [json.dumps(kept).encode("ascii")])
    return bands, rows


def derived_bands(threshold: float, num_perm: int, fp_weight: float = 0.5,
                  fn_weight: float = 0.5) -> tuple[int, int]:
    """optimal_bands, computed."""
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 2)
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    b = np.array([p[0] for p in pairs], dtype=np.float64)[:, None]
    r = np.array([p[1] for p in pairs], dtype=np.float64)[:, None]

    def area(lo: float, hi: float, miss: bool) -> np.ndarray:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2  # nodes mapped onto [lo, hi]
        caught = 1 - (1 - s ** r) ** b
        return ((1 - caught) if miss else caught) @ weights * (hi - lo) / 2

    error = fp_weight * area(0.0, threshold, False) + fn_weight * area(threshold, 1.0, True)
    # datasketch keeps the first strictly lower error in this same (b, r) order.
    return pairs[int(np.argmin(error))]


class BandIndex:
    """MinHash LSH by banding, with the bands datasketch's MinHashLSH would pick for the
    same threshold and num_perm, kept in plain dicts of integers.

    datasketch's MinHashLSH holds about 15 KB per indexed signature (a bytes key and a set
    per band, and a copy of the keys per document); this holds under 3 KB, which is what
    keeps 200,000 documents in bounded memory. Candidates are verified on the real
    Jaccard anyway, so a rare 64-bit key collision costs a comparison, never a result."""

    def __init__(self, threshold: float, num_perm: int):
        self.bands, self.rows = optimal_bands(threshold, num_perm)
        self.tables: list[dict[int, int | list[int]]] = [{} for _ in range(self.bands)]
        # The last signature's keys: a new canonical is queried, then inserted with the
        # same values (cluster.Clusterer.add), which are not hashed twice. Matched by the
        # values' bytes, not the array's identity: an array refilled in place is new values.
        self._last: tuple[bytes, list[int]] = (b"", [])

    def _keys(self, hashvalues: np.ndarray) -> list[int]:
        seen = hashvalues.tobytes()
        last, keys_of_last = self._last
        if seen == last:
            return keys_of_last
        values = self._hash(hashvalues)
        self._last = (seen, values)
        return values

    def _hash(self, hashvalues: np.ndarray) -> list[int]:
        bands = hashvalues[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, self.rows)
        keys = bands[:, 0].copy()
        with np.errstate(over="ignore"):
            for k in range(1, self.rows):
                keys = (keys * np.uint64(0x100000001B3)) ^ bands[:, k]
        values: list[int] = keys.tolist()
        return values

    def band_keys(self, hashvalues: np.ndarray) -> list[int]:
        """One 64-bit key per band, the band's number mixed in: one table can hold them all
        (a persistent index keeps them in one indexed column)."""
        return [(key ^ ((band + 1) * 0x9E3779B97F4A7C15)) & 0xFFFFFFFFFFFFFFFF
                for band, key in enumerate(self._keys(hashvalues))]

    def insert(self, idx: int, hashvalues: np.ndarray) -> None:
        for table, key in zip(self.tables, self._keys(hashvalues)):
            held = table.get(key)
            if held is None:
                table[key] = idx
            elif isinstance(held, list):
                held.append(idx)
            else:
                table[key] = [held, idx]

    def query(self, hashvalues: np.ndarray) -> set[int]:
        found: set[int] = set()
        for table, key in zip(self.tables, self._keys(hashvalues)):
            held = table.get(key)
            if isinstance(held, list):
                found.update(held)
            elif held is not None:
                found.add(held)
        return found
