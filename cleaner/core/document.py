"""The one record type every stage takes and returns.

Stages only add to a document (tags, metadata, signatures); the decisions that remove
something are recorded next to what they removed, so the output can always be audited.
"""

from __future__ import annotations

import hashlib
import json
import sys
from json.encoder import c_make_encoder, encode_basestring, encode_basestring_ascii  # type: ignore[attr-defined]
from dataclasses import dataclass, field
from typing import Any, Callable

from cleaner.core.features import Features, by_position, copy_with

KEPT, DUPLICATE, REJECTED, PENDING = "kept", "duplicate", "rejected", "pending"
# The documents.jsonl row, in order: head, fields before the text, "text", fields after
# it, tail (and "line" for a JSONL record). The middle is what no decision after the
# per-document stages changes (json_parts); head and tail are decided at the end.
_HEAD = ("id", "source", "status")
_BEFORE_TEXT = ("lang", "lang_prob", "lang_reason", "title", "date", "url", "site", "author")
_AFTER_TEXT = ("removed", "flags")
_TAIL = ("meta", "record_id", "error")


def json_encoder(**options: Any) -> Callable[[Any], str]:
    """`json.JSONEncoder(**options).encode`, the same text, with its C encoder made once.
    json.dumps with any argument but the defaults builds a JSONEncoder at every call, and
    JSONEncoder.encode builds a C encoder at every call of a list or dict (~0.5-1.5 µs of a
    1-3 µs call): a 3,000-document run encodes ~58,000 values (its rows' parts in the
    workers, heads, tails, records and report.html rows in the main process). The one made
    here has the settings encode would give it, but no check for circular references,
    which no row holds (one would raise RecursionError instead of ValueError)."""
    encoder = json.JSONEncoder(**options)
    strings = encode_basestring_ascii if encoder.ensure_ascii else encode_basestring
    if c_make_encoder is None or encoder.indent is not None:  # no C accelerator: as it was
        return encoder.encode
    chunks = c_make_encoder(None, encoder.default, strings, None, encoder.key_separator,
                            encoder.item_separator, encoder.sort_keys, encoder.skipkeys, encoder.allow_nan)

    def encode(value: Any) -> str:
        if isinstance(value, str):  # as JSONEncoder.encode does
            return strings(value)
        return "".join(chunks(value, 0))

    return encode


# What json.dumps(value, ensure_ascii=False) gives (~14,000 calls to write a 3,000-document
# run, and as many in the workers).
_ENCODE = json_encoder(ensure_ascii=False)


def dump(value: Any) -> str:
    """JSON as every output row is written (UTF-8 kept, default separators): what
    `json.dumps(value, ensure_ascii=False)` gives."""
    return _ENCODE(value)


@dataclass(slots=True)
class Stored:
    """What an executor that keeps processed documents elsewhere (a spool) needs of one
    without reading it back: where it is, and what the corpus stages and counts take."""

    ref: Any = None  # the store's reference to the whole document (spool: where; memory: itself)
    input_key: str | None = None  # names the input in a checkpoint (store/checkpoint.input_key)
    hits: list[str] = field(default_factory=list)  # ids of the rules that removed its lines
    # Its lines as templates count them (Templates.line_keys); Any as `ref`: once moved to
    # the store (exec/dask_corpus.store_keys), the store's reference to them instead.
    template_keys: list[int] | Any = None

    def __reduce__(self) -> tuple[type["Stored"], tuple[Any, ...]]:
        return by_position(self)  # not by field names: core/features.by_position


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
    # What stages hand to later ones; never written out.
    line_no: list[int] | None = None  # each kept line's number in the text as read (None: all kept)
    link_density: dict[str, float] | None = field(default=None, repr=False)  # extraction -> boilerplate
    raw_line: str | None = field(default=None, repr=False)  # a JSONL line read, parsed in the workers
    raw_path: str | None = field(default=None, repr=False)  # a URL input's file, read in the workers
    features: Features | None = field(default=None, repr=False)  # for clustering (stages/sign.py)
    stored: "Stored | None" = field(default=None, repr=False)  # the executor's, never a stage's

    def __reduce__(self) -> tuple[type["Document"], tuple[Any, ...]]:
        return by_position(self)  # not by field names: core/features.by_position

    def without_hand_offs(self) -> "Document":
        """A copy as a store keeps it: what stages hand on for clustering and the executor's
        bookkeeping left out (line_no stays: template removal needs it)."""
        return copy_with(self, link_density=None, raw_line=None, raw_path=None, features=None, stored=None)

    @property
    def ok(self) -> bool:
        return self.status != REJECTED

    def reject(self, reason: str) -> "Document":
        self.status, self.error = REJECTED, reason
        self.html = None
        return self

    def sort_key(self) -> tuple[str, str, int]:
        return (self.id, self.source, self.line or 0)

    def _fields(self, names: tuple[str, ...]) -> dict[str, Any]:
        return {name: getattr(self, name) for name in names}

    def to_json(self) -> dict[str, Any]:
        """The documents.jsonl row (the output contract in README.md)."""
        row = self._fields((*_HEAD, *_BEFORE_TEXT, "text", *_AFTER_TEXT, *_TAIL))
        if self.line is not None:
            row["line"] = self.line
        return row

    def json_parts(self) -> tuple[bytes, bytes, bytes]:
        """The middle of the documents.jsonl row, encoded as written (UTF-8): (fields
        before the text, the text, fields after it). None of it changes after the
        per-document stages, so the workers encode it, in parallel, and writing only
        splices it in."""
        before = dump(self._fields(_BEFORE_TEXT))[1:-1] + ', "text": '
        after = ", " + dump(self._fields(_AFTER_TEXT))[1:-1]
        return before.encode("utf-8"), dump(self.text).encode("utf-8"), after.encode("utf-8")

    def json_line(self, parts: tuple[bytes, bytes, bytes] | None = None) -> bytes:
        """`dump(self.to_json())` and a newline, in UTF-8, built around `parts` (json_parts())."""
        before, text, after = parts or self.json_parts()
        tail = self._fields(_TAIL)
        if self.line is not None:
            tail["line"] = self.line
        head = dump(self._fields(_HEAD))[:-1] + ", "
        return b"".join((head.encode("utf-8"), before, text, after, b", ", dump(tail)[1:].encode("utf-8"), b"\n"))


# An input id longer than this (a long URL fits) keeps its start and a hash of the whole.
MAX_ID_CHARS = 4096


def short_id(doc_id: str) -> str:
    """`doc_id` as rows write it: at most MAX_ID_CHARS characters (its start, "\u2026" and
    16 hex digits of a hash of the whole), so the same long id always gives the same one."""
    if len(doc_id) <= MAX_ID_CHARS:
        return doc_id
    digest = hashlib.sha1(doc_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{doc_id[:MAX_ID_CHARS - 17]}\u2026{digest}"


def _interned(value: str | None) -> str | None:
    return None if value is None else sys.intern(value)


def share_fields(doc: Document) -> None:
    """One string object for each value many documents repeat (the source, status, day,
    language and its reason, site, the metadata's fields and provenance notes: ~400 bytes a
    document), by sys.intern (freed when unused): each copy unpickled (from a worker, or a
    state's row) has objects of its own."""
    doc.source, doc.status = sys.intern(doc.source), sys.intern(doc.status)
    doc.date, doc.lang, doc.site = _interned(doc.date), _interned(doc.lang), _interned(doc.site)
    doc.lang_reason = _interned(doc.lang_reason)
    if doc.meta:
        doc.meta = {sys.intern(k): sys.intern(v) if isinstance(v, str) else v for k, v in doc.meta.items()}
