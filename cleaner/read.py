"""Read inputs into Documents: a folder (recursive), a single file, or dicts from the API.

Every input becomes a Document, including the ones that cannot be used: those are
rejected here with a reason, so nothing disappears between raw/ and clean/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from .dates import normalise_date
from .document import Document

HTML_EXTS = {".html", ".htm"}
RECORD_EXTS = {".json", ".jsonl"}
TEXT_FIELDS = ("text", "html")


def decode_bytes(data: bytes) -> tuple[str | None, str]:
    """Text and the encoding used, or (None, reason) when the bytes are not text."""
    if not data.strip():
        return None, "empty file"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Imported lazily: most inputs are UTF-8 and never need it.
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None, "binary or undecodable content (no text encoding fits)"
    return str(best), best.encoding


def _clean_controls(text: str) -> str:
    # NUL and other C0 controls break JSON consumers and regexes; tabs and newlines stay.
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def doc_id_for(rel: Path) -> str:
    return rel.with_suffix("").as_posix()


def from_record(obj: Any, default_id: str, source: str, line: int | None = None) -> Document:
    """One JSON object (file record or API dict) to a Document; bad shapes are rejected."""
    doc = Document(id=default_id, source=source, line=line)
    if not isinstance(obj, dict):
        return doc.reject(f"expected a JSON object, got {type(obj).__name__}")
    if obj.get("id") is not None:
        doc.id = str(obj["id"])
    body = {k: obj.get(k) for k in TEXT_FIELDS if isinstance(obj.get(k), str) and obj.get(k).strip()}
    if not body:
        return doc.reject("no non-empty 'text' or 'html' field")
    doc.title = obj.get("title") if isinstance(obj.get("title"), str) else None
    doc.url = obj.get("url") if isinstance(obj.get("url"), str) else None
    doc.site = obj.get("site") if isinstance(obj.get("site"), str) else None
    if obj.get("date") is not None:
        doc.date = normalise_date(str(obj["date"]))
        doc.meta["date"] = "input field 'date'" if doc.date else f"unparsed input date {obj['date']!r}"
    if "html" in body and "text" not in body:
        doc.html = _clean_controls(body["html"])
    else:
        doc.text = _clean_controls(body["text"])
    return doc


def _read_records(path: Path, rel: Path, text: str) -> Iterator[Document]:
    source = rel.as_posix()
    if path.suffix.lower() == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Document(id=doc_id_for(rel), source=source).reject(f"invalid JSON: {exc}")
            return
        items = obj if isinstance(obj, list) else [obj]
        for i, item in enumerate(items, 1):
            default = doc_id_for(rel) if len(items) == 1 else f"{doc_id_for(rel)}:{i}"
            yield from_record(item, default, source, line=None if len(items) == 1 else i)
        return
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        default = f"{doc_id_for(rel)}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Document(id=default, source=source, line=n).reject(f"line {n}: invalid JSON: {exc}")
            continue
        yield from_record(obj, default, source, line=n)


def read_file(path: Path, rel: Path, max_bytes: int) -> Iterator[Document]:
    source = rel.as_posix()
    base = Document(id=doc_id_for(rel), source=source)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            yield base.reject(f"file too large: {size} bytes (read.max_file_bytes = {max_bytes})")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield base.reject(f"cannot read file: {exc.strerror or exc}")
        return
    text, encoding = decode_bytes(data)
    if text is None:
        yield base.reject(encoding)
        return
    text = _clean_controls(text)
    if encoding != "utf-8":
        base.meta["encoding"] = encoding
    ext = path.suffix.lower()
    if ext in RECORD_EXTS:
        yield from _read_records(path, rel, text)
    elif ext in HTML_EXTS:
        base.html = text
        yield base
    else:
        base.text = text
        yield base


def list_inputs(root: Path, exclude: Path | None = None) -> Iterator[tuple[Path, Path]]:
    """(path, path relative to root) for every non-hidden file, in a stable order.

    `exclude` (the output folder, when it lies inside the input) is never read: a rerun
    must not take the previous run's output for input.
    """
    if root.is_file():
        yield root, Path(root.name)
        return
    skip = exclude.resolve() if exclude is not None else None
    for dirpath, dirnames, filenames in os.walk(root):
        # Hidden files and folders (.git, .DS_Store) are not inputs; sorting makes the
        # walk independent of the file system's order.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and (Path(dirpath) / d).resolve() != skip)
        for name in sorted(filenames):
            if not name.startswith("."):
                path = Path(dirpath) / name
                yield path, path.relative_to(root)


def read_inputs(root: str | Path, extensions: Iterable[str], max_bytes: int,
                exclude: Path | None = None) -> Iterator[Document]:
    root = Path(root)
    exts = {e.lower() for e in extensions}
    for path, rel in list_inputs(root, exclude):
        if path.suffix.lower() not in exts:
            yield Document(id=doc_id_for(rel), source=rel.as_posix()).reject(
                f"unsupported file type {path.suffix or '(none)'!r} (read.extensions: {', '.join(sorted(exts))})"
            )
            continue
        yield from read_file(path, rel, max_bytes)


def read_dicts(items: Iterable[Any]) -> Iterator[Document]:
    """Documents from API dicts: {"id", "text" or "html", "title", "date", "url", "site"}."""
    for n, item in enumerate(items, 1):
        doc = from_record(item, f"item-{n}", "<api>")
        # A position only identifies items that bring no id of their own.
        doc.line = n if doc.id == f"item-{n}" else None
        yield doc
