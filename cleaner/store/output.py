"""Write a run's four files (and report.html's page files, report-pages/): into a fresh
folder beside the output folder, which then replaces it in one step (outdir.py). A
reader (or a rerun after a crash) sees the previous complete run or the new one, never
half of one or a mix of both.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import pickle
import secrets
import select
import signal
import struct
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from cleaner.core.config import Config
from cleaner.core.provenance import package_versions
from cleaner.store.outdir import DOCUMENTS, MANIFEST, OUTPUTS, RECORDS, fsync_path, replace_run  # noqa: F401 - OUTPUTS re-exported
from cleaner.exec.flow import RunResult
from cleaner.exec.local import _HELD, Mask, _die_with_parent, _hold, _restore
from cleaner.exec.memory import fewer_full_collections
from cleaner.inspect.report import report_files
from cleaner.input.read import escaped_name


def _temp_name(path: Path) -> str:
    """Where `path` is written before its rename: hidden, beside it, this process's own."""
    return str(path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")


# The buffer a file is written through: a run's rows come a line at a time (~4 KB each on the
# references' documents), and through the default (the file system's block, 4 KB) nearly
# every line was a write of its own: 3,000 lines of documents.jsonl (11.6 MB) took ~16 CPU ms
# to write, ~4.5 with a MiB (serial-30). One file is open at a time (and one in the report's child).
WRITE_BUFFER = 1 << 20


def _write_temp(path: Path, chunks: Iterable[str | bytes], tmp: str | None = None) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: it makes files 0600, and outputs are for sharing (mode 0666 less umask).
    tmp = tmp or _temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb", buffering=WRITE_BUFFER) as fh:
            for chunk in chunks:
                fh.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


File = tuple[Path, Iterable["str | bytes"]]
Staged = list[tuple[str, Path, "Future[None] | None"]]


def _stage(files: Iterable[File], staged: Staged, syncer: ThreadPoolExecutor) -> None:
    """Each file to its temporary name (added to `staged`), fsynced in `syncer`'s thread
    while the next one is written (fsync releases the GIL)."""
    for path, chunks in files:
        tmp = _write_temp(path, chunks)
        staged.append((tmp, path, syncer.submit(fsync_path, tmp)))


def atomic_writes(files: Iterable[File], aside: Callable[[], Iterable[File]] | None = None,
                  then: Iterable[File] = ()) -> None:
    """Write each (path, chunks) (str as UTF-8, or bytes) to a temporary file, then rename
    them all into place, in order, once every one is on disk. If any fails, none is
    renamed and the temporary files are removed.

    `aside()` gives files that go after `files` and before `then`, written meanwhile by a
    forked process where one can be (`_Aside`; else here, in order): the same bytes and
    names, on a second core."""
    staged: Staged = []
    side = _Aside.start(aside) if aside is not None else None
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="cleaner-sync") as syncer:
            _stage(files, staged, syncer)
            if aside is not None:
                done = side.result() if side is not None else None
                side = None
                if done is None:  # no process aside, or it failed: written here
                    _stage(aside(), staged, syncer)
                else:
                    staged.extend((tmp, path, None) for tmp, path in done)
            _stage(then, staged, syncer)
            for _, _, synced in staged:
                if synced is not None:
                    synced.result()
        for tmp, path, _ in staged:
            os.replace(tmp, path)
    except BaseException:
        if side is not None:
            side.stop()
        _remove([tmp for tmp, _, _ in staged])
        raise


_SIZE = struct.Struct("<I")


class _Aside:
    """A forked child writing files to their temporary names (fsynced) while the parent
    writes others: report.html's pages beside documents.jsonl and records.jsonl (#18: the
    run's serial end on two cores). The child tells the parent each temporary name as it
    makes it, then that it is done; the parent renames.

    Forked only where it is safe and worth it (`start`): a fork with another thread
    running could copy a lock that thread held. The child does not collect garbage (a full
    collection would touch every object's header, so copy-on-write would duplicate the
    parent's memory); it only reads what it is given. Anything the child cannot do (it
    fails, it dies) is done again here, so errors are the parent's, as without a child."""

    def __init__(self, pid: int, reader: int) -> None:
        self.pid, self.reader = pid, reader
        self.data = bytearray()  # what it wrote to the pipe so far
        self.read: list[Any] | None = None  # its messages, once read to the end
        self.status: int | None = None  # its wait status, once reaped

    @classmethod
    def start(cls, files: Callable[[], Iterable[File]]) -> _Aside | None:
        if not hasattr(os, "fork") or threading.active_count() != 1:
            return None
        read, write = os.pipe()
        parent = os.getpid()
        # Ctrl-C and SIGTERM held over the fork: in the child, one before its own handlers
        # were set raised in the parent's code, which ran on (its messages, its cleanup of the
        # parent's files); in the parent, one before the child was known left it writing.
        mask = _hold(_HELD)
        try:
            pid = os.fork()
        except OSError:  # no fork now (EAGAIN, ENOMEM): written here instead
            os.close(read)
            os.close(write)
            _restore(mask)
            return None
        if pid == 0:  # pragma: no cover - the child: measured by its parent's outputs
            _aside_child(files, read, write, parent, mask)
        os.close(write)
        side = cls(pid, read)
        try:
            _restore(mask)  # a held signal's handler runs here
        except BaseException:
            side.stop()
            raise
        return side

    def _messages(self) -> list[Any]:
        """What the child said, read to its end (it exits or is killed). Interrupted (Ctrl-C),
        what was read is kept and the pipe left open: `stop` reads on after the kill, so
        every temporary name the child made is known."""
        if self.read is None:
            while chunk := self._next_chunk():
                self.data += chunk
            os.close(self.reader)
            self.read, at = [], 0
            while at + _SIZE.size <= len(self.data):
                (size,) = _SIZE.unpack_from(self.data, at)
                at += _SIZE.size
                if at + size > len(self.data):  # cut short by a kill
                    break
                self.read.append(pickle.loads(self.data[at:at + size]))
                at += size
        return self.read

    def _next_chunk(self) -> bytes:
        """The pipe's next bytes (b"" at its end). A child stopped (SIGSTOP) for `_STOPPED_FOR`
        seconds, or hung (neither writing nor using CPU for `_QUIET_FOR`), is killed: its pipe
        ends, and its files are written here. Never a wait for ever (review-30)."""
        seen, stopped_for, quiet_for = _cpu(self.pid), 0.0, 0.0
        while not select.select([self.reader], [], [], _POLL)[0]:
            now = _cpu(self.pid)
            stopped_for = stopped_for + _POLL if now is not None and now[0] == "T" else 0.0
            quiet_for = 0.0 if now is not None and seen is not None and now[1] != seen[1] else quiet_for + _POLL
            seen = now
            if stopped_for >= _STOPPED_FOR or quiet_for >= _QUIET_FOR:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
        return os.read(self.reader, 1 << 16)

    def _reap(self) -> int:
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]
        return self.status

    def result(self) -> list[tuple[str, Path]] | None:
        """The child's files, written and synced; None (its files removed) if it failed."""
        messages = self._messages()
        status = self._reap()
        made = [(tmp, path) for kind, tmp, path in messages if kind == "tmp"]
        if status == 0 and messages and messages[-1][0] == "done":
            return made
        _remove([tmp for tmp, _ in made])
        return None

    def stop(self) -> None:
        """End the child (the parent failed or was interrupted) and remove what it made."""
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            messages = self._messages()
        finally:
            self._reap()  # a second Ctrl-C while reading: the killed child is reaped all the same
        _remove([tmp for kind, tmp, _ in messages if kind == "tmp"])


# How long the parent waits on a report child that makes no progress before it kills it and
# writes the child's files itself (the same bytes): stopped (SIGSTOP: a Ctrl-Z stops the parent
# too, so this counts only while the parent runs), or sending nothing and using no CPU (a fsync
# of a slow disk uses none: a minute, so that only a hang meets it).
_POLL = 0.5
_STOPPED_FOR = 5.0
_QUIET_FOR = 60.0


def _cpu(pid: int) -> tuple[str, int] | None:
    """A process's state letter and CPU clock ticks so far (Linux's /proc), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return fields[0].decode(), int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def _remove(paths: list[str]) -> None:
    for path in paths:
        if os.path.exists(path):
            os.unlink(path)


def _aside_child(files: Callable[[], Iterable[File]], read: int, write: int,
                 parent: int, mask: Mask | None) -> None:  # pragma: no cover
    """The forked child's whole life: never returns, never runs the parent's exit."""
    code = 1
    try:
        gc.disable()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it ends this child
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _restore(mask)  # held since before the fork
        os.close(read)
        # SIGKILL when the parent dies, so no child writes on into a folder no run will use
        # (or holds OUT's lock, inherited).
        _die_with_parent(parent, signal.SIGKILL)

        def tell(*message: Any) -> None:
            data = pickle.dumps(message)
            view = memoryview(_SIZE.pack(len(data)) + data)
            while view:
                view = view[os.write(write, view):]

        with ThreadPoolExecutor(1, thread_name_prefix="cleaner-sync") as syncer:
            synced = []
            for path, chunks in files():
                tmp = _temp_name(path)
                tell("tmp", tmp, path)  # before it exists: a kill leaves nothing the parent cannot name
                made = _write_temp(path, chunks, tmp)
                assert made == tmp
                synced.append(syncer.submit(fsync_path, tmp))
            for one in synced:
                one.result()
        tell("done", "", "")
        code = 0
    except BaseException:  # noqa: BLE001 - the parent writes these files again and meets the error itself
        pass
    finally:
        os._exit(code)


def atomic_write(path: Path, chunks: Iterable[str | bytes]) -> None:
    """One file, written whole or not at all: a reader sees the old file or the new one."""
    atomic_writes([(path, chunks)])


def file_hashes(cfg: Config) -> dict[str, str]:
    """Content hash of the config file and each rule file, keyed by its full path."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in [cfg.path, *cfg.rule_paths()]}


def build_manifest(result: RunResult, cfg: Config, input_path: str, workers: int) -> dict[str, Any]:
    langs: dict[str, int] = {}
    for doc in result.documents:
        if doc.ok:
            langs[doc.lang or "und"] = langs.get(doc.lang or "und", 0) + 1
    # Paths as given (the command line's, the file system's): a byte that is not UTF-8 as an
    # escape (read.escaped_name), as in every source; as a lone surrogate it failed the write.
    return {
        "input": escaped_name(input_path),
        "counts": result.counts(),
        "languages": dict(sorted(langs.items())),
        "rule_hits": result.rule_hits(),
        "config_file": escaped_name(str(cfg.path)),
        "config_hash": cfg.fingerprint(),
        "config_files": {escaped_name(path): digest for path, digest in file_hashes(cfg).items()},
        "config": cfg.values,
        "packages": package_versions(),
        "workers": workers,
        "seconds_per_stage": result.timings,
    }


def write_rows(result: RunResult, stream: BinaryIO) -> bool:
    """documents.jsonl rows to a binary stream (`--out -`), in input order, flushed; False
    when the reader went away (a closed pipe). Any other write error (a full disk) raises."""
    try:
        for line in result.document_lines(input_order=True):
            write_all(stream, line)
        stream.flush()
    except BrokenPipeError:
        return False
    return True


def write_all(stream: BinaryIO, data: bytes) -> None:
    """All of `data`: under PYTHONUNBUFFERED (set in many container images) stdout's
    binary layer is a raw file, whose write may take only part of it (a pipe whose reader
    closed mid-row: the rest was lost without an error)."""
    view = memoryview(data)
    while view:
        n = stream.write(view)
        if n is None:  # a non-blocking stdout, full for the moment
            select.select([], [stream], [])
            continue
        view = view[n:]


# A run of more than one worker writes the report in a forked child (_Aside) up to this many
# documents. The child shares the main process's pages, and copies those it touches (every
# document's object and its report pieces): measured 24 MiB at 3,000 documents, 200 MiB at
# 50,000 (its own private pages at its end; its report index included, which the main
# process would have built itself), still under what the run held while its workers ran.
# Above it, the main process writes everything, as with one worker (or a state's batch, 0).
ASIDE_UP_TO = 50_000


def write_outputs(result: RunResult, out_dir: Path, cfg: Config, input_path: str, workers: int) -> None:
    manifest = build_manifest(result, cfg, input_path, workers)

    def report(folder: Path) -> Iterator[File]:
        # A generator, so each report page is built only when the one before is written.
        for name, chunks in report_files(result, manifest):
            yield folder / name, chunks

    def write(folder: Path) -> None:
        rows = [(folder / DOCUMENTS, result.document_lines()), (folder / RECORDS, result.record_lines())]
        last = [(folder / MANIFEST, [json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"])]
        with fewer_full_collections():  # what the run holds, walked for nothing (exec/memory.py)
            if workers <= 1 or len(result.documents) > ASIDE_UP_TO:
                atomic_writes(chain(rows, report(folder), last))
            else:  # the report's pages on a second core (_Aside) while the rows are written here
                atomic_writes(rows, aside=lambda: report(folder), then=last)

    out_dir.mkdir(parents=True, exist_ok=True)
    replace_run(out_dir, write)
