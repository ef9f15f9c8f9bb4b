"""Processed documents on disk, so a run's memory holds signatures, not texts; and, in the
output folder, a checkpoint an interrupted run resumes from.

The file is a sequence of frames: an 8-byte little-endian length, a tag byte (D or E),
then pickle. A document frame (D) holds a processed document (pickled where it was
processed); in a checkpoint, an entry frame (E) follows it with (input key, document
offset, slim copy). A run killed in the middle of a write leaves at most one incomplete
frame at the end, which reopening cuts off; a document whose entry is missing is simply
processed again. Resuming unpickles the checkpoint: it is as trusted as the output folder
it lies in.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .document import Document

_LENGTH = struct.Struct("<Q")
PARTIAL_DIR = ".cleaner-partial"  # inside --out; hidden, so never read as input
LOCK_FILE = ".cleaner-lock"  # held by the run writing into --out


def _lock(path: Path) -> int:
    """An exclusive lock on the output folder for this process's lifetime (released by the
    OS even after SIGKILL); a second run into the same folder stops instead of deleting
    the first one's checkpoint."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise OutputBusy(f"another cleaner run is writing into {path.parent}") from None
    return fd


class ResumeError(Exception):
    """The checkpoint in the output folder cannot serve this run."""


class OutputBusy(ResumeError):
    """Another run holds the output folder."""


class Spool:
    def __init__(self, folder: str | None = None):
        self._dir = tempfile.TemporaryDirectory(prefix="cleaner-spool-", dir=folder)
        self._open(Path(self._dir.name) / "documents.spool")

    def _open(self, path: Path) -> None:
        self.path = path
        self._fh = open(path, "a+b")
        # Shingle arrays, raw: only the copy tier reads them, a few at a time, so they
        # wait here instead of in memory (~2.7 KB a document). Rebuilt by every run.
        self._arrays = os.open(path.with_suffix(".arrays"), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        self._arrays_end = 0

    def put_arrays(self, arrays: list[np.ndarray | bytes]) -> list[tuple[int, int]]:
        """Store uint32 arrays (or their raw bytes) in one write; returns the references
        `get_array` takes."""
        chunks = [a if isinstance(a, bytes) else np.ascontiguousarray(a, dtype=np.uint32).tobytes()
                  for a in arrays]
        refs, offset = [], self._arrays_end
        for chunk in chunks:
            refs.append((offset, len(chunk) // 4))
            offset += len(chunk)
        os.pwrite(self._arrays, b"".join(chunks), self._arrays_end)
        self._arrays_end = offset
        return refs

    def get_array(self, ref: tuple[int, int]) -> np.ndarray:
        offset, count = ref
        return np.frombuffer(os.pread(self._arrays, count * 4, offset), dtype=np.uint32)

    def _close_files(self) -> None:
        if self._fh.closed:
            return
        try:
            self._fh.close()  # flushes; may fail on a full disk, a torn tail is repaired on resume
        except OSError:
            pass
        finally:
            os.close(self._arrays)

    def _frame(self, payload: bytes, tag: bytes = b"D") -> int:
        self._fh.seek(0, os.SEEK_END)
        offset = self._fh.tell()
        self._fh.write(_LENGTH.pack(len(payload) + 1) + tag + payload)
        return offset

    def append_bytes(self, blob: bytes, entry: tuple | None = None) -> int:
        """Append a pickled document (pickled where it was processed); returns its offset."""
        return self._frame(blob)

    def get(self, offset: int) -> Document:
        # pread, not seek + read: a forked process shares the file offset, so a seek in
        # one would move the other's reads; a pread has no position to share.
        self._fh.flush()
        fd = self._fh.fileno()
        (size,) = _LENGTH.unpack(os.pread(fd, _LENGTH.size, offset))
        return pickle.loads(os.pread(fd, size, offset + _LENGTH.size)[1:])

    def close(self, keep: bool = False) -> None:
        self._close_files()
        self._dir.cleanup()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Checkpoint(Spool):
    """A spool in OUT/.cleaner-partial/ that survives the run being killed.

    `done` maps the key of every input finished by an earlier, interrupted run (same
    configuration and cleaner version) to (document offset, slim copy)."""

    def __init__(self, out_dir: Path, fingerprint: str, resume: bool):
        self.folder = Path(out_dir) / PARTIAL_DIR
        meta_path = self.folder / "meta.json"
        self.discarded = False
        self.done: dict[str, tuple[int, Any]] = {}
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self._lock_path = Path(out_dir) / LOCK_FILE
        self._lock = _lock(self._lock_path)
        if resume and meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ResumeError(f"unreadable checkpoint {meta_path}: {exc}") from exc
            if meta.get("fingerprint") != fingerprint:
                raise ResumeError(
                    f"the interrupted run in {out_dir} used another configuration, cleaner or "
                    "package version; run without --resume to start over")
        else:
            if self.folder.exists():
                self.discarded = True
                shutil.rmtree(self.folder)
            self.folder.mkdir()
            tmp = meta_path.with_suffix(".tmp")  # written once, whole: a kill never leaves half of it
            tmp.write_text(json.dumps({"fingerprint": fingerprint}) + "\n", encoding="utf-8")
            os.replace(tmp, meta_path)
        self._open(self.folder / "documents.spool")
        self._load()

    def _load(self) -> None:
        """Read back complete frames; cut an incomplete tail off."""
        fh, end, good = self._fh, os.fstat(self._fh.fileno()).st_size, 0
        fh.seek(0)
        pending: int | None = None  # offset of a document frame waiting for its entry
        while good + _LENGTH.size <= end:
            (size,) = _LENGTH.unpack(fh.read(_LENGTH.size))
            if size < 1 or good + _LENGTH.size + size > end:
                break
            payload = fh.read(size)
            if payload[:1] == b"D":
                pending = good
            elif payload[:1] == b"E" and pending is not None:
                try:
                    key, offset, slim = pickle.loads(payload[1:])
                except Exception:  # noqa: BLE001 - a damaged frame: what follows is not trusted
                    break
                self.done[key] = (offset, slim)
                pending = None
            else:
                break
            good += _LENGTH.size + size
        if pending is not None:  # a document without its entry: processed again
            good = pending
        fh.truncate(good)

    def append_bytes(self, blob: bytes, entry: tuple | None = None) -> int:
        offset = self._frame(blob)
        if entry is not None:
            key, slim = entry
            self._frame(pickle.dumps((key, offset, slim), protocol=pickle.HIGHEST_PROTOCOL), b"E")
            self._fh.flush()  # in the OS's hands: a SIGKILL no longer loses it
        return offset

    def close(self, keep: bool = False) -> None:
        """Remove the checkpoint (the run's outputs are written), or keep it to resume."""
        self._close_files()
        if not keep:
            shutil.rmtree(self.folder, ignore_errors=True)
        self._lock_path.unlink(missing_ok=True)
        os.close(self._lock)
