"""Inputs named by an fsspec URL (`file://`, `s3://`, `gs://`, `memory://`...): the
folder (or file) the URL names, read as a local folder is, with its files read by the
process that works on them.

The reading process only lists the files. A text or HTML file (gzipped or not) becomes a
Document that names its URL (`raw_path`), and the executor's worker (a local process or a
Dask worker, which must reach the same storage) reads it, in `read_deferred`. JSONL files
are streamed line by line here (each line parsed where it is processed, as for local
files), and JSON files (one object or a list) are read here. fsspec ships with Dask; for
s3:// or gs:// the matching package (s3fs, gcsfs) must be installed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import PurePosixPath
from typing import Any, Iterable, Iterator

from cleaner.core.document import Document
from cleaner.input.read import (_GZIP_ERRORS, GZIP, HTML_EXTS, TRAILING, decode_bytes, doc_id_for, gunzip,
                                line_breaks, logical, rel_name, scrub, unreadable, _jsonl_lines, _read_records,
                                _trailing)
from cleaner.input.walk import Exclude, excluded_paths


def is_url(path: object) -> bool:
    return "://" in str(path)


# An fsspec AbstractFileSystem: fsspec has no type information (and is optional).
FileSystem = Any


def _fs(url: str) -> tuple[FileSystem, str]:
    try:
        import fsspec
    except ImportError:
        raise OSError(f"reading {url} needs fsspec: pip install 'cleaner[dask]' (or fsspec)") from None
    located: tuple[FileSystem, str] = fsspec.core.url_to_fs(url)  # (filesystem, path in it)
    return located


def check_url(url: str) -> str | None:
    """Why `url` cannot be read as an input, or None."""
    if not url.split("://", 1)[1].strip():  # `file://$DIR`, DIR unset: fsspec read the current folder
        return f"{url} names no folder or file (an unset shell variable?): give one, as file:///data/feeds"
    try:
        fs, root = _fs(url)
        root = root.rstrip("/")
        if not fs.exists(root):
            return f"{url} does not exist{_local_hint(url, fs) or _glob_hint(root, fs)}"
        if not (fs.isdir(root) or fs.isfile(root)):  # /dev/zero: read as a file, it never ends
            return f"{url} is not a folder or a regular file (a pipe or a device?)"
    except (OSError, ValueError, ImportError) as exc:
        return f"cannot read {url}: {exc}"
    return None


def _glob_hint(root: str, fs: FileSystem) -> str:
    """A pattern (`file:///data/*.jsonl`) that matches files: read as a name, which none has."""
    if not any(c in root for c in "*?["):
        return ""
    try:
        matched = len(fs.glob(root))
    except (OSError, ValueError):
        return ""
    return (f" (a pattern is not expanded: it matches {matched} file(s) here; give the folder that holds "
            "them)") if matched else ""


def _local_hint(url: str, fs: FileSystem) -> str:
    """What a file:// URL that names nothing most likely meant: fsspec reads its path as
    written, so a browser's or file manager's `%20` is three characters, `file://tmp/x`
    (two slashes) is `tmp/x` in the current folder, and so is `file://localhost/x`'s host."""
    from urllib.parse import unquote

    if not url.startswith("file://"):
        return ""
    path = url[len("file://"):]
    decoded = unquote(path)
    if decoded != path and fs.exists(decoded):
        return f" (its %-escapes are read as written: file://{decoded} names what exists)"
    host, _, rest = decoded.partition("/")
    if host.lower() == "localhost" and rest and fs.exists("/" + rest):
        # RFC 8089's local host (file://localhost/data): fsspec reads "localhost/data" here.
        return f" (fsspec reads its host as a folder: file:///{rest}, without the host, names what exists)"
    if not path.startswith("/") and fs.exists("/" + decoded):
        return f" (file://{path} is relative to the current folder: file:///{decoded}, with three slashes, names what exists)"
    return ""


def list_url(url: str, exclude: Exclude = None) -> tuple[FileSystem, list[tuple[str, PurePosixPath]]]:
    """(the filesystem, each file under `url` as (its full path, its path relative to
    `url`)), sorted; hidden files and folders skipped, as in a local folder, and so is
    `exclude` under a file:// URL (the output folder, the state: input/walk.list_inputs')."""
    fs, root = _fs(url)
    root = root.rstrip("/")
    if fs.isfile(root):
        return fs, [(root, PurePosixPath(PurePosixPath(root).name))]
    if not fs.isdir(root):
        raise OSError(f"{url} does not exist")
    # By real path (fsspec lists a folder's files under the root as given, and does not
    # follow symlinked folders): a rerun into `--out` inside the input read the previous
    # run's documents.jsonl and records.jsonl as input (review-30).
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    skip = tuple(os.path.realpath(p) for p in excluded_paths(exclude)) if "file" in protocols else ()
    real_root = os.path.realpath(root) if skip else ""
    files = []
    for path in fs.find(root):
        rel = PurePosixPath(path[len(root):].lstrip("/"))
        if any(part.startswith(".") for part in rel.parts):
            continue
        if skip and _under(os.path.join(real_root, *rel.parts), skip):
            continue
        files.append((path, rel))
    return fs, sorted(files, key=lambda f: f[1].as_posix())


def _under(real: str, skip: tuple[str, ...]) -> bool:
    return any(real == s or real.startswith(s + os.sep) for s in skip)


def read_url(url: str, extensions: Iterable[str], max_bytes: int, exclude: Exclude = None) -> Iterator[Document]:
    fs, files = list_url(url, exclude)
    protocol = url.split("://", 1)[0]
    exts = {e.lower() for e in extensions}
    for path, rel in files:
        ext = logical(rel).suffix.lower()
        base = Document(id=doc_id_for(rel), source=rel_name(rel))
        if ext not in exts:
            yield base.reject(f"unsupported file type {rel.suffix or '(none)'!r} (read.extensions: "
                              f"{', '.join(sorted(exts))}, also gzipped as .gz)")
            continue
        full = f"{protocol}://{path}" if "://" not in path else path
        if "::" in url and "::" not in full:  # a chained URL (zip://::file:///a.zip): the chain kept
            full += "::" + url.split("::", 1)[1]
        try:
            info = fs.info(path)
        except OSError as exc:
            yield base.reject(f"cannot read file: {exc}")
            continue
        if info.get("type") != "file":  # a FIFO or device would block the worker or never end
            yield base.reject("not a regular file")
            continue
        size = info.get("size")
        if size is not None and size > max_bytes:
            yield base.reject(f"file too large: {size} bytes (read.max_file_bytes = {max_bytes})")
            continue
        if ext == ".jsonl":
            try:
                with fs.open(path, "rb") as raw:
                    # read.gunzip, not fsspec's gzip: data after the gzip data is a row saying
                    # so, as in a folder (fsspec's failed there: "cannot read file").
                    fh = gunzip(raw) if rel.suffix.lower() == GZIP else raw
                    with fh:
                        yield from _jsonl_lines(fh, rel, rel_name(rel), doc_id_for(rel), max_bytes, True)
            except OSError as exc:
                yield base.reject(unreadable(rel, exc))
            continue
        if ext == ".json":
            doc = _read_one(full, rel, max_bytes, base)
            if doc.ok:
                for record in _read_records(rel, rel, doc.text):
                    record.meta.update(doc.meta)  # the file's notes (its encoding), as read.read_file does
                    yield record
            else:
                yield doc
            continue
        base.raw_path = full
        yield base


def _read_one(url: str, rel: PurePosixPath, max_bytes: int, base: Document) -> Document:
    """One file's text, or `base` rejected with why not."""
    fs, path = _fs(url)
    try:
        with fs.open(path, "rb") as raw:
            # read.gunzip: data after the gzip data ignored and said, as in a folder (GzipFile
            # rejected the file whole); zlib.error (a damaged member) is the input's fault, not
            # "internal error, a bug".
            fh = gunzip(raw) if rel.suffix.lower() == GZIP else raw
            data = fh.read(max_bytes + 1)
            trailing = _trailing(fh)
    except _GZIP_ERRORS as exc:
        return base.reject(unreadable(rel, exc))
    if len(data) > max_bytes:
        return base.reject(f"file too large: over {max_bytes} bytes once decompressed (read.max_file_bytes)")
    text, encoding = decode_bytes(data)
    if text is None:
        return base.reject(encoding)
    if encoding != "utf-8":
        base.meta["encoding"] = encoding
    if trailing:  # after the encoding, as read.read_file notes them
        base.meta["gzip"] = TRAILING
    base.text = scrub(text)
    return base


def read_deferred(doc: Document, max_bytes: int) -> Document:
    """In the worker: the file a URL input names, read into the document."""
    url, doc.raw_path = doc.raw_path, None
    if url is None:
        return doc
    rel = PurePosixPath(doc.source)
    doc = _read_one(url, rel, max_bytes, doc)
    if doc.ok and logical(rel).suffix.lower() in HTML_EXTS:
        doc.html, doc.text = doc.text, ""
    elif doc.ok:  # a text file's, as read.read_file reads one
        doc.text = line_breaks(doc.text)
    return doc


def url_key(doc: Document) -> str:
    """What a URL input is, for resuming: its source, its URL, and the file's version as
    its filesystem names it (fsspec's ukey: a hash of its size, time or checksum)."""
    assert doc.raw_path is not None  # a URL input not read yet (store/checkpoint.input_key)
    try:
        fs, path = _fs(doc.raw_path)
        version: str | None = hashlib.sha1(str(fs.ukey(path)).encode()).hexdigest()
    except OSError:
        # Gone since it was listed, or unreadable: the read stage rejects it ("cannot read
        # file"); raised here, in a checkpointed run's workers, it ended the run as "cannot
        # write to OUT" (review-30).
        version = None
    return json.dumps([doc.source, doc.raw_path, version])
