"""wordfreq's word lists kept as SQLite files in the user's cache folder, so that a run
looks up only its own words instead of streaming every list it needs (~0.13 s each).

One file per wordfreq version and list (`wordfreq-3.1.1-large_en-v1.sqlite`): a table of
(word, bucket), bucket i holding the words of frequency 10^(-i/100), as in the list
itself (term_weights.list_buckets reads it).

Building a file costs ~5x streaming the list (~1 s for a large list: SQLite sorts its
300,000-700,000 words), so it is built the *second* time a run needs the list: the first
run leaves an empty marker file (`....wanted`) and streams, as every run did before. A
one-off run (a container, a CI job whose cache folder does not survive) pays nothing; a
user who runs again pays the build once. The file is built from the stream the run
reads anyway, into a temporary file renamed into place once complete, so a reader never
sees a half-written one; its `meta` table says what it was built from and that it is
complete, and a file that does not say so is not used (and is built again). A temporary
file a killed run left is removed by a later run that needs its list, once it is an hour old. When the
folder cannot be written, lacks the room for the file (a list's file is about 4 times its
compressed list; a full disk is not tried again and again), or a file cannot be read, the run streams the list: the
cache changes how long a lookup takes, never its answer.

The folder: $CLEANER_CACHE_DIR (a leading ~ is the home folder), else $XDG_CACHE_HOME/cleaner,
else ~/.cache/cleaner.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
from functools import lru_cache
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

CACHE_ENV = "CLEANER_CACHE_DIR"
FORMAT = 1  # the layout of the files below; a new layout gets new file names
_CHUNK = 900  # words per query (older SQLite builds allow 999 parameters)
# A list's file is 3.7-4.6 times its .msgpack.gz (wordfreq 3.1: en 3.75, ru 4.56); a build
# starts only with room for 6 times it free in the folder.
_ROOM = 6


def cache_dir() -> Path:
    """The cache folder. RuntimeError when it names a home folder that cannot be found (a
    `~user` who does not exist, no home at all): callers then run without a cache."""
    own = os.environ.get(CACHE_ENV)
    if own:
        # "~/cache" as a shell leaves it unexpanded (quoted, a Dockerfile's ENV, systemd's
        # Environment=) is the user's home, as a path argument's is: not a folder named "~"
        # in the current one (the input folder, often).
        return Path(own).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec: a relative path there is invalid and is ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "cleaner"


def wordfreq_folder() -> Path:
    """wordfreq's package folder, found without importing it."""
    from importlib.util import find_spec

    spec = find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("wordfreq is not installed (the story tier weighs terms with it)")
    return Path(list(spec.submodule_search_locations)[0])


@lru_cache(maxsize=1)
def _wordfreq_version() -> str:
    """wordfreq's version, from its dist-info folder's name beside the package (importing
    importlib.metadata and scanning every installed distribution cost ~0.1 s, a tenth of a
    small run's story tier); importlib.metadata when that folder is not found."""
    found = sorted(wordfreq_folder().parent.glob("wordfreq-*.dist-info"))
    if len(found) == 1:
        return found[0].name.removeprefix("wordfreq-").removesuffix(".dist-info")
    from importlib.metadata import version

    return version("wordfreq")


def cache_file(source: str) -> Path:
    """The cache file of one wordfreq list file (`.../large_en.msgpack.gz`)."""
    name = Path(source).name.removesuffix(".msgpack.gz")
    return cache_dir() / f"wordfreq-{_wordfreq_version()}-{name}-v{FORMAT}.sqlite"


def _stamp(source: str) -> str:
    """What a cache file was built from: the wordfreq version and the list file's size."""
    return f"{_wordfreq_version()} {Path(source).name} {os.stat(source).st_size}"


def wanted_before(source: str) -> bool:
    """Whether an earlier run already needed this list (so this one builds its cache file);
    if not, leaves the marker that says so for the next run. False when the folder cannot
    be written."""
    try:
        path = cache_file(source)
    except RuntimeError:  # no home folder to find the cache in (cache_dir): no cache
        return False
    marker = path.with_suffix(".wanted")
    if marker.is_file() or path.exists():  # an unusable file is built again
        return True
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass
    return False


def lookup(source: str, words: Iterable[str]) -> dict[str, int] | None:
    """The bucket of each of `words` the list holds (words it lacks are left out), from
    the cache file; None when there is no complete, readable file for this list."""
    try:
        path = cache_file(source)
    except RuntimeError:  # no home folder to find the cache in (cache_dir): no cache
        return None
    if not path.is_file():
        return None
    _remove_stale(path)  # a killed build's leftovers, which no later build of this list would see
    words = sorted(words)
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = dict(con.execute("SELECT key, value FROM meta"))
            if meta.get("built_from") != _stamp(source) or meta.get("complete") != "1":
                return None
            found: dict[str, int] = {}
            for i in range(0, len(words), _CHUNK):
                chunk = words[i:i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                found.update(con.execute(f"SELECT word, bucket FROM words WHERE word IN ({marks})", chunk))
            return found
        finally:
            con.close()
    except (sqlite3.Error, OSError):  # unreadable, truncated, not a database: not used
        return None


_STALE_AFTER = 3600.0  # seconds: a build takes 1-5 s; a temporary file this old was a killed run's


def _remove_stale(path: Path) -> None:
    """Temporary files of builds of `path` that a killed run left (SIGKILL, the OOM killer:
    5-20 MB each, never read and never removed otherwise)."""
    now = time.time()
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        try:
            if now - tmp.lstat().st_mtime > _STALE_AFTER:
                tmp.unlink()
        except OSError:  # gone meanwhile (another run removed it), or not ours to remove
            pass


class Builder:
    """Writes one list's cache file as the list is streamed: `add` each bucket, then
    `finish` renames the complete file into place. Any failure to write (no folder, no
    space, no permission) abandons the file quietly: the run goes on streaming."""

    def __init__(self, source: str):
        self.source = source
        self.path = cache_file(source)
        self.count = 0
        self.tmp = self.con = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if shutil.disk_usage(self.path.parent).free < _ROOM * os.stat(source).st_size:
                # It would fill the disk and fail at the end: each run would pay the whole
                # build (~0.5 s a list) for nothing, for as long as the folder stays full.
                return
            _remove_stale(self.path)
            fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            os.close(fd)
            self.con = sqlite3.connect(self.tmp)
            self.con.execute("PRAGMA journal_mode=OFF")  # a temporary file: fsynced once, at the end
            self.con.execute("PRAGMA synchronous=OFF")
            self.con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self.con.execute("CREATE TABLE words (word TEXT PRIMARY KEY ON CONFLICT REPLACE, "
                             "bucket INTEGER NOT NULL) WITHOUT ROWID")
            # Buckets are appended as they come, then copied into `words` in word order at the
            # end: SQLite sorts in C (3x faster than inserting each word from Python).
            self.con.execute("CREATE TEMP TABLE staging (word TEXT NOT NULL, bucket INTEGER NOT NULL)")
        except (sqlite3.Error, OSError):
            self.abandon()

    def add(self, index: int, words: list[str]) -> None:
        if self.con is None:
            return
        try:
            self.con.execute("INSERT INTO staging SELECT value, ? FROM json_each(?)",
                             (index, json.dumps(words, ensure_ascii=False)))
            self.count += len(words)
        except sqlite3.Error:
            self.abandon()

    def finish(self) -> bool:
        """The file, complete, in place (True); or nothing left behind (False)."""
        if self.con is None:
            return False
        try:
            # A word in two buckets keeps the last one, as the streamed lookup does.
            self.con.execute("INSERT INTO words SELECT word, bucket FROM staging ORDER BY word, bucket")
            self.con.execute("DROP TABLE staging")
            self.con.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("built_from", _stamp(self.source)), ("entries", str(self.count)), ("complete", "1")])
            self.con.commit()
            self.con.close()
            self.con = None
            assert self.tmp is not None  # made before the connection
            with open(self.tmp, "rb+") as fh:  # on disk before it has its name
                os.fsync(fh.fileno())
            os.replace(self.tmp, self.path)
            self.tmp = None
            return True
        except (sqlite3.Error, OSError):
            self.abandon()
            return False

    def abandon(self) -> None:
        if self.con is not None:
            try:
                self.con.close()
            except sqlite3.Error:
                pass
            self.con = None
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            self.tmp = None
