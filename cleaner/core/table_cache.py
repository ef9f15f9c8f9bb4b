"""Tables a process derives at setup from files that rarely change (langdetect's profiles,
the word-character flags of every code point), kept as one file each in the user's cache
folder (dedup/zipf_cache.cache_dir: $CLEANER_CACHE_DIR, XDG) so that the next run reads
them back instead of deriving them again: setup runs in the main process before the
workers start, serial time in every run.

A file is a JSON header line, then the table's bytes. The header holds the `stamp` the
caller gives (what the table was derived from: file sizes and times, versions, and the
deriving module itself: `code_stamp`): a file
whose stamp differs, that cannot be read whole, or whose bytes are not those written
(the header's digest of them) is not used, and the caller derives the table as before.
Files are written into a temporary file renamed into place, so a reader never sees half
of one; a folder that cannot be written, or no cache folder at
all (no home folder: Path.home() raises RuntimeError), leaves no file. The cache
changes how long setup takes, never a value.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from cleaner.core.config import open_regular

FORMAT = 1  # the layout below; a new layout gets new file names


def cache_path(name: str) -> Path:
    from cleaner.dedup.zipf_cache import cache_dir

    return cache_dir() / f"{name}-v{FORMAT}.table"


def _digest(parts: list[bytes] | list[memoryview]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part)
    return h.hexdigest()


def read_table(name: str, stamp: str, own: bool = False) -> tuple[dict[str, Any], memoryview] | None:
    """The header and the bytes after it of `name`'s file, if it was written from `stamp`
    and is whole; None otherwise (no file, another stamp, truncated, damaged, unreadable).
    `own`: only a file this user owns that no one else may write (a table that is code, a
    pickle: the digest is no secret, so in a cache folder others can write to, such as one
    $CLEANER_CACHE_DIR names under /tmp, another user could otherwise plant one)."""
    try:
        # Never a FIFO (open() of one nobody writes to waited for ever: every run hung at its
        # first stage's setup) or a device: refused without blocking, then written over.
        with open_regular(cache_path(name)) as fh:
            if own and not _owned(os.fstat(fh.fileno())):  # the file read, not one stat()ed before
                return None
            data = fh.read()
    except (OSError, RuntimeError):  # RuntimeError: no home folder to find the cache in
        return None
    end = data.find(b"\n")
    if end < 0:
        return None
    try:
        header = json.loads(data[:end])
    except (ValueError, RecursionError):  # RecursionError: a damaged line of nested brackets
        return None
    body = memoryview(data)[end + 1:]
    if not isinstance(header, dict) or header.get("stamp") != stamp or header.get("size") != len(body) \
            or header.get("digest") != _digest([body]):
        return None
    return header, body


def _owned(st: os.stat_result) -> bool:
    getuid = getattr(os, "getuid", None)  # not on Windows: its folders are the user's own
    return getuid is None or (st.st_uid == getuid() and not st.st_mode & 0o022)


def write_table(name: str, stamp: str, header: dict[str, Any], parts: list[bytes]) -> None:
    """Write `name`'s file: `header` (with `stamp`) and `parts` end to end. Quietly nothing
    where the folder cannot be written."""
    try:
        path = cache_path(name)
    except RuntimeError:  # no home folder to find the cache in
        return
    body_size = sum(len(p) for p in parts)
    line = json.dumps({**header, "stamp": stamp, "size": body_size, "digest": _digest(parts)},
                      ensure_ascii=True).encode("ascii") + b"\n"
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(line)
            for part in parts:
                fh.write(part)
        os.replace(tmp, path)
        tmp = None
        _sweep(path)
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


STALE_SECONDS = 3600  # a temporary file this old is a killed writer's, not a writer's at work


def _sweep(path: Path) -> None:
    """Remove `path`'s temporary files that killed writers left (SIGKILL between mkstemp
    and the rename): each run writes a table only when it is missing or stale, so without
    this they would pile up for ever."""
    now = time.time()
    for left in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            if now - left.stat().st_mtime > STALE_SECONDS:
                left.unlink()
        except OSError:
            pass


def files_stamp(directory: str, entries: list[str]) -> str:
    """What a table derived from the files `entries` of `directory` (in this order) depends
    on: their names, order, sizes and modification times."""
    parts = [os.path.realpath(directory)]
    for name in entries:
        try:
            st = os.stat(os.path.join(directory, name))
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}:{st.st_mode}")
        except OSError:
            parts.append(f"{name}:?")
    return json.dumps(parts, ensure_ascii=True)


def code_stamp(module_file: str) -> str:
    """The module that derives a table (its size and modification time, as a release or a
    checkout leaves them): a table derived by other code is derived again, so a change to
    the deriving function can never be hidden by an older table."""
    try:
        st = os.stat(module_file)
    except OSError:
        return f"{module_file}:?"
    return f"{os.path.realpath(module_file)}:{st.st_size}:{st.st_mtime_ns}"
