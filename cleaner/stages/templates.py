"""Corpus-level templates: lines a source repeats across many of its stories.

A footer, a standard disclaimer or a "more from this site" line that the rules do not
know is still recognisable because the same source prints it under most of its stories.
Lines are counted per source only: the same paragraph under stories of *different*
sources is syndication (shared copy), which the clustering tiers handle, not boilerplate.
So are copies of one story in one source (a folder of downloads, the API's items, a
stream's batch): a template must be printed by at least `min_docs` documents of which no
two are copies of one story (the same exact key; or near copies by the copy tiers' test,
shingle Jaccard >= near.threshold, sharing more than max_removed_fraction of the shorter
one: what short stories under one long footer share is only what a removal may take), so
a story's own headline and paragraphs, however often the source holds it, are not a template.

This is a corpus stage: it needs every document of a source before it can decide, so it
runs after the per-document stages (signing included, in the workers); the few documents
it changes are signed again (exec/flow.py). Like the line rules, it tags first and
decides after, under the same guards (long sentence lines stay; a document is never
emptied).
"""

from __future__ import annotations

import hashlib
import posixpath
from array import array
from typing import Any, Collection, Mapping, Sequence

import numpy as np

from cleaner.stages.boilerplate.decide import join_lines
from cleaner.core.document import Document
from cleaner.core.hosts import url_host
from cleaner.core.protocols import DocStore
from cleaner.stages.boilerplate.rules import fold, is_sentence
from cleaner.dedup.signatures import folded as folded_text, line_word_counts

RULE_ID, CATEGORY = "template.repeated-line", "template"


def source_key(doc: Document) -> str:
    """Which source a document comes from: its site, else its URL's host, else its folder."""
    if doc.site:
        return f"site:{doc.site.casefold()}"
    if doc.url:
        host = url_host(doc.url)
        if host:
            return f"host:{host.removeprefix('www.')}"
    if doc.line is not None or doc.source.endswith((".jsonl", ".json")):
        return f"file:{doc.source}"  # records in one feed file come from one source
    return f"folder:{posixpath.dirname(doc.source)}"


def _line_key(source: str, line: str) -> int:
    """A line's key: stable across processes and runs (Python's hash() is salted per
    process). `_line_keys` computes the same for every line of a text at once."""
    return int.from_bytes(hashlib.blake2b(f"{source}\0{fold(line)}".encode("utf-8"), digest_size=8).digest(), "little")


# Whitespace a folded text can hold besides spaces and line breaks (NFKC makes every other
# kind a space; tests/test_templates16.py checks every character).
_OTHER_SPACES = tuple("\t\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u1680\u2028\u2029")


def _folded_lines(text: str) -> list[str]:
    """`fold` of each line of `text` (split at "\n"), folding the text at once: a line break
    is a starter that never composes (core/text.nfkc), no character folds into one, and
    case folding has no context. Most texts need no spacing fixed: none where the folded
    text holds no other whitespace, no two spaces and no space beside a line break or at an end."""
    folded = folded_text(text)  # the signing stage folded the same text just before (signatures.folded)
    lines = folded.split("\n")
    if ("  " in folded or " \n" in folded or "\n " in folded or folded[:1] == " " or folded[-1:] == " "
            or any(space in folded for space in _OTHER_SPACES)):
        return [" ".join(line.split()) for line in lines]
    return lines


def _line_keys(source: str, text: str, which: list[int] | None = None) -> list[int]:
    """`_line_key(source, line)` of the text's lines (those numbered in `which`, else all),
    the same values at a fraction of the cost: the text folded at once, the source's part
    hashed once and each line's added to a copy of that state, the digests read as one array."""
    lines = _folded_lines(text)
    start = hashlib.blake2b(f"{source}\0".encode("utf-8"), digest_size=8).copy
    digests = []
    for at in range(len(lines)) if which is None else which:
        state = start()
        state.update(lines[at].encode("utf-8"))
        digests.append(state.digest())
    keys: list[int] = np.frombuffer(b"".join(digests), dtype="<u8").tolist()
    return keys


def _rank(doc: Document | None) -> int:
    # A document's place in the order `confirm` reads printers in: its exact key's first 64
    # bits (copies with the same words are neighbours; no features: first, a copy of none).
    return int(doc.features.exact[:16], 16) if doc is not None and doc.features is not None else 0


class _Copies:
    """Whether an observed document (by number) is a copy of a story (another's number):
    the same exact key, or shingles the copy tiers would call near copies (Jaccard >=
    `threshold`) that are more than `share` of the shorter one's. The second test keeps
    documents that share only a template removal could take (at most max_removed_fraction
    of a text) apart: short stories under one long footer are near copies by Jaccard alone.

    Answers are kept a story at a time (printer -> answer) for the last `STORIES` stories
    asked about: a source's stories recur for each of its lines, and each of its printers
    is measured against each once, however many printers (a pair cache bounded at 4,096
    pairs measured 12,000 copies of one story again for each line: 1.5 CPU s). A story is
    asked about only by printers of its own lines until min_docs stories are found, so
    its answers stay within its source's printers. Shingle arrays are kept (bounded) too."""

    LIMIT = 4096  # shingle arrays kept
    STORIES = 64  # stories whose answers are kept

    def __init__(self, docs: Sequence[Document | None], store: DocStore | None, threshold: float, share: float):
        self.docs, self.store, self.threshold, self.share = docs, store, threshold, share
        self.arrays: dict[int, np.ndarray] = {}
        self.answers: dict[int, dict[int, bool]] = {}  # story -> {printer: a copy of it?}

    def _near(self, number: int, value: Any) -> np.ndarray:
        near = self.arrays.get(number)
        if near is None:
            if len(self.arrays) >= self.LIMIT:
                self.arrays.clear()
            near = value if isinstance(value, np.ndarray) or self.store is None else self.store.get_array(value)
            near = self.arrays[number] = np.asarray(near)
        return near

    def _alike(self, one: np.ndarray, two: np.ndarray) -> bool:
        shorter = min(len(one), len(two))
        if not shorter:
            return len(one) == len(two)  # both without shingles: jaccard's 1.0
        shared = len(np.intersect1d(one, two, assume_unique=True))
        return shared / (len(one) + len(two) - shared) >= self.threshold and shared / shorter > self.share

    def __call__(self, number: int, story: int) -> bool:
        answers = self.answers.pop(story, None)  # taken out and put back: the newest last
        if answers is None:
            if len(self.answers) >= self.STORIES:
                del self.answers[next(iter(self.answers))]  # the story asked about longest ago
            answers = {}
        self.answers[story] = answers
        known = answers.get(number)
        if known is not None:
            return known
        one, two = self.docs[number], self.docs[story]
        if one is None or two is None or one.features is None or two.features is None:
            same = False
        else:
            f, g = one.features, two.features
            same = f.exact == g.exact or self._alike(self._near(number, f.near), self._near(story, g.near))
        answers[number] = same  # the test is symmetric, but a printer is only ever asked about a story
        return same


class Templates:
    """A corpus stage (core/protocols.CorpusStage): `observe` every document (partitions
    `merge`), `decide` once, `apply` to each.

    Memory is 12 bytes per (document, distinct line) observed, and a reference per
    document, not the texts."""

    name = "templates"

    def __init__(self, enabled: bool = True, min_docs: int = 3, min_share: float = 0.5,
                 max_words: int = 60, protect_min_words: int = 40, max_removed_fraction: float = 0.5,
                 copy_threshold: float = 0.3):
        self.enabled, self.min_docs, self.min_share, self.max_words = enabled, min_docs, min_share, max_words
        self.protect_min_words, self.max_removed_fraction = protect_min_words, max_removed_fraction
        self.copy_threshold = copy_threshold  # near.threshold: two documents this alike are copies
        self.reset()

    def reset(self) -> None:
        """Forget what earlier runs observed."""
        self._sources: dict[str, int] = {}  # source key -> index
        self._docs: list[Document | None] = []  # observed documents (slim copies suffice), in order
        self._doc_source = array("I")  # one entry per observed document
        self._keys = array("Q")  # one entry per (document, distinct candidate line)
        self._key_doc = array("I")  # the observed document's number, for each key
        self.table: dict[int, tuple[int, int]] = {}  # template line key -> (docs printing it, docs of source)

    def line_keys(self, doc: Document) -> list[int]:
        """Keys of the document's candidate lines (computed where the text is): lines of 1 to
        max_words words, but not sentences of protect_min_words or more."""
        if not (self.enabled and doc.ok):
            return []
        lines = doc.text.split("\n")
        most, protect = self.max_words, self.protect_min_words
        # Every line's words counted at once from the word-character table (a regex a line
        # cost ~2.8 µs: ~0.16 CPU s of 3,000 documents whose lines do not repeat)
        counts = line_word_counts(doc.text)
        which = [at for at, words in enumerate(counts)
                 if 0 < words <= most and not (words >= protect and is_sentence(lines[at]))]
        return sorted(set(_line_keys(source_key(doc), doc.text, which))) if which else []

    def observe_keys(self, doc: Document, keys: Collection[int]) -> None:
        """Count a document (its metadata and features suffice) with its `line_keys`."""
        if not (self.enabled and doc.ok):
            return
        self.observe_source(source_key(doc), keys, doc)

    def observe_source(self, source: str, keys: Collection[int], doc: Document | None = None) -> None:
        """Count a document of `source` with its line keys (a list, or an array of uint64).
        Without `doc` (its features), it is a copy of no other document."""
        sid = self._sources.setdefault(source, len(self._sources))
        number = len(self._docs)
        self._docs.append(doc)
        self._doc_source.append(sid)
        self._keys.extend(keys)
        self._key_doc.extend(array("I", [number]) * len(keys))

    def merge(self, other: "Templates") -> None:
        """Add what another instance observed (another partition of the corpus): counts per
        source add up and its documents follow this one's, so observing in parts and
        merging decides as observing all at once."""
        remap = np.array([self._sources.setdefault(name, len(self._sources)) for name in other._sources],
                         dtype=np.uint32)
        offset = len(self._docs)
        self._docs.extend(other._docs)
        if len(other._doc_source):
            self._doc_source.extend(array("I", remap[np.frombuffer(other._doc_source, dtype=np.uint32)].tobytes()))
        self._keys.extend(other._keys)
        if len(other._key_doc):
            shifted = np.frombuffer(other._key_doc, dtype=np.uint32) + np.uint32(offset)
            self._key_doc.extend(array("I", shifted.tobytes()))

    def observe(self, doc: Document) -> None:
        self.observe_keys(doc, self.line_keys(doc))

    def touches(self, doc: Document, keys: Collection[int]) -> bool:
        """Would `apply` remove anything from a document with these line keys?"""
        return bool(self.table) and doc.ok and any(k in self.table for k in keys)

    def decide(self, store: DocStore | None = None) -> None:
        """Which observed lines are templates: printed by enough documents of their source,
        enough of them different stories. `store` reads back shingles a spooled run keeps
        on disk."""
        if self._keys:
            sources = np.frombuffer(self._doc_source, dtype=np.uint32)
            owners = np.frombuffer(self._key_doc, dtype=np.uint32)
            found = self.candidates(np.frombuffer(self._keys, dtype=np.uint64), owners, sources[owners],
                                    np.bincount(sources))
            self.table.update(self.confirm(found, self._docs, store))
        self._keys, self._key_doc, self._doc_source, self._docs = array("Q"), array("I"), array("I"), []

    def candidates(self, keys: np.ndarray, owners: np.ndarray, sources: np.ndarray,
                   docs_of: Mapping[int, int] | np.ndarray) -> dict[int, tuple[int, int, np.ndarray]]:
        """The line keys printed by enough documents of their source (`docs_of` its
        documents), from rows (key, document number, source) in corpus order (each
        document's keys distinct): key -> (documents printing it, documents of the source,
        their numbers). One rule, whether counted here or on a cluster (exec/dask_corpus.py)."""
        if not len(keys):
            return {}
        order = np.argsort(keys, kind="stable")  # a key's rows in corpus order
        ordered = keys[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        counts = np.diff(np.append(starts, len(ordered)))
        found = {}
        for at in np.flatnonzero(counts >= self.min_docs).tolist():
            begin, n = int(starts[at]), int(counts[at])
            d = int(docs_of[int(sources[order[begin]])])
            if d >= self.min_docs and n >= max(self.min_docs, self.min_share * d):
                found[int(ordered[begin])] = (n, d, owners[order[begin:begin + n]])
        return found

    def confirm(self, found: dict[int, tuple[int, int, np.ndarray]], docs: Sequence[Document | None],
                store: DocStore | None) -> dict[int, tuple[int, int]]:
        """The candidates (`candidates`) printed by at least `min_docs` documents no two of
        which are copies of each other (`docs` by number), by key: copies of one story are
        syndication, not a template. The printers are read in the order of their exact
        keys, so the answer depends on neither input order nor partitions."""
        table: dict[int, tuple[int, int]] = {}
        if not found:
            return table
        rank = np.array([_rank(doc) for doc in docs], dtype=np.uint64)
        copies = _Copies(docs, store, self.copy_threshold, self.max_removed_fraction)
        for key in sorted(found):
            n, d, printers = found[key]
            stories: list[int] = []
            for number in printers[np.argsort(rank[printers], kind="stable")].tolist():
                if not any(copies(number, story) for story in stories):
                    stories.append(number)
                    if len(stories) >= self.min_docs:
                        table[key] = (n, d)
                        break
        return table

    def apply(self, doc: Document) -> Document:
        if not (self.table and doc.ok):
            return doc
        source = source_key(doc)
        lines = doc.text.split("\n")
        numbers = doc.line_no or list(range(1, len(lines) + 1))
        # line -> (docs printing it, docs of the source), for the template lines
        found = {i: seen for i, (line, key) in enumerate(zip(lines, _line_keys(source, doc.text), strict=True))
                 if line.strip() and (seen := self.table.get(key)) is not None}
        hits = list(found)
        if not hits:
            return doc
        total = sum(len(line.strip()) for line in lines) or 1
        share = sum(len(lines[i].strip()) for i in hits) / total
        entries = [{"rule": RULE_ID, "category": CATEGORY, "line_no": numbers[i], "text": lines[i].strip(),
                    "action": "drop", "note": f"in {found[i][0]} of {found[i][1]} documents from {source}"}
                   for i in hits]
        if share > self.max_removed_fraction:
            doc.flags.append({"flag": "removal_over_limit", "would_remove": entries,
                              "reason": f"template lines are {share:.0%} of the text "
                                        f"(boilerplate.max_removed_fraction = {self.max_removed_fraction}); lines kept"})
            return doc
        doc.removed.extend(entries)
        drop = set(hits)
        doc.text, doc.line_no = join_lines([(n, line) for i, (n, line) in enumerate(zip(numbers, lines))
                                                    if i not in drop])
        return doc

    def run(self, docs: list[Document]) -> list[Document]:
        """Both passes over documents held in memory."""
        self.reset()
        for doc in docs:
            self.observe(doc)
        self.decide()
        return [self.apply(doc) for doc in docs]
