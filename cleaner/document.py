"""The one record type every stage takes and returns.

Stages only add to a document (tags, metadata, signatures); the decisions that remove
something are recorded next to what they removed, so the output can always be audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KEPT, DUPLICATE, REJECTED, PENDING = "kept", "duplicate", "rejected", "pending"


@dataclass(slots=True)
class Document:
    id: str
    source: str  # path relative to the input folder (or "<api>" for the Python API)
    text: str = ""
    html: str | None = None  # raw HTML until extraction replaces it by text
    title: str | None = None
    date: str | None = None  # ISO date, YYYY-MM-DD
    url: str | None = None
    site: str | None = None
    author: str | None = None
    line: int | None = None  # line number inside a JSONL source
    status: str = PENDING
    error: str | None = None
    lang: str | None = None
    lang_prob: float | None = None
    lang_reason: str | None = None
    removed: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # provenance of metadata: field -> how found
    record_id: str | None = None
    # Working data for later stages (signatures, features); never written out.
    work: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.status != REJECTED

    def reject(self, reason: str) -> "Document":
        self.status, self.error = REJECTED, reason
        self.html = None
        return self

    def sort_key(self) -> tuple:
        return (self.id, self.source, self.line or 0)

    def to_json(self) -> dict[str, Any]:
        """The documents.jsonl row (the output contract in README.md)."""
        row = {
            "id": self.id,
            "source": self.source,
            "status": self.status,
            "lang": self.lang,
            "lang_prob": self.lang_prob,
            "lang_reason": self.lang_reason,
            "title": self.title,
            "date": self.date,
            "url": self.url,
            "site": self.site,
            "author": self.author,
            "text": self.text,
            "removed": self.removed,
            "flags": self.flags,
            "meta": self.meta,
            "record_id": self.record_id,
            "error": self.error,
        }
        if self.line is not None:
            row["line"] = self.line
        return row
