"""Records that grow batch after batch: the same tiers as one run, kept between batches.

Copy tier: one Clusterer lives across batches, so a new document is compared with the
canonical of every record so far and joins the best match or starts a record. Story tier:
the copy groups of every batch so far are linked again, as one run links them; records
only ever merge, never split, so a record id once given stays valid.

Where this can differ from one run over everything (README, "Batches and streams"):
- a document better than its record's canonical (earlier date, longer...) arrives later:
  it becomes the canonical, the record keeps its id, and a `canonical_changed` event says so;
  in one run it would have led the group from the start, and later documents are
  compared with the canonical of their time;
- average linkage can join two records that already exist: one run would have built
  one record; here the older record absorbs the newer (its id stays) with a `merged`
  event naming the id that ends;
- a story link a later batch would undo in one run (average linkage is not monotone)
  stays: records never split.
"""

from __future__ import annotations

from typing import Any, Iterable

from cleaner.core.document import Document
from cleaner.dedup.cluster import (CANONICAL, Clusterer, Member, Record, SourcePriority, drop_shingles,
                                   array_of, preference_key, record_id, settle, story_links, story_records)


class _Sets:
    """Union-find over copy-group indices; the root is the lowest index (the oldest group)."""

    def __init__(self) -> None:
        self.parent: list[int] = []

    def add(self) -> None:
        self.parent.append(len(self.parent))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> tuple[int, int] | None:
        a, b = self.find(i), self.find(j)
        if a == b:
            return None
        keep, gone = min(a, b), max(a, b)
        self.parent[gone] = keep
        return keep, gone


class IncrementalClusterer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.priority = SourcePriority(cfg["canonical"]["source_priority"])
        self.copies = Clusterer(cfg)
        self.sets = _Sets()
        self.created: list[int] = []  # the batch each group was created in
        self.promoted: dict[int, int] = {}  # group -> the last batch its canonical changed in
        self.demoted: dict[int, str] = {}  # group -> the canonical it had before
        self.events: list[dict[str, Any]] = []
        self.batches = 0
        self.records: list[Record] = []

    def _event(self, kind: str, record: str, **detail: Any) -> None:
        self.events.append({"batch": self.batches, "event": kind, "record_id": record, **detail})

    def add(self, docs: Iterable[Document]) -> list[Record]:
        """Cluster one batch against everything before it; returns every record now, and
        sets status and record_id on the batch's documents (and on earlier ones that moved)."""
        self.batches += 1
        usable = sorted((d for d in docs if d.ok), key=lambda d: preference_key(d, self.priority))
        groups = self.copies.records
        placed: list[tuple[str, int, bool]] = []  # (document id, its copy group, group is new)
        for doc in usable:
            before = len(groups)
            idx = self.copies.add(doc)
            if len(groups) > before:
                self.sets.add()
                self.created.append(self.batches)
            placed.append((doc.id, idx, len(groups) > before))
            group = groups[idx]
            if group.canonical is not doc and \
                    preference_key(doc, self.priority) < preference_key(group.canonical, self.priority):
                self._promote(group, idx, doc)
        self._link_stories()
        # Events name the record each document is in once the batch is decided.
        for doc_id, idx, new in placed:
            root = self.sets.find(idx)
            if new and root == idx:
                self._event("created", self._rid(root), document=doc_id)
            else:
                self._event("member_added", self._rid(root), document=doc_id, tier="copy" if not new else "story")
        for doc_id, idx, new in placed:
            group = groups[idx]
            if not new and group.canonical.id == doc_id and self.promoted.get(idx) == self.batches:
                self._event("canonical_changed", self._rid(self.sets.find(idx)), old=self.demoted[idx], new=doc_id)
        return self.records

    def forget_texts(self) -> None:
        """Let go of what only a group's canonical needs again (its text for records.jsonl,
        its shingles for comparisons): members keep metadata and terms (the story tier's
        weights and evidence read them), not texts or shingles."""
        for group in self.copies.records:
            for member in group.members[1:]:
                doc = member.doc
                if doc.text or doc.html or doc.removed:
                    doc.text, doc.html, doc.removed, doc.flags = "", None, [], []
                    drop_shingles(doc)

    def _promote(self, group: Record, idx: int, doc: Document) -> None:
        """A later document better than its group's canonical leads the group from now on."""
        old = group.members[0]
        joined = next(i for i, m in enumerate(group.members) if m.doc is doc)
        new = group.members.pop(joined)
        group.members[0] = Member(old.doc, new.relation, new.similarity, new.estimated,
                                  reason=f"{new.reason}; canonical until batch {self.batches}")
        group.members.insert(0, Member(doc, CANONICAL, 1.0, 1.0, reason=f"became the canonical in batch "
                                                                        f"{self.batches}"))
        self.copies.index(idx, doc, array_of(doc, "near_mh"))
        self.promoted[idx], self.demoted[idx] = self.batches, old.doc.id

    def _link_stories(self) -> None:
        groups = self.copies.records
        clusters, edges, weigh, weights = story_links(groups, self.cfg)
        for cluster_ in clusters:
            for g in cluster_[1:]:
                joined = self.sets.union(cluster_[0], g)
                if joined is None:
                    continue
                keep, gone = joined
                if self.created[gone] < self.batches:  # two records users have seen become one
                    self._event("merged", self._rid(keep), ended=self._rid(gone))
        members: dict[int, list[int]] = {}
        for g in range(len(groups)):
            members.setdefault(self.sets.find(g), []).append(g)
        # Each record: its groups in preference order of their canonicals (the head leads),
        # its id from its oldest group.
        roots = sorted(members)
        ordered = [sorted(members[r], key=lambda g: preference_key(groups[g].canonical, self.priority))
                   for r in roots]
        records = story_records(groups, ordered, edges, weigh, weights, self.cfg,
                                keys=[groups[r].key for r in roots])
        self.records = settle(records, self.priority)

    def _rid(self, group: int) -> str:
        """The id of the record whose oldest group is `group` (its key: its first canonical's)."""
        return record_id(self.copies.records[group].key)
