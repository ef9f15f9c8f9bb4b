"""The output folder: which folders a run may write into, and how a finished run replaces
the previous one in one step.

A run writes its four files (and report.html's page files) into a fresh hidden folder
beside OUT, then swaps the two folders in one atomic rename (Linux renameat2 RENAME_EXCHANGE), so that at every instant
OUT holds one whole run, the old or the new. Where the exchange is not available, two
renames follow each other and OUT is missing (never half written) in between.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import secrets
import shutil
import stat
from pathlib import Path
from typing import Callable

from cleaner.store.spool import LOCK_FILE, META, PARTIAL_DIR, read_meta

DOCUMENTS, RECORDS, REPORT, MANIFEST = "documents.jsonl", "records.jsonl", "report.html", "manifest.json"
OUTPUTS = (DOCUMENTS, RECORDS, REPORT, MANIFEST)
REPORT_PAGES = "report-pages"  # a folder: report.html's records, a page file each (inspect/report.py)
NEW, OLD = ".cleaner-new-", ".cleaner-old-"  # siblings of OUT: `.{OUT name}{tag}{hex}`
# Temporary files the earlier in-place scheme left when killed (`.documents.jsonl.<pid>.<hex>.tmp`).
_STALE_TMP = re.compile(r"\.(?:%s)\.\d+\.[0-9a-f]+\.tmp" % "|".join(map(re.escape, OUTPUTS)))
_MAX_MANIFEST = 64 << 20  # a manifest is a few KB; a larger file is not one
# What cleaner puts inside its two folders in OUT (inspect/report.py's PAGE_NAME; a spool
# segment's files, store/spool.py): anything else there is the user's, and a run that
# replaced OUT would delete it with the folder.
_PAGE = re.compile(r"\d{5,}\.js")
_SEGMENT = re.compile(r"\d+\.(?:spool|arrays)")


# An empty placeholder that keeps a folder in a version-control checkout (this repository's
# clean/ has one): not the user's data, so a run may write into its folder, and it is
# carried into every new run's folder so the checkout stays as it was.
PLACEHOLDERS = (".gitkeep", ".keep")


def _placeholder(folder: Path, name: str) -> bool:
    path = folder / name
    return name in PLACEHOLDERS and path.is_file() and not path.is_symlink() and path.stat().st_size == 0


def _ours(name: str) -> bool:
    return name in OUTPUTS or name in (REPORT_PAGES, LOCK_FILE, PARTIAL_DIR) or bool(_STALE_TMP.fullmatch(name))


def is_cleaner_manifest(path: Path) -> bool:
    """A manifest cleaner wrote: a JSON object with its counts, config and package versions."""
    try:
        if not path.is_file() or path.stat().st_size > _MAX_MANIFEST:
            return False
        m = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(m, dict) and isinstance(m.get("counts"), dict) and isinstance(m.get("config"), dict)
            and isinstance(m.get("packages"), dict) and "cleaner" in m["packages"])


def is_cleaner_checkpoint(folder: Path) -> bool:
    """An interrupted run's checkpoint: a meta.json object holding the run's fingerprint,
    and nothing in the folder but what a run puts there (a name alone proves nothing)."""
    try:
        m = read_meta(folder)
        entries = list(folder.iterdir())
    except (OSError, ValueError):
        return False
    return (isinstance(m.get("fingerprint"), str)
            and all(p.is_file() and not p.is_symlink() and _checkpoint_file(p.name) for p in entries))


def _foreign_entry(out: Path) -> str | None:
    """The first entry of OUT's report-pages/ or .cleaner-partial/ that cleaner did not
    write there (a page file; a checkpoint's meta.json and segments)."""
    for folder, ours in ((REPORT_PAGES, _PAGE.fullmatch), (PARTIAL_DIR, _checkpoint_file)):
        path = out / folder
        if not path.exists() and not path.is_symlink():
            continue
        if path.is_symlink() or not path.is_dir():
            return folder
        try:
            entries = sorted(os.listdir(path))
        except OSError:
            return folder  # cannot see what it holds: not proven ours
        for entry in entries:
            if not ours(entry) or (path / entry).is_symlink() or not (path / entry).is_file():
                return f"{folder}/{entry}"
    return None


def _checkpoint_file(name: str) -> bool:
    return name == META or bool(_SEGMENT.fullmatch(name))


def _mixes_with_input(out: Path, input_path: Path) -> str | None:
    if input_path.exists() and not input_path.is_dir():
        # A file inside OUT would be overwritten by (or swapped away with) the outputs.
        if out.resolve() in input_path.resolve().parents:
            return "holds the input file; choose a folder for the output alone"
        return None
    if not input_path.is_dir():
        return None
    inp, real = input_path.resolve(), out.resolve()
    if real == inp:
        return "is the input folder; choose a folder for the output alone"
    if inp in real.parents and real.is_dir():
        others = sorted(p for p in real.rglob("*") if p.is_file() and p.name not in OUTPUTS
                        and p.relative_to(real).parts[0] != REPORT_PAGES
                        and not any(part.startswith(".") for part in p.relative_to(real).parts))
        if others:
            return (f"lies inside the input and holds other files ({others[0].name}, ...), "
                    "which would not be read; choose another folder")
    return None


def refuse_reason(out: Path, input_path: Path) -> str | None:
    """Why a run must not write into `out`, or None. A run writes only into a folder that
    does not exist, is empty, or holds a cleaner run: nothing but cleaner's own files,
    with a manifest cleaner wrote or an interrupted run's checkpoint. Anything else is the
    user's, and replacing OUT would delete it. Nor into the input, or a folder inside it
    holding other files."""
    if out.exists() and not out.is_dir():
        return "exists and is not a folder"
    if (problem := _mixes_with_input(out, input_path)):
        return problem
    if not out.exists():
        return "is a broken symlink" if out.is_symlink() else _unswappable(out)
    try:
        names = sorted(os.listdir(out))
    except OSError as exc:
        return f"cannot be listed: {exc.strerror or exc}"
    others = [n for n in names if not _ours(n) and not _placeholder(out, n)]
    # A file of OUT's own, else one inside its report-pages/ or .cleaner-partial/.
    foreign = f"{others[0]}{', ...' if len(others) > 1 else ''}" if others else _foreign_entry(out)
    if foreign:
        return f"holds files cleaner did not write ({foreign}); write into an empty folder or a previous run's"
    outputs = [n for n in names if n in OUTPUTS]
    if (out / PARTIAL_DIR).exists() and not is_cleaner_checkpoint(out / PARTIAL_DIR) \
            and not is_cleaner_manifest(out / MANIFEST):
        return (f"holds {PARTIAL_DIR}/ but not a checkpoint cleaner wrote; "
                "write into an empty folder or a previous run's")
    if outputs and not is_cleaner_manifest(out / MANIFEST) and not is_cleaner_checkpoint(out / PARTIAL_DIR):
        return (f"holds {outputs[0]} but no manifest.json cleaner wrote, so it is not a cleaner run; "
                "write into an empty folder or a previous run's")
    return _unswappable(out)


def _unswappable(out: Path) -> str | None:
    """Why OUT cannot be replaced whole (replace_run makes the new run's folder beside OUT and
    swaps it in): a mount point (a container's volume: "Device or resource busy"), or in a
    folder this user cannot write. Found after all the work, with "--resume continues once
    it is fixed", which it never was (review-30)."""
    real = Path(os.path.realpath(out))
    if real.is_dir() and os.path.ismount(real):
        return ("is a mount point: a run makes its new folder beside OUT and swaps it in, which a mount point "
                f"cannot be; give a folder inside it (--out {out}/clean)")
    if real.parent.is_dir() and not os.access(real.parent, os.W_OK):
        why = "Read-only file system" if os.statvfs(real.parent).f_flag & os.ST_RDONLY else "Permission denied"
        return (f"is in {real.parent}, which cannot be written ({why}): a run makes its new folder beside OUT "
                "and swaps it in; give --out a folder inside one you can write")
    return None


def _siblings(out: Path, tag: str) -> list[Path]:
    real = Path(os.path.realpath(out))
    return sorted(real.parent.glob(f".{_glob_escape(real.name)}{tag}*"))


def _glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def remove_stale(out: Path) -> None:
    """What killed runs left: their unswapped new folders and unremoved old ones beside OUT,
    and temporary files inside it. Called while holding OUT's lock, so none is in use."""
    for path in _siblings(out, NEW) + _siblings(out, OLD):
        shutil.rmtree(path, ignore_errors=True)
    for name in os.listdir(out):
        if _STALE_TMP.fullmatch(name):
            (out / name).unlink(missing_ok=True)


def fsync_path(path: Path | str) -> None:
    """Flush a file, or a folder's entries, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_RENAME_EXCHANGE, _AT_FDCWD = 2, -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step; False where the system cannot (not Linux, an old
    kernel or C library, a file system without it)."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def replace_run(out: Path, write: Callable[[Path], None]) -> None:
    """`write(folder)` the new run into a fresh folder beside OUT, then put it in OUT's
    place in one step and remove the previous run (with its checkpoint)."""
    real = Path(os.path.realpath(out))  # OUT may be a symlink: swap the folder it names
    new = real.parent / f".{real.name}{NEW}{secrets.token_hex(6)}"
    new.mkdir()
    try:
        os.chmod(new, stat.S_IMODE(os.stat(real).st_mode))
        write(new)
        for name in PLACEHOLDERS:
            if _placeholder(real, name):
                (new / name).touch()
        # The lock moves with the run: a hard link to the locked file, so both names lock
        # one file, and a run starting now finds OUT held whichever folder it sees.
        try:
            os.link(real / LOCK_FILE, new / LOCK_FILE)
        except OSError:  # no lock file, or no hard links on this file system: a short window
            pass
        fsync_path(new)
        if _exchange(new, real):
            old = new
        else:
            old = real.parent / f".{real.name}{OLD}{secrets.token_hex(6)}"
            os.rename(real, old)
            try:
                os.rename(new, real)
            except BaseException:
                os.rename(old, real)
                raise
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    fsync_path(real.parent)
    shutil.rmtree(old, ignore_errors=True)
