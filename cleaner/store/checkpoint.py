"""The resumable checkpoint: a spool in OUT/.cleaner-partial/ whose entries name the
inputs they came from (`input_key`), so that `--resume` skips what a killed run finished.
The frame format is the spool's (store/spool.py)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

from cleaner.core.document import Document, Stored
from cleaner.core.stage import Stage
from cleaner.store.spool import (CHECKPOINT_FORMAT, ENTRY_CHECK, FRAME_LENGTH, LOCK_FILE, META, PARTIAL_DIR, ResumeError,
                                 Spool, entry_check, lock_file, read_meta)


def input_key(doc: Document) -> str:
    """What an input is, for resuming: where it comes from and everything read from it
    (for a JSONL line not parsed yet, the line itself)."""
    if doc.raw_line is not None:
        # Hashed in parts, not as the JSON of [source, line, raw line]: escaping a 3 KB line
        # again cost ~15 us of ~20 a document (whole-18n). The source's length first, so no
        # two (source, line, raw line) give the same bytes; "line" keeps these keys apart
        # from the JSON ones below, which start with "[".
        head = f"line\0{len(doc.source)}\0{doc.source}\0{doc.line}\0"
        digest = hashlib.sha1(head.encode("utf-8", "surrogatepass"))
        digest.update(doc.raw_line.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()
    if doc.raw_path is not None:  # a URL input's file, not read yet
        from cleaner.input.urls import url_key

        raw = url_key(doc)
    else:
        raw = json.dumps([doc.to_json(), doc.html], ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()


class InputKey(Stage):
    """Records what each input was before any stage changes it (`input_key`), so a
    checkpoint can name it; runs in the workers, off the main process."""

    name = "input_key"

    def process(self, doc: Document) -> Document:
        if doc.stored is None or doc.stored.input_key is None:
            doc.stored = Stored(input_key=input_key(doc))
        return doc


class Checkpoint(Spool):
    """A spool in OUT/.cleaner-partial/ that survives the run being killed.

    `done` maps the key of every input finished by an earlier, interrupted run (same
    configuration and cleaner version) to (document reference, slim copy)."""

    def __init__(self, out_dir: Path, fingerprint: str, resume: bool):
        folder = Path(out_dir) / PARTIAL_DIR
        meta_path = folder / META
        self.discarded = False
        self.done: dict[str, tuple[Any, Any]] = {}
        folder.parent.mkdir(parents=True, exist_ok=True)
        self._lock_path = Path(out_dir) / LOCK_FILE
        self._lock = lock_file(self._lock_path)
        self._dir = None
        try:
            self._open(folder, fingerprint, resume)
        except BaseException:
            # Refused (ResumeError) or failed: the output folder is not held any longer (a
            # caller that goes on, the API's, could not run into this folder again).
            if getattr(self, "_readers", None) is not None:
                self._close_files()
            self._lock_path.unlink(missing_ok=True)
            os.close(self._lock)
            raise

    def _open(self, folder: Path, fingerprint: str, resume: bool) -> None:
        meta_path = folder / META
        out_dir = folder.parent
        if resume and meta_path.exists():
            try:
                meta = read_meta(folder)
            except (OSError, ValueError) as exc:
                raise ResumeError(f"unreadable checkpoint {meta_path}: {exc}") from exc
            if meta.get("format", 1) != CHECKPOINT_FORMAT:
                # Its entries are another cleaner's (another fingerprint too, as its code differs):
                # said as what it is, not read as damaged frames.
                raise ResumeError(
                    f"the interrupted run in {out_dir} was written by another cleaner version "
                    f"(checkpoint format {meta.get('format', 1)}, this one reads {CHECKPOINT_FORMAT}); "
                    "run without --resume to start over")
            if meta.get("fingerprint") != fingerprint:
                raise ResumeError(
                    f"the interrupted run in {out_dir} used another configuration, cleaner or "
                    "package version; run without --resume to start over")
        else:
            if folder.exists():
                self.discarded = True
                shutil.rmtree(folder)
            folder.mkdir()
            tmp = meta_path.with_suffix(".tmp")  # written once, whole: a kill never leaves half of it
            tmp.write_text(json.dumps({"fingerprint": fingerprint, "format": CHECKPOINT_FORMAT}) + "\n",
                           encoding="utf-8")
            os.replace(tmp, meta_path)
        self._setup(folder)
        for path in sorted(folder.glob("*.spool")):
            if path.stem.isdigit():
                self._load(path, int(path.stem))
        # The .arrays files stay: entries point into them (CHECKPOINT_FORMAT 2), and this run
        # writes its own segments beside them.

    def _load(self, path: Path, segment: int) -> None:
        """Read back one segment's complete frames; cut an incomplete tail off."""
        with open(path, "r+b") as fh:
            end, good = os.fstat(fh.fileno()).st_size, 0
            pending: int | None = None  # offset of a document frame waiting for its entry
            blob = parts = b""  # its D and J payloads, for the entry's check
            while good + FRAME_LENGTH.size <= end:
                (size,) = FRAME_LENGTH.unpack(fh.read(FRAME_LENGTH.size))
                if size < 1 or good + FRAME_LENGTH.size + size > end:
                    break
                payload = fh.read(size)
                if payload[:1] == b"D":
                    pending, blob, parts = good, payload[1:], b""
                elif payload[:1] == b"J" and pending is not None:
                    parts = payload[1:]
                elif payload[:1] == b"E" and pending is not None:
                    pickled, check = payload[1:-ENTRY_CHECK.size], payload[-ENTRY_CHECK.size:]
                    if len(check) < ENTRY_CHECK.size or \
                            ENTRY_CHECK.unpack(check)[0] != entry_check(blob, parts, pickled):
                        break  # damaged on disk: this document and what follows are processed again
                    try:
                        key, ref, slim, arrays_check = pickle.loads(pickled)
                    except Exception:  # noqa: BLE001 - a damaged frame: what follows is not trusted
                        break
                    if self._arrays_check(slim) != arrays_check:
                        break  # its arrays damaged or gone: processed again, as above
                    self.done[key] = (ref, slim)
                    pending = None
                else:
                    break
                good += FRAME_LENGTH.size + size
            if pending is not None:  # a document without its entry: processed again
                good = pending
            fh.truncate(good)

    def close(self, keep: bool = False) -> None:
        """Remove the checkpoint (the run's outputs are written), or keep it to resume."""
        self._close_files()
        if not keep:
            shutil.rmtree(self.folder, ignore_errors=True)
        self._lock_path.unlink(missing_ok=True)
        os.close(self._lock)
