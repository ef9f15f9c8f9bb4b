"""Templates (a corpus stage, stages/templates.py) decided on the Dask cluster; the client
sends each document's source number and where its line keys lie in the shared spool, and
receives the candidate lines (those enough documents of their source print) with the
documents printing them; it keeps those printed by enough different stories
(Templates.confirm, on the slim copies' features, as the local engine does), which gives
the table and the documents it touches, read back whole and changed as with the local engine.

Two kinds of statistics, merged two ways:
- documents per source (a few numbers per source): counted per slice of the corpus and
  merged pairwise up a tree on the workers; the root's counts go to every counting task;
- which documents print each line (most of a corpus's lines): a group-by, each slice
  sending its (line key, source, document) rows to a partition by key, so no task holds
  more than its partition's share (a tree would end with all of them in its root). Each
  partition applies Templates' rule (`Templates.candidates`) to its own keys and returns
  the candidates among them, each with its printers.

The keys reach the spool on the worker that computed them (`store_keys`, called by
exec/flow.pack), so they never pass through the client. Counts add up whatever the slices
and partitions, so the table is the one the local engine decides.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any, Callable

import numpy as np

from cleaner.core.document import Document
from cleaner.core.protocols import DocStore
from cleaner.stages.templates import Templates, source_key

SLICE = 4096  # documents per counting task (more when the corpus is large: TASKS)
TASKS = 4  # at most this many slices per worker: the group-by's tasks grow as slices x partitions
FAN_IN = 2  # partial counts merged per task, level after level up the tree
_ROW = np.dtype([("key", np.uint64), ("source", np.uint32), ("doc", np.uint32)])


def store_keys(keys: list[int] | None, store: DocStore) -> object | None:
    """A document's template line keys (uint64) into the spool's arrays; their reference."""
    if not keys:
        return None
    ref: object = store.put_arrays([np.asarray(keys, dtype=np.uint64).view(np.uint32)])[0]
    return ref


def _read_keys(store: DocStore, ref: object) -> np.ndarray:
    return np.zeros(0, dtype=np.uint64) if ref is None else np.asarray(store.get_array(ref)).view(np.uint64)


def _observe(store: DocStore, items: list[tuple[int, object]], parts: int, first: int = 0
             ) -> tuple[Counter[int], list[np.ndarray]]:
    """On a worker, one slice ((source number, keys reference) a document; numbered from
    `first`): its documents per source, and its (key, source, document) rows split by
    partition, in document order."""
    per_source: Counter[int] = Counter()
    chunks = []
    for number, (sid, ref) in enumerate(items, first):
        per_source[sid] += 1
        keys = _read_keys(store, ref)
        if len(keys):
            rows = np.empty(len(keys), dtype=_ROW)
            rows["key"], rows["source"], rows["doc"] = keys, sid, number
            chunks.append(rows)
    rows = np.concatenate(chunks) if chunks else np.zeros(0, dtype=_ROW)
    part = (rows["key"] % np.uint64(parts)).astype(np.int64)
    return per_source, [rows[part == p] for p in range(parts)]


def _pick(value: Any, *path: int) -> Any:
    for at in path:
        value = value[at]
    return value


def _add_counts(*counts: Counter[int]) -> Counter[int]:
    total: Counter[int] = Counter()
    for c in counts:
        total.update(c)
    return total


def _decide_part(rule: Templates, per_source: Counter[int], *pieces: np.ndarray
                 ) -> dict[int, tuple[int, int, np.ndarray]]:
    """On a worker: the candidates among one partition's keys, with their printers. Pieces
    come in slice order, so a key's rows are in corpus order, as Templates.decide reads them."""
    rows = np.concatenate(pieces) if pieces else np.zeros(0, dtype=_ROW)
    return rule.candidates(rows["key"], rows["doc"], rows["source"], per_source)


def _tree(client: Any, level: list[Any], fn: Callable[..., Any]) -> Any:
    """One future: `level` reduced by `fn` FAN_IN at a time, on the workers."""
    while len(level) > 1:
        level = [client.submit(fn, *level[at:at + FAN_IN], pure=False) for at in range(0, len(level), FAN_IN)]
    return level[0]


def decide_templates(client: Any, templates: Templates, docs: list[Document], store: DocStore,
                     workers: int) -> set[int]:
    """Decide `templates` (its table set here) from the documents' keys in `store`; returns
    the positions in `docs` of the documents the table touches."""
    templates.reset()
    if not templates.enabled:
        return set()
    names: dict[str, int] = {}
    rows = [(pos, names.setdefault(source_key(d), len(names)), d.stored.template_keys if d.stored else None)
            for pos, d in enumerate(docs) if d.ok]
    if not rows:
        return set()
    size = max(SLICE, -(-len(rows) // (TASKS * workers)))
    parts = max(1, 2 * workers)
    slices = [client.submit(_observe, store, [(sid, ref) for _, sid, ref in rows[at:at + size]], parts, at,
                            pure=False)
              for at in range(0, len(rows), size)]
    per_source = _tree(client, [client.submit(_pick, s, 0, pure=False) for s in slices], _add_counts)
    rule = copy.copy(templates)  # the settings only: reset() above emptied its statistics
    found = [client.submit(_decide_part, rule, per_source,
                           *[client.submit(_pick, s, 1, p, pure=False) for s in slices], pure=False)
             for p in range(parts)]
    candidates: dict[int, tuple[int, int, np.ndarray]] = {}
    for future in found:
        candidates.update(future.result())
    # Documents are numbered as sent (the ok ones, in order), as Templates numbers those it observes.
    table = templates.confirm(candidates, [docs[pos] for pos, _, _ in rows], store)
    templates.table = table  # Templates.decide's order: by key
    return {rows[int(number)][0] for key in table for number in candidates[key][2].tolist()}
