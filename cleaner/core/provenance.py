"""What a run's results depend on besides its input and settings: the installed packages'
versions, cleaner's own files, and Python's Unicode tables. The manifest names them; a
checkpoint is resumed, and a state's kept terms used, only under the same ones.

Its own module (not the writer's) so that the state path (dedup/incremental.py) reads it
without importing what writing the outputs needs.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import unicodedata
from functools import lru_cache
from importlib.machinery import PathFinder
from pathlib import Path

from cleaner.core.config import Config

# The packages results depend on: in the manifest, and in the fingerprint a checkpoint is
# resumed under (wordfreq: term weights and a state's text dictionaries; htmldate: page dates;
# justext, courlan, dateparser and python-dateutil: what trafilatura and htmldate extract
# with, the main text's fallback, links and URLs, dates written in a page).
PACKAGES = ("cleaner", "datasketch", "trafilatura", "lxml", "lxml_html_clean", "langdetect",
            "click", "charset-normalizer", "numpy", "wordfreq", "htmldate", "justext", "courlan",
            "dateparser", "python-dateutil")

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # cleaner/, every subpackage included


def package_versions() -> dict[str, str]:
    return dict(_package_versions())


@lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str], ...]:
    """Read once a process: each metadata.version scans every installed distribution
    (~1 ms a package), and a run asks twice (its fingerprint, then its manifest). Read from
    the `.dist-info` folders themselves where that gives exactly what importlib.metadata
    would (`dist_info_versions`), else by importlib.metadata."""
    found = dist_info_versions(PACKAGES)
    if found is not None:
        return tuple((name, found[name]) for name in PACKAGES)
    from importlib import metadata

    versions = []
    for name in PACKAGES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "not installed"))
    return tuple(versions)


def _normalized(name: str) -> str:
    """importlib.metadata's Prepared.normalize: PEP 503, dashes as underscores."""
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def dist_info_versions(names: tuple[str, ...], path: list[str] | None = None) -> dict[str, str] | None:
    """`importlib.metadata.version(name)` of each of `names`, found as it finds them (the
    first folder of sys.path holding a `NAME-VERSION.dist-info` of that normalised name;
    its METADATA's first Version header) without importing importlib.metadata: it imports
    the email package (~15-25 ms of every run's serial start, #18) to parse the headers.
    None (ask importlib.metadata) wherever this might answer otherwise: another finder
    of distributions, a path entry that is not a folder (a zip), an egg, two candidates in
    one folder, a METADATA that is not plain headers, a name not found."""
    # importlib_metadata (a backport some packages import: dask's) replaces the path finder's
    # own search with its finder: then importlib.metadata is asked.
    if not hasattr(PathFinder, "find_distributions") or any(
            hasattr(finder, "find_distributions") and finder is not PathFinder for finder in sys.meta_path):
        return None
    wanted = {_normalized(name): name for name in names}
    found: dict[str, str] = {}
    for entry in sys.path if path is None else path:
        try:
            children = os.listdir(entry or ".")
        except FileNotFoundError:
            continue  # importlib.metadata finds nothing there either
        except OSError:  # a zip file, an unreadable folder: importlib.metadata's to read
            return None
        if os.path.basename(entry).lower().endswith(".egg"):
            return None
        here: dict[str, list[str]] = {}
        for child in children:
            low = child.lower()
            if low.endswith((".dist-info", ".egg-info")):
                key = _normalized(low.rpartition(".")[0].partition("-")[0])
                if key in wanted and key not in found:
                    here.setdefault(key, []).append(child)
        for key, candidates in here.items():
            if len(candidates) != 1 or not candidates[0].lower().endswith(".dist-info"):
                return None
            version = _metadata_version(os.path.join(entry or ".", candidates[0], "METADATA"))
            if version is None:
                return None
            found[key] = version
    if len(found) != len(wanted):
        return None
    return {name: found[key] for key, name in wanted.items()}


def _metadata_version(path: str) -> str | None:
    """The Version header of a METADATA file whose headers are plain `Name: value` lines
    (what email.message_from_string reads the same way); None otherwise."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, ValueError):
        return None
    version = None
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        if "\r" in line:
            return None  # the email package breaks lines there too
        if not line:
            break  # the headers end at the first empty line
        name, colon, value = line.partition(":")
        if not colon or line[0] in " \t" or not name.isascii() or not name.replace("-", "").isalnum():
            return None  # a folded or odd header: the email package's to read
        if name.lower() == "version" and version is None:
            version = value.lstrip(" \t")  # as email's compat32 policy: trailing blanks kept
    return version if version and version.isascii() and version.isprintable() else None


def source_hash(package_dir: Path = PACKAGE_DIR) -> str:
    """A hash of the package's own files (code and data, not bytecode): an edited or
    upgraded cleaner under the same version number is still another cleaner. Hidden files
    and backups (an editor's .x.py.swp, x.py~) are not the package: left out, an editor open
    on a file would refuse a resume and drop a state's kept terms."""
    digest = hashlib.sha256()
    for path in sorted(p for p in package_dir.rglob("*") if p.is_file() and _is_package_file(p.relative_to(package_dir))):
        digest.update(path.relative_to(package_dir).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _is_package_file(relative: Path) -> bool:
    return "__pycache__" not in relative.parts and not any(
        part.startswith(".") or part.endswith("~") for part in relative.parts)


def code_fingerprint(package_dir: Path = PACKAGE_DIR) -> str:
    """What results depend on besides the settings: the package versions, cleaner's code, and
    Python's Unicode tables (what a word is, NFKC, a letter: another Python may give other
    words from the same text). Part of what a checkpoint is resumed under and of what a
    state's kept terms were made under (dedup/incremental.terms_settings)."""
    return f"{sorted(package_versions().items())} {source_hash(package_dir)} unicode {unicodedata.unidata_version}"


def code_stamp(package_dir: Path = PACKAGE_DIR) -> dict[str, str]:
    """What code_fingerprint is made of, by part, and the Python version: a Dask worker's is
    compared with the client's (exec/dask_engine.same_cleaner) and a difference is named.
    Python by its major.minor (pickles, `re`, `str` may differ between them; not its patch
    level, as a checkpoint does not compare it: Unicode's tables are compared on their own)."""
    versions = package_versions()
    stamp = {"cleaner": f"{versions['cleaner']} (files {source_hash(package_dir)[:12]})",
             "Python": ".".join(map(str, sys.version_info[:2])), "Unicode": unicodedata.unidata_version}
    stamp.update((name, version) for name, version in sorted(versions.items()) if name != "cleaner")
    return stamp


def stamp_difference(theirs: dict[str, str], mine: dict[str, str]) -> str | None:
    """The first part (in code_stamp's order) where two stamps differ, as "cleaner 0.1.0
    (files 9a...), this client cleaner 0.1.0 (files 3c...)"; None when they are the same."""
    for part in [*mine, *(name for name in theirs if name not in mine)]:
        if theirs.get(part) != mine.get(part):
            return (f"{part} {theirs.get(part, 'not installed')}, this client {part} "
                    f"{mine.get(part, 'not installed')}")
    return None


def run_fingerprint(cfg: Config, package_dir: Path = PACKAGE_DIR) -> str:
    """What per-document results depend on: the settings and code_fingerprint. A checkpoint
    is resumed only under the same fingerprint."""
    return f"{cfg.fingerprint()} {code_fingerprint(package_dir)}"
