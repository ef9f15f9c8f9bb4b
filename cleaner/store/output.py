"""Write a run's four files (and report.html's page files, report-pages/): into a fresh
folder beside the output folder, which then replaces it in one step (outdir.py). A
reader (or a rerun after a crash) sees the previous complete run or the new one, never
half of one or a mix of both.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import select
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

from cleaner.core.config import Config
from cleaner.core.provenance import package_versions
from cleaner.store.outdir import DOCUMENTS, MANIFEST, OUTPUTS, RECORDS, fsync_path, replace_run  # noqa: F401 - OUTPUTS re-exported
from cleaner.exec.flow import RunResult
from cleaner.exec.memory import fewer_full_collections
from cleaner.inspect.report import report_files
from cleaner.input.read import escaped_name


def _write_temp(path: Path, chunks: Iterable[str | bytes]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: it makes files 0600, and outputs are for sharing (mode 0666 less umask).
    tmp = str(path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def atomic_writes(files: Iterable[tuple[Path, Iterable[str | bytes]]]) -> None:
    """Write each (path, chunks) (str as UTF-8, or bytes) to a temporary file, then rename
    them all into place, in order, once every one is on disk. Each file is fsynced in a
    thread while the next one is written (fsync releases the GIL). If any fails, none
    is renamed and the temporary files are removed."""
    staged: list[tuple[str, Path, Future[None]]] = []
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="cleaner-sync") as syncer:
            for path, chunks in files:
                tmp = _write_temp(path, chunks)
                staged.append((tmp, path, syncer.submit(fsync_path, tmp)))
            for _, _, synced in staged:
                synced.result()
        for tmp, path, _ in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise


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


def write_outputs(result: RunResult, out_dir: Path, cfg: Config, input_path: str, workers: int) -> None:
    manifest = build_manifest(result, cfg, input_path, workers)

    def files(folder: Path) -> Iterator[tuple[Path, Iterable[str | bytes]]]:
        # A generator, so each report page is built only when the one before is written.
        yield folder / DOCUMENTS, result.document_lines()
        yield folder / RECORDS, result.record_lines()
        # Not in a forked process: the child touches every document's reference
        # count, so copy-on-write duplicates most of the main process's memory
        # (measured: +412 MiB at 50,000 documents).
        for name, chunks in report_files(result, manifest):
            yield folder / name, chunks
        yield folder / MANIFEST, [json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"]

    def write(folder: Path) -> None:
        with fewer_full_collections():  # what the run holds, walked for nothing (exec/memory.py)
            atomic_writes(files(folder))

    out_dir.mkdir(parents=True, exist_ok=True)
    replace_run(out_dir, write)
