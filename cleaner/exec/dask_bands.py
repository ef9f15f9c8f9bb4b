"""The copy tier's candidates from a group-by on LSH band keys, on the Dask cluster.

Map: each task reads the MinHash signatures of a slice of the documents from the shared
spool (the client sends positions and spool references only) and sends each (band, key,
position) to a partition chosen by the key. Reduce: each partition groups its rows by
(band, key) and keeps the keys two or more documents share, as groups of positions. The
client receives those groups alone (most documents share no key with any other, and cost
it nothing) and walks them in the leader pass (dedup/groups.GroupIndex).

Band keys are computed exactly as dedup/bands.BandIndex computes them (the same bands and
rows, the same mixing), and kept per band, so a group holds exactly the documents one of
BandIndex's tables would hold under one key: the leader pass sees the same candidates and
the output is byte-identical. Groups come back sorted, whatever the partitioning.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cleaner.core.config import Config
from cleaner.core.document import Document
from cleaner.core.protocols import DocStore
from cleaner.dedup.bands import optimal_bands
from cleaner.dedup.groups import GroupIndex

SLICE = 2048  # documents per map task at least: a few hundred KB of signatures read from the spool
TASKS = 4  # at most this many map tasks per worker: the shuffle's tasks grow as map tasks x partitions
_PRIME = np.uint64(0x100000001B3)  # BandIndex._keys' multiplier


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(documents, bands) keys, vectorised: BandIndex._keys for each row of `signatures`."""
    cut = signatures[:, : bands * rows].astype(np.uint64).reshape(len(signatures), bands, rows)
    keys = cut[:, :, 0].copy()
    with np.errstate(over="ignore"):
        for k in range(1, rows):
            keys = (keys * _PRIME) ^ cut[:, :, k]
    return keys


def _emit(store: DocStore | None, items: list[tuple[int, object]], bands: int, rows: int,
          parts: int) -> list[np.ndarray]:
    """On a worker: (band, key, position) rows of a slice, one array per partition."""
    if not items:
        return [np.zeros(0, dtype=_ROW) for _ in range(parts)]
    # A reference into the store, or (local_candidates over a memory store) the array itself.
    signatures = np.stack([ref if isinstance(ref, np.ndarray) else np.asarray(_store(store).get_array(ref))
                           for _, ref in items])
    keys = band_keys(signatures, bands, rows)
    rows_ = np.empty(keys.size, dtype=_ROW)
    rows_["band"] = np.tile(np.arange(bands, dtype=np.uint32), len(items))
    rows_["key"] = keys.ravel()
    rows_["pos"] = np.repeat(np.array([pos for pos, _ in items], dtype=np.int64), bands)
    # The partition from the key mixed with its band: every row of one (band, key) meets in one place.
    with np.errstate(over="ignore"):
        part = ((rows_["key"] ^ (rows_["band"].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)))
                % np.uint64(parts)).astype(np.int64)
    return [rows_[part == p] for p in range(parts)]


_ROW = np.dtype([("band", np.uint32), ("key", np.uint64), ("pos", np.int64)])


def _group(*pieces: np.ndarray) -> list[tuple[int, ...]]:
    """On a worker: one partition's rows grouped by (band, key); the groups of 2+ positions,
    each sorted, each once (near copies share many bands: one group stands for them all)."""
    rows = np.concatenate(pieces) if pieces else np.zeros(0, dtype=_ROW)
    if len(rows) < 2:
        return []
    rows = rows[np.lexsort((rows["pos"], rows["key"], rows["band"]))]
    same = (rows["band"][1:] == rows["band"][:-1]) & (rows["key"][1:] == rows["key"][:-1])
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    ends = np.append(starts[1:], len(rows))
    pos = rows["pos"]
    return sorted({tuple(pos[a:b].tolist()) for a, b in zip(starts.tolist(), ends.tolist()) if b - a > 1})


def _store(store: DocStore | None) -> DocStore:
    if store is None:
        raise ValueError("signatures given by reference need the store they are in")
    return store


def _pick(parts: list[np.ndarray], p: int) -> np.ndarray:
    return parts[p]


def _usable(docs: list[Document]) -> list[Document]:
    """The documents the copy tier clusters: accepted, with features."""
    return [d for d in docs if d.ok and d.features is not None]


def _slice(usable: list[Document], at: int, size: int) -> list[tuple[int, object]]:
    """(position, signature or its reference) for usable[at:at + size]."""
    return [(pos, d.features.near_mh) for pos, d in enumerate(usable[at:at + size], start=at)
            if d.features is not None]


def near_candidates(client: Any, docs: list[Document], cfg: Config, store: DocStore,
                    workers: int) -> GroupIndex:
    """A GroupIndex for `docs` (slim copies whose signatures are in `store`, a spool every
    worker reaches), from a map/reduce on the cluster."""
    bands, rows = optimal_bands(cfg["near"]["lsh_threshold"], cfg["minhash"]["num_perm"])
    usable = _usable(docs)
    parts = max(1, 2 * workers)
    size = max(SLICE, -(-len(usable) // (TASKS * workers)))
    mapped = [client.submit(_emit, store, _slice(usable, at, size), bands, rows, parts, pure=False)
              for at in range(0, len(usable), size)]
    reduced = [client.submit(_group, *[client.submit(_pick, m, p, pure=False) for m in mapped], pure=False)
               for p in range(parts)]
    groups: set[tuple[int, ...]] = set()
    for future in reduced:
        groups.update(future.result())
    return GroupIndex(usable, sorted(groups))


def local_candidates(docs: list[Document], cfg: Config, store: DocStore | None = None,
                     parts: int = 3) -> GroupIndex:
    """The same map and reduce in this process: the model tests hold the cluster's steps to
    (against BandIndex). A run groups in process with band_groups (the same groups)."""
    bands, rows = optimal_bands(cfg["near"]["lsh_threshold"], cfg["minhash"]["num_perm"])
    usable = _usable(docs)
    mapped = [_emit(store, _slice(usable, at, SLICE), bands, rows, parts) for at in range(0, len(usable), SLICE)]
    groups: set[tuple[int, ...]] = set()
    for p in range(parts):
        groups.update(_group(*[m[p] for m in mapped]))
    return GroupIndex(usable, sorted(groups))


def band_groups(docs: list[Document], cfg: Config, store: DocStore | None = None) -> GroupIndex:
    """local_candidates' groups, in a run's own process (exec/local.LocalExecutor): each
    slice of signatures read and its band keys computed at once into one (documents, bands)
    table (8 bytes a key), then each band's column sorted alone: a key two or more
    documents share is a group, their positions ascending. No (band, key, position) rows
    nor their sort over all bands: at 50,000 documents (half of them copies) a peak of
    29 MiB against 68 (tracemalloc, bench/scratch/thru18m_groups.py --memory), and ~0.2 s
    of CPU against ~0.7. The same groups (tests/test_thru18m.py)."""
    bands, rows = optimal_bands(cfg["near"]["lsh_threshold"], cfg["minhash"]["num_perm"])
    usable = _usable(docs)
    keys = np.empty((len(usable), bands), dtype=np.uint64)
    for at in range(0, len(usable), SLICE):
        items = _slice(usable, at, SLICE)  # every usable document has features
        signatures = np.stack([ref if isinstance(ref, np.ndarray) else np.asarray(_store(store).get_array(ref))
                               for _, ref in items])
        keys[at:at + len(items)] = band_keys(signatures, bands, rows)
    groups: set[tuple[int, ...]] = set()
    for band in range(bands if len(usable) > 1 else 0):
        column = keys[:, band]
        order = np.argsort(column, kind="stable")  # equal keys: positions ascending
        ordered = column[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        ends = np.append(starts[1:], len(ordered))
        shared = np.flatnonzero(ends - starts > 1)
        for a, b in zip(starts[shared].tolist(), ends[shared].tolist()):
            groups.add(tuple(order[a:b].tolist()))
    return GroupIndex(usable, sorted(groups))
