"""Ids unique within a run: inputs that would share one are renamed, the same way
whatever the input order."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from itertools import count
from typing import Iterator

from cleaner.core.document import Document


def renamed_from(doc_id: str) -> str:
    """How a renamed input's meta.id names its id in the input (inspect/runs.Run reads it
    back, to tell a renamed input from one whose own id starts "ID@")."""
    return f"renamed: id {doc_id!r} "


def _collisions(docs: list[Document]) -> list[tuple[str, list[Document]]]:
    groups: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        groups[doc.id].append(doc)
    return [(doc_id, group) for doc_id, group in groups.items() if len(group) > 1]


def _rename_order(doc: Document) -> tuple[str, int, str, str, str]:
    """A total order on inputs that share an id, from every field of what they became: the
    renaming must not depend on input order. Inputs equal on all of it are interchangeable."""
    row = doc.to_json()
    row.pop("id")
    return (doc.source, doc.line or 0, json.dumps(row, sort_keys=True, ensure_ascii=False, default=str),
            doc.features.exact if doc.features else "", doc.html or "")


def make_ids_unique(docs: list[Document]) -> None:
    """Inputs that would share an id (a.txt and a.html) get ids that name their source.

    A new name is checked against every id in the run, the input's own included (an
    input may already be called "a@feed.jsonl:1"): a taken one gets "#k" added, the
    first k that is free. Groups are renamed in id order, members in `_rename_order`."""
    collisions = sorted(_collisions(docs), key=lambda c: c[0])
    if not collisions:
        return
    taken = {doc.id for doc in docs}
    for doc_id, group in collisions:
        group.sort(key=_rename_order)
        names = [f"{doc_id}@{doc.source}" + (f":{doc.line}" if doc.line else "") for doc in group]
        shared = Counter(names)
        for doc, name in zip(group, names):
            # Same source and line (the same id twice in API input) gives the same name:
            # those are all numbered, in the order above.
            k = 1 if shared[name] > 1 else 0
            unique = f"{name}#{k}" if k else name
            while unique in taken:
                k += 1
                unique = f"{name}#{k}"
            taken.add(unique)
            rename(doc, unique, f"is shared by {len(group)} inputs")


def rename(doc: Document, new_id: str, why: str) -> None:
    """`doc` is called `new_id` from now on; its meta.id says what it was called and `why`."""
    note = f"{renamed_from(doc.id)}{why}"
    doc.id = new_id
    # An earlier note on the id (a long id shortened, a blank one ignored) stays.
    doc.meta["id"] = f"{doc.meta['id']}; {note}" if doc.meta.get("id") else note


def later_names(doc: Document) -> Iterator[str]:
    """The names, in order, for an input of a later batch whose id an earlier batch's
    document holds with other words (the same input cleaned otherwise: another batch's
    templates; or an id used again): `id@source:line` as one run names inputs that share
    an id, then `#1`, `#2`, ... The first name that is free is its id (so a state, and its
    export, hold each id once); one the state holds with its words is that input sent again."""
    name = f"{doc.id}@{doc.source}" + (f":{doc.line}" if doc.line else "")
    yield name
    for k in count(1):
        yield f"{name}#{k}"
