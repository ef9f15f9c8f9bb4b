"""Group documents into records: exact copies, near-duplicates, then same-story articles.

Leader clustering without chaining: documents are visited in canonical-preference order
(earliest date, most complete body, least boilerplate, source priority, id), so the first
document of a record is its canonical. Each later document is compared only with records'
canonicals (LSH finds candidates, real Jaccard verifies) and joins the best match, or
starts a new record. Because a document never matches a non-canonical member, chains
A~B~C cannot glue different events together, and because the order is a total order on
content and ids, the result does not depend on input order or worker count.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from cleaner.core.config import Config
from cleaner.core.document import DUPLICATE, KEPT, Document, dump
from cleaner.core.protocols import CandidateIndex, DocStore
from cleaner.dedup.credits import others_credited
from cleaner.dedup.bands import BandIndex
from cleaner.dedup.signatures import jaccard
from cleaner.dedup.stories import LOCAL_MIN_DOCS, Edges, StoryRunner, WeighsApart, link_stories
from cleaner.dedup.term_weights import DocTerms, TermWeights, doc_terms, features, shared_evidence, similarity
from cleaner.dedup.terms import is_name

EXACT, NEAR, STORY, CANONICAL = "exact", "near", "story", "canonical"


@dataclass(slots=True)
class Member:
    doc: Document
    relation: str
    similarity: float
    estimated: float | None = None
    shared_terms: list[str] | None = None
    evidence: list[dict[str, Any]] | None = None  # the heaviest shared terms: weight and why
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        row = {"id": self.doc.id, "source": self.doc.source, "relation": self.relation,
               "similarity": round(self.similarity, 4),
               "estimated": None if self.estimated is None else round(self.estimated, 4),
               "date": self.doc.date, "reason": self.reason}
        if self.shared_terms is not None:
            row["shared_terms"] = self.shared_terms
        if self.evidence is not None:
            row["term_evidence"] = self.evidence
        return row


def record_id(key: str) -> str:
    """A record's id from its key: the exact key (normalised words) of the canonical it was
    created with. From content only, never from ids, paths or input order: the same
    documents get the same record ids through the API, the CLI or from another folder.
    Two records never share a canonical text: exact copies join one record."""
    return "rec-" + hashlib.sha1(f"record\0{key}".encode("utf-8")).hexdigest()[:16]


@dataclass
class Record:
    members: list[Member] = field(default_factory=list)
    why: str = ""
    # The exact key (normalised words) of the canonical the record was created with.
    key: str = ""

    @property
    def canonical(self) -> Document:
        return self.members[0].doc

    @property
    def record_id(self) -> str:
        return record_id(self.key)

    def to_json(self, text: str | None = None) -> dict[str, Any]:
        """The records.jsonl row; `text` replaces the canonical's (a spooled run's is on disk)."""
        c = self.canonical
        return {"record_id": self.record_id, "canonical_id": c.id, "title": c.title,
                "lang": c.lang, "date": c.date, "url": c.url, "size": len(self.members),
                "why": self.why, "text": c.text if text is None else text,
                "members": [m.to_json() for m in self.members]}

    def json_line(self, text: bytes) -> bytes:
        """`dump(self.to_json(...))` and a newline, in UTF-8, with `text` the canonical's
        text already encoded (Document.json_parts)."""
        row = self.to_json("")
        del row["text"]
        members = row.pop("members")
        return b"".join(((dump(row)[:-1] + ', "text": ').encode("utf-8"), text,
                         (', "members": ' + dump(members) + "}\n").encode("utf-8")))


class SourcePriority:
    """Rank of a document's source in canonical.source_priority (site name or path prefix)."""

    def __init__(self, priority: list[str]):
        self.priority = priority

    def rank(self, doc: Document) -> int:
        for i, entry in enumerate(self.priority):
            if doc.site == entry or doc.source == entry or doc.source.startswith(entry.rstrip("/") + "/"):
                return i
        return len(self.priority)


def removed_count(doc: Document) -> int:
    assert doc.features is not None  # clustered documents are signed (stages/sign.py)
    return doc.features.removed


PreferenceKey = tuple[int, bool, bool, str, int, int, str, str, str, int]


def preference_key(doc: Document, priority: SourcePriority) -> PreferenceKey:
    # A user's canonical.source_priority comes first (empty: a tie). Then a document that
    # credits another source is a copy of it, whatever its date (a syndicating page's
    # metadata date is when it syndicated). Past the stated preferences, content decides
    # (the exact key), not ids: the record id comes from the canonical's content, so ids
    # and input order must not pick it. Only copies with the same words (same record id
    # either way) fall through to the id.
    f = doc.features
    assert f is not None  # clustered documents are signed (stages/sign.py)
    return (priority.rank(doc), bool(others_credited(doc)), doc.date is None, doc.date or "",
            -f.words, removed_count(doc), f.exact, doc.id, doc.source, doc.line or 0)


_WHY = ("source_priority", "credits_no_other_source", "earliest_date", "earliest_date", "most_complete_body",
        "least_boilerplate", "content_tiebreak", "lowest_id", "lowest_id", "lowest_id")


def explain_choice(record: Record, priority: SourcePriority) -> str:
    """Which preference rule made the canonical win over the runner-up, in words."""
    if len(record.members) == 1:
        return "only member"
    c = record.canonical
    r = min((m.doc for m in record.members[1:]), key=lambda d: preference_key(d, priority))
    ck, rk = preference_key(c, priority), preference_key(r, priority)
    step = next((i for i, (a, b) in enumerate(zip(ck, rk)) if a != b), len(_WHY) - 1)
    rule = _WHY[step]
    assert c.features is not None and r.features is not None  # signed (stages/sign.py)
    detail = {
        "earliest_date": f"dated {c.date}, runner-up {r.id} dated {r.date or 'unknown'}",
        "most_complete_body": f"{c.features.words} words, runner-up {r.id} has {r.features.words}",
        "least_boilerplate": f"{removed_count(c)} lines removed, runner-up {r.id} had {removed_count(r)}",
        "source_priority": f"source ranks {priority.rank(c)} in canonical.source_priority, "
                           f"runner-up {r.id} ranks {priority.rank(r)}",
        "credits_no_other_source": f"runner-up {r.id} credits {', '.join(others_credited(r))} as its source; "
                                   "the canonical credits no other source",
        "content_tiebreak": f"tie on source priority, credits, date, length and clutter with {r.id}; the text with "
                            "the lower content hash wins (never the id, so the record id does not depend on ids)",
        "lowest_id": f"same words as {r.id} and a tie on everything else; lowest id wins",
    }[rule]
    return f"{rule}: {detail}"


# LSH candidates whose MinHash estimate is below near.threshold x this are not verified.
# With 128 permutations a pair at the threshold (0.3) estimates below 0.1 with probability
# ~5e-7 (binomial tail, 4.9 sd), while chance collisions (J ~0.05) mostly do: against a
# large state, they are most candidates, and each costs its canonical's shingles.
ESTIMATE_FLOOR = 1 / 3
# What the copy tier keeps of the canonicals' arrays it read from a store (Clusterer._canonical):
# at most this many bytes (~16,000 MinHashes of 128 permutations), within the memory a run's
# clustering already holds (#18 point 6: 200,000 documents at most 1.2 GB).
KEPT_BYTES = 8 << 20


def _estimate(a: np.ndarray, b: np.ndarray) -> float:
    # np.mean(a == b), without its overhead (~10 µs a call): the same count over the same
    # length, so the same float.
    return int(np.count_nonzero(a == b)) / len(a) if len(a) else float("nan")


def array_of(doc: Document, key: str, store: DocStore | None = None) -> np.ndarray:
    """A signature or shingle array, from memory or (a spooled run's) from disk."""
    value = getattr(doc.features, key)
    if isinstance(value, np.ndarray):
        return value
    assert store is not None  # a reference, not an array: the run that spooled it passes its store
    array: np.ndarray = store.get_array(value)
    return array


def load_line_words(docs: Iterable[Document], store: DocStore | None) -> None:
    """Read back the packed line words (Features.line_words) a spooled run keeps on disk
    until the story tier: its weights (term_weights.doc_terms) read them in place, as
    bytes. Documents that hold theirs (in memory, or read back already) are left as they are."""
    for doc in docs:
        f = doc.features
        if f is not None and not isinstance(f.line_words, bytes):
            assert store is not None  # a reference, not bytes: the run that spooled it passes its store
            f.line_words = np.asarray(store.get_array(f.line_words)).tobytes()


def drop_shingles(doc: Document) -> None:
    # Only canonicals are compared again; a member's shingles would only take memory.
    assert doc.features is not None  # signed (stages/sign.py)
    doc.features.near = doc.features.near_mh = None


class Clusterer:
    """Copy groups: feed documents in preference order; each joins the group whose canonical
    it copies (exact, or near-duplicate verified on real shingle Jaccard) or starts one."""

    def __init__(self, cfg: Config, free: bool = False, store: DocStore | None = None,
                 candidates: CandidateIndex | None = None) -> None:
        self.cfg, self.free, self.store = cfg, free, store
        # `candidates` probed by document (dedup/groups.GroupIndex, band keys grouped on a
        # cluster) instead of by signature: a document's signature is then read only when
        # it has candidates.
        self.near_lsh: CandidateIndex = candidates or BandIndex(cfg["near"]["lsh_threshold"],
                                                                 cfg["minhash"]["num_perm"])
        self.probe: Callable[[Document], list[int]] | None = getattr(candidates, "probe", None)
        self.exact: dict[str, int] = {}
        self.records: list[Record] = []
        # (group, signature, floor) -> False when the group's canonical surely estimates
        # below `floor` (a state screens candidates on what it keeps: incremental.StateGroups).
        self.screen: Callable[[int, np.ndarray, float], bool] | None = None
        # True: a candidate's shingles are compared before its MinHash estimate (a state signs
        # a canonical's MinHash again from its shingles, which cost more than the comparison:
        # the estimate is then signed only for a match). The same conditions, in another order.
        self.shingles_first = False
        # Canonicals' arrays read from a store, by (group, field): a canonical is a candidate
        # of many documents (most of them chance band collisions), and each read was a pread
        # (the references' 3,000 documents: 6,903 MinHashes read for 1,578 canonicals, 1,390
        # shingle arrays for 748). Up to KEPT_BYTES, then read as before.
        self._kept: dict[tuple[int, str], np.ndarray] = {}
        self._kept_bytes = 0

    def _shingles(self, doc: Document, key: str = "near") -> np.ndarray:
        return array_of(doc, key, self.store)

    def _canonical(self, idx: int, key: str) -> np.ndarray:
        array = self._kept.get((idx, key))
        if array is None:
            canonical = self.records[idx].canonical
            array = self._shingles(canonical, key)
            stored = not isinstance(getattr(canonical.features, key), np.ndarray)
            if stored and self._kept_bytes + array.nbytes <= KEPT_BYTES:  # in memory already: not kept twice
                self._kept[(idx, key)] = array
                self._kept_bytes += array.nbytes
        return array

    def canonical_signature(self, idx: int) -> np.ndarray:
        """The MinHash of group `idx`'s canonical (a state reads it without the canonical)."""
        return self._canonical(idx, "near_mh")

    def canonical_shingles(self, idx: int) -> np.ndarray:
        """The shingles of group `idx`'s canonical (a state's candidate read ahead keeps them alone)."""
        return self._canonical(idx, "near")

    def _near(self, doc: Document, signature: np.ndarray | None) -> tuple[Member, int] | None:
        best = None
        threshold = self.cfg["near"]["threshold"]
        floor = threshold * ESTIMATE_FLOOR
        mine = None
        found = self.near_lsh.query(signature if self.probe is None else self.probe(doc))
        if found and signature is None:  # probed by document: its signature read only now
            signature = self._shingles(doc, "near_mh")
        for idx in sorted(found):
            assert signature is not None  # given, or read above: `found` is not empty
            if self.screen is not None and not self.screen(idx, signature, floor):
                continue  # below the floor as surely as the estimate below would say
            # Two checks, both needed; shingles_first only orders them (by what each costs).
            sim = estimate = 0.0
            for by_estimate in (False, True) if self.shingles_first else (True, False):
                if by_estimate:
                    estimate = _estimate(signature, self.canonical_signature(idx))
                    if estimate < floor:  # a chance band collision: not worth reading its shingles
                        break
                else:
                    mine = self._shingles(doc) if mine is None else mine
                    sim = jaccard(mine, self.canonical_shingles(idx))
                    if sim < threshold or (best is not None and sim <= best[1]):
                        break
            else:
                best = (idx, sim, estimate)
        if best is None:
            return None
        idx, sim, est = best
        return Member(doc, NEAR, sim, est, reason=f"shingle Jaccard {sim:.3f} >= near.threshold {threshold}"), idx

    def add(self, doc: Document) -> int:
        """Add one document; returns the index of the group it joined or started."""
        assert doc.features is not None  # signed (stages/sign.py)
        idx = self.exact.get(doc.features.exact)
        if idx is not None:
            self.records[idx].members.append(
                Member(doc, EXACT, 1.0, 1.0, reason="same words after normalisation"))
            if self.free:
                drop_shingles(doc)
            return idx
        # Read once: queried, then maybe indexed (a probe by document reads it only if needed).
        signature = self._shingles(doc, "near_mh") if self.probe is None else None
        found = self._near(doc, signature)
        if found is not None:
            member, idx = found
            self.records[idx].members.append(member)
            if self.free:
                drop_shingles(doc)
            return idx
        idx = len(self.records)
        self.records.append(Record([Member(doc, CANONICAL, 1.0, 1.0, reason="starts the record")],
                                   key=doc.features.exact))
        self.index(idx, doc, signature)
        return idx

    def index(self, idx: int, doc: Document, signature: np.ndarray | None) -> None:
        """Make group `idx` findable through `doc`, its (new) canonical: later documents are
        compared with it (`signature`, its MinHash; None when probed by document)."""
        assert doc.features is not None  # signed (stages/sign.py)
        for key in ("near_mh", "near"):  # a new canonical for an old group: its arrays, not the last one's
            dropped = self._kept.pop((idx, key), None)
            if dropped is not None:
                self._kept_bytes -= dropped.nbytes
        self.exact.setdefault(doc.features.exact, idx)
        self.near_lsh.insert(idx, signature if self.probe is None else self.probe(doc))


# The weighted terms of a representative the story tier can pair with no other (may_link):
# it is never compared, so nothing of it is built (its terms still count in the weights).
UNLINKED = DocTerms({}, {}, 0.0)


def may_link(reps: list[Document], weigh: TermWeights, story: dict[str, Any]) -> list[bool]:
    """Which representatives the story tier can pair with another at all. A pair is proposed
    only between documents that share story.min_shared_terms names among those printed by
    2 to story.max_term_docs of them (stories.candidate_edges over name_postings), so a
    document printing fewer such names is in no pair, no edge and no component: the tier
    never reads its weighted terms or its line words. `weigh` has observed `reps`: its
    document counts are the postings' lengths."""
    top, need = story["max_term_docs"], story["min_shared_terms"]
    # Each distinct term asked once (is_name per occurrence was ~0.1 s at 3,000 documents).
    names = {t for t, n in weigh.df.items() if 1 < n <= top and is_name(t)}
    return [sum(map(names.__contains__, features(d).terms)) >= need for d in reps]


def story_links(groups: list[Record], cfg: Config, runner: StoryRunner | None = None,
                store: DocStore | None = None) -> tuple[list[list[int]], Edges, TermWeights, list[DocTerms]]:
    """Which copy groups tell the same story (stories.py): (clusters of group indices,
    their edges, the term weights, each group canonical's weighted terms: UNLINKED for one
    the tier cannot pair, may_link; an empty list when the runner made them in its own
    processes, stories.WeighsApart). `runner`: where the edges and the components are
    computed (default: here; a cluster's, from its executor). `store`: where a spooled
    run keeps line words (load_line_words), read for the canonicals that may link only."""
    reps = [g.canonical for g in groups]
    weigh = TermWeights(cfg["story"]).observe(reps, also=[m.doc for g in groups for m in g.members[1:]])
    linkable = may_link(reps, weigh, cfg["story"])
    load_line_words((d for d, ok in zip(reps, linkable) if ok), store)

    def make() -> list[DocTerms]:
        return [doc_terms(d, weigh) if ok else UNLINKED for d, ok in zip(reps, linkable)]

    # A runner that weighs apart (a state's batch's forked children) computes them itself:
    # this process never holds them (~1.2 KB a window group, #16 point 9); its list is empty.
    weights = runner.weights(len(reps), make) if isinstance(runner, WeighsApart) else make()
    clusters, edges = link_stories(reps, cfg, weights, runner)
    return clusters, edges, weigh, weights


def _merge_stories(groups: list[Record], cfg: Config, store: DocStore | None = None,
                   runner: StoryRunner | None = None) -> list[Record]:
    """Join copy groups that tell the same story into one record (see stories.py)."""
    clusters, edges, weigh, weights = story_links(groups, cfg, runner, store)
    return story_records(groups, clusters, edges, weigh, weights, cfg, store)


def story_records(groups: list[Record], clusters: list[list[int]], edges: Edges, weigh: TermWeights,
                  weights: list[DocTerms], cfg: Config, store: DocStore | None = None,
                  keys: list[str] | None = None) -> list[Record]:
    """One record per cluster of groups, the first group's canonical its canonical; `keys`
    (one per cluster) fixes each record's id key, else the first group's."""
    threshold = cfg["story"]["threshold"]
    local = (f" (or story.local_threshold {cfg['story']['local_threshold']} on component-local weights, "
             f"in a component of {LOCAL_MIN_DOCS}+ linked documents)") if cfg["story"]["local_df_factor"] else ""
    records: list[Record] = []
    for n, cluster_ in enumerate(clusters):
        # Groups are in preference order of their canonicals: the first one's canonical wins.
        head = groups[cluster_[0]]
        record = Record(list(head.members), key=head.key if keys is None else keys[n])
        canon = head.canonical
        canon_w = weights[cluster_[0]]
        canon_mh = array_of(canon, "story_mh", store) if len(cluster_) > 1 else None
        for g in cluster_[1:]:
            assert canon_mh is not None  # read above: the cluster has more than one group
            group = groups[g]
            load_line_words((m.doc for m in group.members), store)  # doc_terms of each, below
            avg = sum(edges.get((min(g, h), max(g, h)), 0.0) for h in cluster_ if h != g) / (len(cluster_) - 1)
            for m in group.members:
                mine = weights[g] if m.doc is group.canonical else doc_terms(m.doc, weigh)
                shared, evidence = shared_evidence(weigh, m.doc, mine, canon, canon_w)
                via = "" if m.relation == CANONICAL else f"; {m.relation} copy of {group.canonical.id}"
                record.members.append(Member(
                    m.doc, STORY, similarity(mine, canon_w),
                    _estimate(array_of(m.doc, "story_mh", store), canon_mh), shared, evidence,
                    reason=(f"same story: average weighted term Jaccard {avg:.3f} to the other "
                            f"{len(cluster_) - 1} group(s) of the record, merged at >= story.threshold "
                            f"{threshold}{local}{via}")))
        records.append(record)
    return records


def cluster(docs: Iterable[Document], cfg: Config, timings: dict[str, float] | None = None,
            free: bool = False, store: DocStore | None = None,
            candidates: CandidateIndex | None = None, stories: StoryRunner | None = None) -> list[Record]:
    """Records for the usable documents; sets status and record_id on each of them.

    `timings`, when given, receives seconds per step (copies, stories). With `free`,
    shingles are dropped from the documents as soon as they are no longer needed (a large
    run's memory); without, the documents can be clustered again (benchmarks, sweeps).
    `store` resolves shingles a spooled run keeps on disk (Spool.get_array). `candidates`
    replaces the in-memory LSH (a GroupIndex over the same documents, from a cluster);
    `stories` runs the story tier's edges and components elsewhere (a cluster's workers)."""
    timings = timings if timings is not None else {}
    priority = SourcePriority(cfg["canonical"]["source_priority"])
    start = time.perf_counter()
    clusterer = Clusterer(cfg, free, store, candidates)
    usable = sorted((d for d in docs if d.ok), key=lambda d: preference_key(d, priority))
    for doc in usable:
        clusterer.add(doc)
    timings["copies"] = time.perf_counter() - start
    groups = clusterer.records
    # Its LSH tables (~2.8 KB a group at lsh_threshold 0.2: 28 bands) are done with: freed
    # before the story tier builds its own, not beside them.
    del clusterer
    if free:
        for doc in usable:
            drop_shingles(doc)  # copy groups are settled; the story tier needs terms only
    start = time.perf_counter()
    records = _merge_stories(groups, cfg, store, stories)
    timings["stories"] = time.perf_counter() - start
    return settle(records, priority)


def settle(records: list[Record], priority: SourcePriority) -> list[Record]:
    """Records in canonical order, each with its `why`; sets status and record_id on every member."""
    records.sort(key=lambda r: r.canonical.sort_key())
    for record in records:
        record.why = explain_choice(record, priority)
        for member in record.members:
            member.doc.record_id = record.record_id
            member.doc.status = KEPT if member.relation == CANONICAL else DUPLICATE
    return records
