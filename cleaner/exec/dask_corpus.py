"""Templates (a corpus stage, stages/templates.py) decided on the Dask cluster: the client
sends each document's source and where its line keys lie in the shared spool; workers
count slices of the corpus, merge the counts pairwise (a tree: no one task or process
holds more than two partial statistics at a time, and the client none), and the root
decides. The client receives the decided table (the template lines only) and which
documents it touches, which it then reads back whole and changes as with the local engine.

The keys reach the spool on the worker that computed them (`store_keys`, called by
exec/flow.pack), so they never pass through the client. Counts add up whatever the slices
and the tree's shape (Templates.merge), so the table is the one the local engine decides.
"""

from __future__ import annotations

import copy

import numpy as np

from cleaner.core.document import Document
from cleaner.stages.templates import Templates, source_key

SLICE = 4096  # documents per counting task
FAN_IN = 2  # partial statistics merged per task, level after level up the tree


def store_keys(keys: list[int], store) -> object | None:
    """A document's template line keys (uint64) into the spool's arrays; their reference."""
    if not keys:
        return None
    return store.put_arrays([np.asarray(keys, dtype=np.uint64).view(np.uint32)])[0]


def _read_keys(store, ref) -> list[int]:
    return [] if ref is None else np.asarray(store.get_array(ref)).view(np.uint64).tolist()


def _observe(empty: Templates, store, sources: list[str], items: list[tuple[int, object]]) -> Templates:
    """On a worker: the statistics of one slice ((source number, keys reference) a document)."""
    part = copy.copy(empty)
    part.reset()
    for sid, ref in items:
        part.observe_source(sources[sid], _read_keys(store, ref))
    return part


def _merge(*parts: Templates) -> Templates:
    # Into a new instance: a task's input may be read again (a retry), so it is never changed.
    head = copy.copy(parts[0])
    head.reset()
    for part in parts:
        head.merge(part)
    return head


def _decide(stats: Templates) -> dict[int, tuple[int, int]]:
    stats.decide()
    return stats.table


def _touched(store, table: dict, items: list[tuple[int, object]]) -> list[int]:
    """On a worker: the positions of the slice's documents a line of the table is in."""
    return [pos for pos, ref in items if any(k in table for k in _read_keys(store, ref))]


def decide_templates(client, templates: Templates, docs: list[Document], store) -> set[int]:
    """Decide `templates` (its table set here) from the documents' keys in `store`; returns
    the positions in `docs` of the documents the table touches."""
    if not templates.enabled:
        return set()
    names: dict[str, int] = {}
    rows = [(pos, names.setdefault(source_key(d), len(names)), d.stored.template_keys)
            for pos, d in enumerate(docs) if d.ok]
    empty = copy.copy(templates)
    empty.reset()
    # Wrapped in a list: scatter() would send a list's items (or a dict's values) one by one.
    sources = client.scatter([list(names)], broadcast=True, hash=False)[0] if rows else None
    level = [client.submit(_observe, empty, store, sources, [(sid, ref) for _, sid, ref in rows[at:at + SLICE]],
                           pure=False) for at in range(0, len(rows), SLICE)]
    while len(level) > 1:
        level = [client.submit(_merge, *level[at:at + FAN_IN], pure=False) for at in range(0, len(level), FAN_IN)]
    templates.reset()
    if level:
        templates.table = client.submit(_decide, level[0], pure=False).result()
    if not templates.table:
        return set()
    table = client.scatter([templates.table], broadcast=True, hash=False)[0]
    keyed = [(pos, ref) for pos, _, ref in rows if ref is not None]
    found = [client.submit(_touched, store, table, keyed[at:at + SLICE], pure=False)
             for at in range(0, len(keyed), SLICE)]
    return {pos for future in found for pos in future.result()}
