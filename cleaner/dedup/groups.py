"""A candidate index (core/protocols.CandidateIndex) over groups of documents that share an
LSH band key, computed elsewhere (exec/dask_bands.py groups band keys on a Dask cluster).

The leader pass (dedup/cluster.Clusterer) asks the same question of it as of a BandIndex:
"which groups' canonicals, inserted so far, share a band key with this document?". A
BandIndex answers from tables of band keys; this answers from the groups of documents
that share a key, and knows nothing else: a document in no group (most of a corpus) costs
nothing here. A group stands for all the pairs of its members, so k copies of one text
are k entries, not k^2 pairs. The answers are the same sets (tests compare outputs), so
the output does not change.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from cleaner.core.document import Document


class GroupIndex:
    """Probed by document (`probe`), not by signature: the groups name documents by their
    position in the list the groups were computed for."""

    def __init__(self, docs: Sequence[Document], groups: Iterable[Sequence[int]]):
        self._of: dict[int, list[int]] = {}  # id(doc) -> the groups it is in
        self._inserted: list[list[int]] = []  # group -> indices of the copy groups inserted through it
        for gid, members in enumerate(groups):
            self._inserted.append([])
            for pos in members:
                self._of.setdefault(id(docs[pos]), []).append(gid)
        self._docs = docs  # held: id(doc) stays that document's while the index lives

    def probe(self, doc: Document) -> list[int]:
        """What `insert` and `query` take for `doc`: its groups."""
        return self._of.get(id(doc), [])

    def insert(self, idx: int, groups: list[int]) -> None:
        for gid in groups:
            self._inserted[gid].append(idx)

    def query(self, groups: list[int]) -> set[int]:
        found: set[int] = set()
        for gid in groups:
            found.update(self._inserted[gid])
        return found
