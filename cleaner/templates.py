"""Corpus-level templates: lines a source repeats across many of its stories.

A footer, a standard disclaimer or a "more from this site" line that the rules do not
know is still recognisable because the same source prints it under most of its stories.
Lines are counted per source only: the same paragraph under stories of *different*
sources is syndication (shared copy), which the clustering tiers handle, not boilerplate.

This is a corpus stage: it needs every document of a source before it can decide, so it
runs between the per-document stages and signing. Like the line rules, it tags first and
decides after, under the same guards (long sentence lines stay; a document is never
emptied).
"""

from __future__ import annotations

import posixpath
from collections import Counter, defaultdict
from typing import Iterable
from urllib.parse import urlsplit

from .boilerplate import join_lines
from .document import Document
from .rules import fold, is_sentence
from .text import word_count

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


class Templates:
    name = "templates"

    def __init__(self, enabled: bool = True, min_docs: int = 3, min_share: float = 0.5,
                 max_words: int = 60, protect_min_words: int = 40, max_removed_fraction: float = 0.5):
        self.enabled, self.min_docs, self.min_share, self.max_words = enabled, min_docs, min_share, max_words
        self.protect_min_words, self.max_removed_fraction = protect_min_words, max_removed_fraction

    def _candidate(self, line: str) -> bool:
        words = word_count(line)
        return 0 < words <= self.max_words and not (words >= self.protect_min_words and is_sentence(line))

    def find(self, docs: Iterable[Document]) -> dict[str, tuple[int, dict[str, int]]]:
        """source -> (its documents, {folded template line: documents printing it})."""
        by_source: dict[str, list[Document]] = defaultdict(list)
        for doc in docs:
            if doc.ok:
                by_source[source_key(doc)].append(doc)
        found: dict[str, tuple[int, dict[str, int]]] = {}
        for source, group in by_source.items():
            if len(group) < self.min_docs:
                continue
            counts: Counter[str] = Counter()
            for doc in group:
                counts.update({fold(line) for line in doc.text.split("\n") if self._candidate(line)})
            need = max(self.min_docs, self.min_share * len(group))
            lines = {line: n for line, n in counts.items() if n >= need}
            if lines:
                found[source] = (len(group), lines)
        return found

    def apply(self, doc: Document, found: dict[str, tuple[int, dict[str, int]]]) -> Document:
        if not doc.ok or source_key(doc) not in found:
            return doc
        n_docs, table = found[source_key(doc)]
        lines = doc.text.split("\n")
        numbers = doc.work.get("line_no") or list(range(1, len(lines) + 1))
        hits = [i for i, line in enumerate(lines) if line.strip() and fold(line) in table]
        if not hits:
            return doc
        total = sum(len(line.strip()) for line in lines) or 1
        share = sum(len(lines[i].strip()) for i in hits) / total
        entries = [{"rule": RULE_ID, "category": CATEGORY, "line_no": numbers[i], "text": lines[i].strip(),
                    "action": "drop",
                    "note": f"in {table[fold(lines[i])]} of {n_docs} documents from {source_key(doc)}"}
                   for i in hits]
        if share > self.max_removed_fraction:
            doc.flags.append({"flag": "removal_over_limit", "would_remove": entries,
                              "reason": f"template lines are {share:.0%} of the text "
                                        f"(boilerplate.max_removed_fraction = {self.max_removed_fraction}); lines kept"})
            return doc
        doc.removed.extend(entries)
        drop = set(hits)
        doc.text, doc.work["line_no"] = join_lines([(n, line) for i, (n, line) in enumerate(zip(numbers, lines))
                                                    if i not in drop])
        return doc

    def run(self, docs: list[Document]) -> list[Document]:
        if not self.enabled:
            return docs
        found = self.find(docs)
        return [self.apply(doc, found) for doc in docs]
