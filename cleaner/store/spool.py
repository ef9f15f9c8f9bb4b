"""Processed documents on disk, so a run's memory holds signatures, not texts; and, in the
output folder, a checkpoint an interrupted run resumes from.

A spool is a folder of segments, one per process that processed documents (the workers
write their own, so whole documents never pass through the main process). A segment's
`.spool` file is a sequence of frames: an 8-byte little-endian length, a tag byte (D, J
or E), then pickle. A document frame (D) holds a processed document; a J frame follows
with its documents.jsonl row parts, encoded; in a checkpoint, an entry frame (E) comes
next, in the same write, with (input key, document reference, slim copy, the CRC-32 of the
slim copy's arrays) and a CRC-32 of the three frames (ENTRY_CHECK): a document damaged on
disk is processed again. The slim copy's arrays (shingles, MinHashes, packed line words) are
not pickled into the entry: they go to the segment's `.arrays` file before it, once, and the
entry holds their references, as the run's memory does (since CHECKPOINT_FORMAT 2; format 1
pickled them a second time, as bytes, ~4 KB an entry). The documents are pickled by position
(core/features.by_position: format 3). A run killed
in the middle of a write leaves at most one incomplete frame at the end of a segment,
which reopening cuts off; a document whose entry is missing is simply processed again.
Resuming unpickles the checkpoint: it is as trusted as the output folder it lies in."""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import secrets
import struct
import tempfile
import threading
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from cleaner.core.config import open_regular
from cleaner.core.document import Document
from cleaner.core.features import ARRAY_FIELDS, raw_array
from cleaner.inspect.report_rows import StoredPieces, inert, text_apart, with_text

FRAME_LENGTH = struct.Struct("<Q")
# An entry frame (E) ends with the CRC-32 of its document's D and J payloads and its own
# pickle: resuming trusts a document only if all three read back as written (bit rot, a bad
# copy: a damaged row was spliced into documents.jsonl as it was, or failed to unpickle).
ENTRY_CHECK = struct.Struct("<I")
READ_AHEAD = 16384  # bytes read with a frame's length (_payload): most frames whole
PARTIAL_DIR = ".cleaner-partial"  # inside --out; hidden, so never read as input
LOCK_FILE = ".cleaner-lock"  # held by the run writing into --out
META = "meta.json"  # in PARTIAL_DIR: {"fingerprint": ..., "format": ...} of the run that wrote the checkpoint
# What an entry frame holds (the module's docstring): 2 = (key, ref, slim copy whose arrays are
# references into the segment's .arrays file, their CRC-32). Format 1 (no "format" in meta.json,
# before session 22) held the arrays themselves, and every run deleted the .arrays files.
# 3 (session 25): Document, Features and Stored pickled as their fields' values in order
# (core/features.by_position), not by name: a format 2 pickle would read back into the
# wrong fields, so it is refused in one line as another version's.
CHECKPOINT_FORMAT = 3
_MAX_META = 1 << 20  # a few dozen bytes when cleaner writes it


def read_meta(folder: Path) -> dict[str, Any]:
    """A checkpoint's meta.json, as a JSON object. OSError when it cannot be read (a FIFO or
    device is refused, never read: open_regular), ValueError when it is not an object."""
    with open_regular(folder / META) as fh:
        data = fh.read(_MAX_META + 1)
    if len(data) > _MAX_META:
        raise ValueError("too large")
    meta = json.loads(data.decode("utf-8"))
    if not isinstance(meta, dict):
        raise ValueError("not what cleaner writes")
    return meta


def lock_file(path: Path) -> int:
    """An exclusive lock on the output folder for this process's lifetime (released by the
    OS even after SIGKILL); a second run into the same folder stops instead of deleting
    the first one's checkpoint."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputBusy(f"another cleaner run is writing into {path.parent}") from None
        # The run that held it may have removed the file between our open and our lock:
        # a lock on that unlinked file guards nothing (a third run would lock a new file
        # at the same path). Only a lock on the file the path names counts; else retry.
        try:
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


class ResumeError(Exception):
    """The checkpoint in the output folder cannot serve this run."""


class OutputBusy(ResumeError):
    """Another run holds the output folder."""


# A reference is one int: segment id (48 bits), offset (48 bits), then a document's frame
# size or an array's length (32 bits). A slim copy holds five (its document and four arrays):
# as 3-tuples they took ~150 bytes each in the main process, as ints 48.
_OFFSET_BITS, _LOW_BITS = 48, 32
_LOW_MASK, _OFFSET_MASK = (1 << _LOW_BITS) - 1, (1 << _OFFSET_BITS) - 1


def make_ref(segment: int, offset: int, low: int) -> int:
    """A reference to what lies at `offset` in `segment`: `low` is its frame's size (a
    document) or its length in uint32 (an array)."""
    if offset > _OFFSET_MASK or low > _LOW_MASK:
        raise ValueError(f"spool reference out of range: offset {offset}, size {low}")
    return (((segment << _OFFSET_BITS) | offset) << _LOW_BITS) | low


def split_ref(ref: int) -> tuple[int, int, int]:
    """(segment, offset, size or length) of a reference (make_ref)."""
    return ref >> (_OFFSET_BITS + _LOW_BITS), (ref >> _LOW_BITS) & _OFFSET_MASK, ref & _LOW_MASK


def _frame(payload: bytes, tag: bytes) -> bytes:
    return FRAME_LENGTH.pack(len(payload) + 1) + tag + payload


def entry_check(blob: bytes, parts: bytes, pickled: bytes) -> int:
    """The CRC-32 an entry frame ends with: its document's D and J payloads, then its own."""
    return zlib.crc32(pickled, zlib.crc32(parts, zlib.crc32(blob)))


def pread_all(fd: int, size: int, offset: int) -> bytes:
    """os.pread of `size` bytes, whole: one pread returns at most 0x7ffff000 bytes on Linux
    (a frame or array over 2 GiB came back cut: a pickle that failed to load, an array short
    of its values), and may return less anywhere. Shorter only at the file's end."""
    got = os.pread(fd, size, offset)
    if len(got) >= size or not got:
        return got
    chunks = [got]
    done = len(got)
    while done < size:
        more = os.pread(fd, size - done, offset + done)
        if not more:  # the file ends here
            break
        chunks.append(more)
        done += len(more)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _Segment:
    """One process's own pair of files in a spool: documents (frames) and arrays (raw
    uint32). Each worker appends to its own, so documents never travel back through the
    main process; a reference names the segment and the offset."""

    def __init__(self, folder: Path):
        self.id = secrets.randbits(48)  # random, not the pid: a recycled pid must not reopen a file
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
        self.docs = os.open(folder / f"{self.id}.spool", flags, 0o600)
        try:
            self.arrays = os.open(folder / f"{self.id}.arrays", flags, 0o600)
        except OSError:
            os.close(self.docs)
            raise
        self.docs_end = self.arrays_end = 0
        # An offset taken, the write made and the end moved as one: a Dask worker's threads
        # share the process's segment, and two puts took one offset (tests/test_review20.py).
        self.lock = threading.Lock()

    @staticmethod
    def _append(fd: int, data: bytes, end: int) -> None:
        try:
            _write_all(fd, data)
        except OSError:
            # A part written (disk full): cut it off, so the offsets handed out before
            # stay right and a resumed run reads whole frames.
            os.ftruncate(fd, end)
            raise

    def put(self, blob: bytes, parts: bytes, entry: tuple[str, Document, int] | None) -> int:
        with self.lock:
            # The J frame (row parts) follows the D frame: the reference names the D frame's size.
            ref = make_ref(self.id, self.docs_end, FRAME_LENGTH.size + 1 + len(blob))
            data = _frame(blob, b"D") + _frame(parts, b"J")
            if entry is not None:
                key, slim, arrays_check = entry
                pickled = pickle.dumps((key, ref, slim, arrays_check), protocol=pickle.HIGHEST_PROTOCOL)
                check = entry_check(blob, parts, pickled)
                data += _frame(pickled + ENTRY_CHECK.pack(check), b"E")
            # One unbuffered write: once it returns, a SIGKILL of this process loses nothing.
            self._append(self.docs, data, self.docs_end)
            self.docs_end += len(data)
        return ref

    def put_arrays(self, chunks: list[bytes]) -> list[int]:
        data = b"".join(chunks)
        with self.lock:
            refs, offset = [], self.arrays_end
            for chunk in chunks:
                refs.append(make_ref(self.id, offset, len(chunk) // 4))
                offset += len(chunk)
            self._append(self.arrays, data, self.arrays_end)
            self.arrays_end = offset
        return refs

    def close(self) -> None:
        os.close(self.docs)
        os.close(self.arrays)


_PREFIX = "cleaner-spool-"
_OWNING = threading.Lock()


def remove_orphans(folder: str | None = None) -> None:
    """Remove spools left by killed runs: ours (same user), named with a pid that no
    longer runs. A spool of a live run, or of another user, is never touched."""
    root = Path(folder or tempfile.gettempdir())
    try:
        entries = [p for p in root.iterdir() if p.name.startswith(_PREFIX)]
    except OSError:
        return
    for path in entries:
        pid = path.name[len(_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or path.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # alive but not ours to signal (PermissionError), or gone already
            continue


class Spool:
    """Processed documents in a folder of segments, one per writing process.

    Picklable (as its folder), so worker processes, forked or spawned, write to it. A
    document store (the memory one is store/memory.py): the main process keeps only slim
    copies (exec/flow.pack)."""

    slims = True

    def __init__(self, folder: str | None = None):
        remove_orphans(folder)
        # The owner's pid in the name: a run killed by SIGKILL cannot clean up, so the next
        # run removes the spools whose owner is gone.
        self._dir: tempfile.TemporaryDirectory[str] | None = tempfile.TemporaryDirectory(
            prefix=f"{_PREFIX}{os.getpid()}-", dir=folder)
        self._setup(Path(self._dir.name))

    def _setup(self, folder: Path) -> None:
        self.folder = folder
        self._segment: _Segment | None = None
        self._segment_pid = 0
        self._readers: dict[tuple[int, str], int] = {}

    def __getstate__(self) -> dict[str, Path]:
        # Absolute: a Dask worker runs in a folder of its own (`dask worker` started
        # elsewhere), where a run's `--out clean/` named no folder and every chunk failed
        # ("No such file or directory: 'clean/.cleaner-partial/...spool'").
        return {"folder": Path(os.path.abspath(self.folder))}

    def __setstate__(self, state: dict[str, Path]) -> None:
        self._dir = None  # a worker's copy: the folder belongs to the process that made it
        self._setup(state["folder"])

    def _own(self) -> _Segment:
        segment = self._segment
        if segment is None or self._segment_pid != os.getpid():  # a forked copy makes its own
            with _OWNING:  # one segment for the process's threads (a Dask worker's), not one each
                if self._segment is None or self._segment_pid != os.getpid():
                    self._segment, self._segment_pid = _Segment(self.folder), os.getpid()
                segment = self._segment
        return segment

    def put(self, doc: Document, entry: tuple[str, Document] | None = None) -> int:
        """Append a processed document (without its hand-offs: Document.without_hand_offs) with its encoded row parts
        (Document.json_parts) and, in a checkpoint, its entry (input key, slim copy);
        returns the reference `get` and `get_parts` take. An entry's slim copy leaves with
        its arrays stored (`put_arrays`) and its array fields set to their references."""
        blob = pickle.dumps(doc.without_hand_offs(), protocol=pickle.HIGHEST_PROTOCOL)
        # The row parts, then report.html's pieces (inspect/report_rows.py): encoded here, in
        # the worker that stores the document, not in the main process when writing.
        # The J frame: the row parts' pickle (its length first), then the pieces' pickle, the
        # text left out (the row parts hold its JSON); documents.jsonl's writing reads the
        # row parts alone (_part).
        rows = pickle.dumps(doc.json_parts(), protocol=pickle.HIGHEST_PROTOCOL)
        parts = b"".join((FRAME_LENGTH.pack(len(rows)), rows,
                          pickle.dumps(text_apart(doc), protocol=pickle.HIGHEST_PROTOCOL)))
        segment = self._own()
        if entry is None:
            return segment.put(blob, parts, None)
        key, slim = entry
        return segment.put(blob, parts, (key, slim, self._arrays_out(segment, slim)))

    @staticmethod
    def _arrays_out(segment: _Segment, slim: Document) -> int:
        """Store a slim copy's arrays in `segment` (before its entry, which points at them:
        a kill between the two leaves bytes no entry names) and set its array fields to
        their references; returns the arrays' CRC-32, which the entry keeps (_arrays_check)."""
        features, check = slim.features, 0
        if features is None:
            return check
        chunks = [raw_array(getattr(features, name)) for name in ARRAY_FIELDS]
        for chunk in chunks:
            check = zlib.crc32(chunk, check)
        for name, ref in zip(ARRAY_FIELDS, segment.put_arrays(chunks)):
            setattr(features, name, ref)
        return check

    def _arrays_check(self, slim: Document) -> int | None:
        """The CRC-32 of a slim copy's arrays as they read back (None: a file cannot be read)."""
        check = 0
        if slim.features is not None:
            for name in ARRAY_FIELDS:
                ref = getattr(slim.features, name)
                try:
                    data = self._array_bytes(ref)
                except OSError:
                    return None
                if len(data) != split_ref(ref)[2] * 4:
                    return None
                check = zlib.crc32(data, check)
        return check

    def put_arrays(self, arrays: list[np.ndarray | bytes]) -> list[int]:
        """Store uint32 arrays (or their raw bytes) in one write; returns the references
        `get_array` takes. Shingle arrays wait here instead of in memory (~2.7 KB a
        document): only the copy tier reads them, a few at a time; and packed line words
        (~2.1 KB), which the story tier reads back for the canonicals it may pair."""
        return self._own().put_arrays([raw_array(a) for a in arrays])

    def _reader(self, segment: int, suffix: str) -> int:
        fd = self._readers.get((segment, suffix))
        if fd is None:
            fd = self._readers[(segment, suffix)] = os.open(self.folder / f"{segment}.{suffix}", os.O_RDONLY)
        return fd

    def _payload(self, segment: int, offset: int) -> bytes:
        # pread: no file position, so nothing shared with forked processes to move. The
        # length and most frames in one read (a row's parts are ~3-4 KB); a longer frame's
        # rest in a second.
        fd = self._reader(segment, "spool")
        head = os.pread(fd, READ_AHEAD, offset)
        (size,) = FRAME_LENGTH.unpack_from(head)
        end = FRAME_LENGTH.size + size
        if len(head) >= end:
            return head[FRAME_LENGTH.size + 1:end]
        return head[FRAME_LENGTH.size + 1:] + pread_all(fd, end - len(head), offset + len(head))

    def get(self, ref: int) -> Document:
        """The document as stored; without features or bookkeeping (line_no kept for template removal)."""
        segment, offset, _ = split_ref(ref)
        doc: Document = pickle.loads(self._payload(segment, offset))
        return doc

    def get_parts(self, ref: int) -> tuple[bytes, bytes, bytes]:
        """The document's encoded row parts (Document.json_parts), without unpickling it."""
        segment, offset, size = split_ref(ref)
        parts: tuple[bytes, bytes, bytes] = pickle.loads(self._part(segment, offset + size))
        return parts

    def get_report_pieces(self, ref: int) -> StoredPieces:
        """The document's report.html pieces (inspect/report_rows.stored_pieces), without
        unpickling it: the text's JSON from the row parts, made inert, put back."""
        segment, offset, size = split_ref(ref)
        payload = memoryview(self._payload(segment, offset + size))
        (rows,) = FRAME_LENGTH.unpack_from(payload)
        parts: tuple[bytes, bytes, bytes] = pickle.loads(payload[FRAME_LENGTH.size:FRAME_LENGTH.size + rows])
        apart: StoredPieces = pickle.loads(payload[FRAME_LENGTH.size + rows:])
        return with_text(apart, inert(parts[1].decode("utf-8")))

    def _part(self, segment: int, offset: int) -> bytes:
        """The row parts' pickle at the start of the J frame at `offset` (put), without the
        report pieces after it: read with the frame's head, the rest (if any) alone."""
        fd = self._reader(segment, "spool")
        head = os.pread(fd, READ_AHEAD, offset)
        start = FRAME_LENGTH.size + 1  # the frame's length, its tag
        (rows,) = FRAME_LENGTH.unpack_from(head, start)
        start += FRAME_LENGTH.size
        if start + rows <= len(head):
            return head[start:start + rows]
        return head[start:] + pread_all(fd, start + rows - len(head), offset + len(head))

    def get_array(self, ref: int) -> np.ndarray:
        return np.frombuffer(self._array_bytes(ref), dtype=np.uint32)

    def _array_bytes(self, ref: int) -> bytes:
        """The raw bytes `ref` names in its segment's .arrays file (fewer if the file is cut)."""
        segment, offset, count = split_ref(ref)
        return pread_all(self._reader(segment, "arrays"), count * 4, offset)

    def _close_files(self) -> None:
        for fd in self._readers.values():
            os.close(fd)
        self._readers.clear()
        if self._segment is not None and self._segment_pid == os.getpid():
            self._segment.close()
        self._segment = None

    def close(self, keep: bool = False) -> None:
        self._close_files()
        if self._dir is not None:
            self._dir.cleanup()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
