"""The one record type every stage takes and returns.

Stages only add to a document (tags, metadata, signatures); the decisions that remove
something are recorded next to what they removed, so the output can always be audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

KEPT, DUPLICATE, REJECTED, PENDING = "kept", "duplicate", "rejected", "pending"
# documents.jsonl fields no decision after the per-document stages changes, in row order.
_BEFORE_TEXT = ("lang", "lang_prob", "lang_reason", "title", "date", "url", "site", "author")


def dump(value: Any) -> str:
    """JSON as every output row is written (UTF-8 kept, default separators)."""
    return json.dumps(value, ensure_ascii=False)


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

    def json_parts(self) -> tuple[bytes, bytes, bytes]:
        """The middle of the documents.jsonl row, encoded as written (UTF-8): (fields
        before the text, the text, fields after it). None of it changes after the
        per-document stages, so the workers encode it, in parallel, and writing only
        splices it in."""
        before = dump({k: getattr(self, k) for k in _BEFORE_TEXT})[1:-1] + ', "text": '
        after = ", " + dump({"removed": self.removed, "flags": self.flags})[1:-1]
        return before.encode("utf-8"), dump(self.text).encode("utf-8"), after.encode("utf-8")

    def json_line(self, parts: tuple[bytes, bytes, bytes] | None = None) -> bytes:
        """`dump(self.to_json())` and a newline, in UTF-8, built around `parts` (json_parts())."""
        before, text, after = parts or self.json_parts()
        tail = {"meta": self.meta, "record_id": self.record_id, "error": self.error}
        if self.line is not None:
            tail["line"] = self.line
        head = dump({"id": self.id, "source": self.source, "status": self.status})[:-1] + ", "
        return b"".join((head.encode("utf-8"), before, text, after, b", ", dump(tail)[1:].encode("utf-8"), b"\n"))
