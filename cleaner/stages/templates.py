"""Corpus-level templates: lines a source repeats across many of its stories.

A footer, a standard disclaimer or a "more from this site" line that the rules do not
know is still recognisable because the same source prints it under most of its stories.
Lines are counted per source only: the same paragraph under stories of *different*
sources is syndication (shared copy), which the clustering tiers handle, not boilerplate.

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
from collections import Counter
from urllib.parse import urlsplit
from typing import Collection

import numpy as np

from cleaner.stages.boilerplate.decide import join_lines
from cleaner.core.document import Document
from cleaner.stages.boilerplate.rules import fold, is_sentence
from cleaner.core.text import word_count

RULE_ID, CATEGORY = "template.repeated-line", "template"


def source_key(doc: Document) -> str:
    """Which source a document comes from: its site, else its URL's host, else its folder."""
    if doc.site:
        return f"site:{doc.site.casefold()}"
    if doc.url:
        host = urlsplit(doc.url).hostname
        if host:
            return f"host:{host.removeprefix('www.')}"
    if doc.line is not None or doc.source.endswith((".jsonl", ".json")):
        return f"file:{doc.source}"  # records in one feed file come from one source
    return f"folder:{posixpath.dirname(doc.source)}"


def _line_key(source: str, line: str) -> int:
    # Stable across processes and runs (Python's hash() is salted per process).
    return int.from_bytes(hashlib.blake2b(f"{source}\0{fold(line)}".encode("utf-8"), digest_size=8).digest(), "little")


class Templates:
    """A corpus stage (core/protocols.CorpusStage): `observe` every document (partitions
    `merge`), `decide` once, `apply` to each.

    Memory is 12 bytes per (document, distinct line) observed, not the texts."""

    name = "templates"

    def __init__(self, enabled: bool = True, min_docs: int = 3, min_share: float = 0.5,
                 max_words: int = 60, protect_min_words: int = 40, max_removed_fraction: float = 0.5):
        self.enabled, self.min_docs, self.min_share, self.max_words = enabled, min_docs, min_share, max_words
        self.protect_min_words, self.max_removed_fraction = protect_min_words, max_removed_fraction
        self.reset()

    def reset(self) -> None:
        """Forget what earlier runs observed."""
        self._sources: dict[str, int] = {}  # source key -> index
        self._docs_per_source: Counter[int] = Counter()
        self._keys = array("Q")  # one entry per (document, distinct candidate line)
        self._key_source = array("I")
        self.table: dict[int, tuple[int, int]] = {}  # template line key -> (docs printing it, docs of source)

    def _candidate(self, line: str) -> bool:
        words = word_count(line)
        return 0 < words <= self.max_words and not (words >= self.protect_min_words and is_sentence(line))

    def line_keys(self, doc: Document) -> list[int]:
        """Keys of the document's candidate lines (computed where the text is)."""
        if not (self.enabled and doc.ok):
            return []
        source = source_key(doc)
        return sorted({_line_key(source, line) for line in doc.text.split("\n") if self._candidate(line)})

    def observe_keys(self, doc: Document, keys: Collection[int]) -> None:
        """Count a document (its metadata suffices) with its `line_keys`."""
        if not (self.enabled and doc.ok):
            return
        self.observe_source(source_key(doc), keys)

    def observe_source(self, source: str, keys: Collection[int]) -> None:
        """Count a document of `source` with its line keys (a list, or an array of uint64:
        where a cluster's worker reads them back from the spool, exec/dask_corpus.py)."""
        sid = self._sources.setdefault(source, len(self._sources))
        self._docs_per_source[sid] += 1
        self._keys.extend(keys)
        self._key_source.extend([sid] * len(keys))

    def merge(self, other: "Templates") -> None:
        """Add what another instance observed (another partition of the corpus): counts per
        source add up, so observing in parts and merging decides as observing all at once."""
        remap = np.array([self._sources.setdefault(name, len(self._sources)) for name in other._sources],
                         dtype=np.uint32)
        for sid, n in other._docs_per_source.items():
            self._docs_per_source[int(remap[sid])] += n
        self._keys.extend(other._keys)
        if len(other._key_source):
            self._key_source.extend(array("I", remap[np.frombuffer(other._key_source, dtype=np.uint32)].tobytes()))

    def observe(self, doc: Document) -> None:
        self.observe_keys(doc, self.line_keys(doc))

    def touches(self, doc: Document, keys: Collection[int]) -> bool:
        """Would `apply` remove anything from a document with these line keys?"""
        return bool(self.table) and doc.ok and any(k in self.table for k in keys)

    def decide(self) -> None:
        """Which observed lines are templates: printed by enough documents of their source."""
        if not self._keys:
            return
        keys = np.frombuffer(self._keys, dtype=np.uint64)
        sources = np.frombuffer(self._key_source, dtype=np.uint32)
        uniq, first, counts = np.unique(keys, return_index=True, return_counts=True)
        docs = [self._docs_per_source[int(sources[at])] for at in first.tolist()]
        self.table.update(self.templates_among(uniq.tolist(), counts.tolist(), docs))
        self._keys, self._key_source = array("Q"), array("I")

    def templates_among(self, keys: list[int], counts: list[int], docs: list[int]) -> dict[int, tuple[int, int]]:
        """The rule, for line keys each printed by `counts` documents of a source that has
        `docs` documents (one rule, whether counted here or on a cluster: exec/dask_corpus.py)."""
        return {key: (n, d) for key, n, d in zip(keys, counts, docs)
                if d >= self.min_docs and n >= max(self.min_docs, self.min_share * d)}

    def apply(self, doc: Document) -> Document:
        if not (self.table and doc.ok):
            return doc
        source = source_key(doc)
        lines = doc.text.split("\n")
        numbers = doc.line_no or list(range(1, len(lines) + 1))
        # line -> (docs printing it, docs of the source), for the template lines
        found = {i: seen for i, line in enumerate(lines)
                 if line.strip() and (seen := self.table.get(_line_key(source, line))) is not None}
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
