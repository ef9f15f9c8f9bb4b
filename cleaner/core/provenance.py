"""What a run's results depend on besides its input and settings: the installed packages'
versions, cleaner's own files, and Python's Unicode tables. The manifest names them; a
checkpoint is resumed, and a state's kept terms used, only under the same ones.

Its own module (not the writer's) so that the state path (dedup/incremental.py) reads it
without importing what writing the outputs needs.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache
from importlib import metadata
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
    (~1 ms a package), and a run asks twice (its fingerprint, then its manifest)."""
    versions = []
    for name in PACKAGES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "not installed"))
    return tuple(versions)


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


def run_fingerprint(cfg: Config, package_dir: Path = PACKAGE_DIR) -> str:
    """What per-document results depend on: the settings and code_fingerprint. A checkpoint
    is resumed only under the same fingerprint."""
    return f"{cfg.fingerprint()} {code_fingerprint(package_dir)}"
