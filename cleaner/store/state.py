"""The persistent state (`--state STATE`): what later batches are deduplicated against.

One SQLite file (stdlib `sqlite3`, WAL journal), embedded: no server to run, readers
(`show`, `export`, `state info`) work while a run writes, and a batch is one transaction,
so a run killed at any point (SIGKILL included) leaves the state as its last committed
batch left it. One writer at a time: the writer holds an advisory lock on `STATE.lock`
for its whole run (a second one gets a one-line error, or waits with --wait), because a
writer's batch builds on what it read before.

Tables (schema version SCHEMA):
- groups: one copy group (exact and near copies of one text): the key of the canonical
  it was created with and the record id that key gives (a record's id is its oldest
  group's), the batch that created it, its record (`root`: the oldest group of the
  record, kept flat so a lookup is one row), its canonical document, that canonical's
  date as a day number (the story tier's date window reads it through an index), and on
  a root's row the id of the document the record shows as canonical (a batch's rows find
  the record's head group from it: dedup/incremental._head_groups). Not its canonical's
  MinHash (512 bytes, a third of a canonical's row, and random bits that do not
  compress): the copy tier signs a candidate's canonical again from its text (its
  shingles, to compare; its MinHash only for a candidate whose shingles match); the low byte of each value (`screen`, 128 bytes)
  rules out a chance band collision without reading the group (dedup/incremental.py). Record ids (`rid`, and events.record_id) are kept as
  64-bit integers.
- docs: every document: id, group, batch, its place in the group (a Member: relation,
  similarity, reason) and a slim copy (metadata and clustering features with the salient
  terms; no shingles: a canonical's are recomputed from its text, which is 4x smaller),
  zlib-compressed with the state's own preset dictionary (meta 'zdict'), its id in docs.id
  alone; canonicals keep their text (records.jsonl needs it; a member's text went out
  with its row), compressed with a dictionary of its language's common words (meta
  'ztext <lang>', made from wordfreq's list when the state first stores that language).
- exact, bands, leads: the candidate indexes: exact-copy keys (hex digests kept as bytes,
  as groups.key) and MinHash LSH band keys (48 bits) of each group's canonical (the copy
  tier, dedup/incremental.StateIndex), and the names in its title or lead as 64-bit hashes
  (the story tier's window: story.window_lead_names).
- terms: the story window's canonicals' salient terms (terms, lead, term lines, dateline,
  the lines' words: what the story tier signs again from a text), kept for a group's
  canonical from the batch that made it canonical for as long as it may be in a batch's
  window (its day within story.window_days of the batch's, or one of the last
  story.window_batches batches: `drop_terms`; at most a budget of bytes a document, the
  earliest batches' dropped first: `trim_terms`), then dropped. A cache: a group whose
  canonical has no row here (pruned, dropped, a state made before schema 6) is signed
  again from its text, with the same values (dedup/incremental.IncrementalClusterer._stored_terms;
  #16 point 9).
- events: created, member_added, canonical_changed, merged; per record, in order.
- batches, meta: what each batch added; the schema version and the settings the
  comparisons depend on.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import gc
import hashlib
import json
import os
import pickle
import re
import shutil
import sqlite3
import threading
import zlib
from pathlib import Path
from dataclasses import fields
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from cleaner.core.document import Document, share_fields
from cleaner.core.features import Features

SCHEMA = 6  # 2: groups.sig, the canonical's MinHash; 3: Features.credits and line_words;
# 4: rows compressed with the state's own zlib dictionary (meta 'zdict'), hex keys as bytes, 48-bit band keys;
# 5: no groups.sig (recomputed from the canonical's text; groups.screen, its low bytes), texts
# compressed with a dictionary of their language's common words (meta 'ztext <lang>'), record ids as integers (groups.rid,
# events.record_id), a slim document without its id (docs.id) and with its exact key as bytes;
# 6: the terms table (a writer adds it to a state of schema 5: MIGRATE)
# What a state keeps of a document and of its features, in this order (the schema's).
_DOC_FIELDS = tuple(f for f in fields(Document) if f.name not in ("features", "stored", "link_density", "raw_line", "raw_path",
                                                                   "line_no", "html"))
_FEATURE_FIELDS = fields(Features)

# What a writer adds to a state of an earlier schema version to make it this one's, in
# one transaction with the new version: schema -> its statements. A reader leaves the state
# as it is and reads it if it needs nothing added (READABLE).
MIGRATE = {5: ["CREATE TABLE IF NOT EXISTS terms(g INTEGER PRIMARY KEY, n INTEGER NOT NULL, day INTEGER, batch INTEGER NOT NULL, "
               "terms BLOB NOT NULL)"]}
READABLE = {5}  # a reader (show, export, state info) reads nothing schema 6 added

_TABLES = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE batches(batch INTEGER PRIMARY KEY, documents INTEGER NOT NULL, label TEXT NOT NULL);
CREATE TABLE groups(g INTEGER PRIMARY KEY, key TEXT NOT NULL, rid NOT NULL, created INTEGER NOT NULL,
                    root INTEGER NOT NULL, canonical INTEGER NOT NULL, day INTEGER, head TEXT, screen BLOB NOT NULL);
CREATE INDEX groups_rid ON groups(rid);
CREATE INDEX groups_root ON groups(root);
CREATE INDEX groups_day ON groups(day);
CREATE INDEX groups_created ON groups(created);
CREATE TABLE docs(n INTEGER PRIMARY KEY, id TEXT NOT NULL, g INTEGER NOT NULL, batch INTEGER NOT NULL,
                  date TEXT, member BLOB NOT NULL, doc BLOB NOT NULL, text BLOB);
CREATE INDEX docs_g ON docs(g);
CREATE INDEX docs_id ON docs(id);
CREATE TABLE exact(key TEXT PRIMARY KEY, g INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE bands(key INTEGER NOT NULL, g INTEGER NOT NULL, PRIMARY KEY(key, g)) WITHOUT ROWID;
CREATE TABLE leads(key INTEGER NOT NULL, g INTEGER NOT NULL, PRIMARY KEY(key, g)) WITHOUT ROWID;
CREATE TABLE events(n INTEGER PRIMARY KEY, batch INTEGER NOT NULL, record_id NOT NULL,
                    event TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX events_record ON events(record_id);
""" + "\n".join(f"{statement};" for statement in MIGRATE[5])


_SQLITE_IOERR, _SQLITE_FULL = 10, 13  # SQLite's primary result codes (an extended code's low byte)


class StateError(Exception):
    """A state that cannot be used: another schema or settings, busy, not a state file."""


class NotAState(StateError):
    """The file is not a cleaner state at all (another program's database, a feed)."""


class Undecodable(StateError, sqlite3.DatabaseError):
    """A stored value that does not decompress or decode: bytes changed under SQLite, which
    checks its pages' structure, not the bytes of a row (a disk's flipped bits). A
    DatabaseError too, so the CLI says "state ... is damaged" in one line, as for SQLite's
    own "malformed", where zlib's error was a traceback."""


# What a changed row's bytes raise in Packer's unpacking (zlib checks a row, not a text:
# a text's raw deflate stream may fail later, as UTF-8 or by its language's tag); TypeError:
# a value that is not bytes at all (the file edited by another program).
_UNDECODABLE = (zlib.error, UnicodeDecodeError, pickle.UnpicklingError, EOFError, TypeError)


def empty_file(path: Path) -> str | None:
    """Why `path` must not become a state: it is an existing file of 0 bytes (a state is
    never empty: cleaner writes its header at once; an empty file is more likely one the
    shell made, `--state rows.jsonl > rows.jsonl`). None: nothing against it."""
    try:
        empty = path.is_file() and path.stat().st_size == 0
        wal = Path(f"{path}-wal")
        unsaved = wal.is_file() and wal.stat().st_size > 0  # a state's pages still in its journal
    except OSError:
        return None  # the state's own opening says what is wrong
    if not empty or unsaved:
        return None
    return (f"{path} is an empty file, not a cleaner state: remove it (or name a file that does "
            "not exist yet) to start a new state there")


def path_problem(exc: OSError) -> str:
    """An OSError of a path's checks in words: a name over the file system's 255 bytes
    (ENAMETOOLONG: pathlib's exists() raises it) said as such."""
    if exc.errno == errno.ENAMETOOLONG:
        return f"a name in it is too long ({exc.strerror}: a file system allows {_NAME_MAX} bytes a name)"
    return exc.strerror or str(exc)


def _remove_empty(path: str) -> None:
    """`path` removed if it is a file of 0 bytes (a new state no byte of which was written)."""
    try:
        if os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) == 0:
            os.unlink(path)
    except OSError:
        pass


# The files SQLite and the lock keep beside a state `S` (`S` + suffix): never read as a run's
# input (cli.py); given as the state (a shell's completion one name too far), a writer would
# be told to remove an empty lock file, which would let two writers each hold "the" lock.
COMPANIONS = {".lock": "lock file", "-wal": "journal", "-shm": "journal", "-journal": "journal"}
JOURNALS = tuple(suffix for suffix, kind in COMPANIONS.items() if kind == "journal")  # SQLite's own


def companion_of(path: Path) -> Path | None:
    """The state whose lock file or journal `path` is, when that state exists; else None."""
    for suffix in COMPANIONS:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            state = path.with_name(path.name[: -len(suffix)])
            try:
                if state.is_file():  # never open a FIFO: it would wait for a writer
                    with open(state, "rb") as fh:
                        if fh.read(16) == b"SQLite format 3\x00":
                            return state
            except OSError:
                pass
    return None


# The states this process holds as a writer (by real path) and their lock files'
# descriptors: a second writer in the same process would wait forever on its own lock
# (flock locks are per open file, not per process).
_HELD: dict[str, int] = {}


def _forget_held_locks() -> None:
    """In a forked child: the parent's writer locks are not the child's. Its inherited
    descriptors held the parent's lock files open, and with them the locks (flock's belong
    to the open file): a process forked while a writer was open (a pool of the user's, a
    pre-forking server's worker) kept the state locked after the parent closed it, and the
    child's own writer was refused as 'already open in this process' (review-24). Closing
    a copy leaves the parent's lock held; the child's State copies never close theirs
    (State.close)."""
    for fd in _HELD.values():
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_held_locks)


# What salient_terms gives again from a document's text, date, title and language
# (dedup/terms.py): a row that keeps its text keeps these as None (~130 bytes a row,
# compressed), and the reader signs them again (dedup/incremental.restore_member).
FROM_TEXT = ("terms", "lead", "term_lines", "dateline")


def _doc_values(doc: Document, with_text: bool = False) -> tuple[tuple[Any, ...], tuple[Any, ...] | None]:
    """A slim document as two tuples of field values, in the classes' field order: a
    pickled dataclass would repeat every field name in every row. Without its id (the
    row's docs.id keeps it), with a hex exact key as half as many bytes (~29 bytes a row,
    compressed), and (`with_text`: its row keeps its text) without FROM_TEXT."""
    features = doc.features
    values = tuple(None if f.name == "id" else getattr(doc, f.name) for f in _DOC_FIELDS)
    if features is None:
        return values, None
    return values, tuple(_key_in(features.exact) if f.name == "exact" else
                         None if with_text and f.name in FROM_TEXT else getattr(features, f.name)
                         for f in _FEATURE_FIELDS)


def _dictionary() -> bytes:
    """A zlib preset dictionary for the small rows (slim documents, member tuples): most of
    a row's bytes are what every row repeats (pickle's framing, the language and metadata
    reasons, the member reasons), which zlib, compressing row by row, cannot share between
    rows (measured: 439 -> 328 bytes a slim document, 66 -> 20 a member tuple). Only code
    constants and made-up values go in. A new state stores the dictionary it is written
    with (meta 'zdict'), so changing this never makes an older state unreadable."""
    members = [("canonical", 1.0, 1.0, None, None, "starts the record"),
               ("exact", 1.0, 1.0, None, None, "same words after normalisation"),
               ("near", 0.875, 0.8984375, None, None, "shingle Jaccard 0.875 >= near.threshold 0.3"),
               ("near", 0.875, 0.8984375, None, None,
                "shingle Jaccard 0.875 >= near.threshold 0.3; canonical until batch 2"),
               ("canonical", 1.0, 1.0, None, None, "became the canonical in batch 2")]
    doc = Document(id="doc-0123456789abcdef", source="<api>", title="Title", date="2025-01-01",
                   url="https://www.example.com/news/2025/01/01/story.html", site="example.com", lang="en",
                   lang_prob=0.9999, meta={"date": "input field 'date'", "title": "first line of text",
                                           "url": "input field 'url'"},
                   lang_reason="langdetect on the first 1000 characters of the cleaned text; runners-up: de 0.00")
    doc.features = Features(exact="0" * 40, near=None, near_mh=None, story_mh=None, terms=("2025", "name"),
                            lead=("name",), words=500, removed=1)
    return pickle.dumps(_doc_values(doc), protocol=5) + b"".join(pickle.dumps(m, protocol=5) for m in members)


# Words of a language's text dictionary (below): measured on the state bench's canonicals
# (3,000 texts of 10 languages, 2,873 bytes each in UTF-8), zlib without a dictionary 1,485
# bytes a text, with the 500 / 2,000 / 4,000 commonest words 1,355 / 1,253 / 1,218.
TEXT_WORDS = 4000
_LANG = re.compile(r"[a-z]{2,3}")


def text_dictionary(lang: str) -> bytes:
    """A zlib preset dictionary for texts in `lang`: its TEXT_WORDS commonest words by
    wordfreq's small list, the commonest last (zlib codes near matches in fewer bits);
    b"" for a language wordfreq has no list for. zlib compresses each canonical's text
    alone (a few KB), so it cannot learn a language's common words from earlier rows; a
    dictionary gives them to it. Only made when a state first stores a text in `lang`;
    the state keeps it (meta 'ztext <lang>'), so a later wordfreq never changes how a
    stored text reads."""
    from cleaner.dedup.term_weights import list_buckets
    from cleaner.dedup.zipf_cache import wordfreq_folder

    path = wordfreq_folder() / "data" / f"small_{lang}.msgpack.gz"
    if not _LANG.fullmatch(lang) or not path.exists():
        return b""
    words: list[str] = []
    for _, bucket in list_buckets(str(path), lang):  # streamed: the commonest words come first
        words.extend(bucket)
        if len(words) >= TEXT_WORDS:
            break
    return (" ".join(reversed(words[:TEXT_WORDS])) + " ").encode("utf-8")[-32768:]  # zlib's window


class Packer:
    """Rows to compressed bytes and back, with one state's zlib dictionaries: one for the
    small rows (`zdict`), one a language for texts (`text_dictionary`, read and stored
    through `load` and `store`: the state's meta table)."""

    def __init__(self, zdict: bytes, load: Callable[[str], bytes | None] | None = None,
                 store: Callable[[str, bytes], None] | None = None):
        self.zdict = zdict
        self.load, self.store = load, store
        self.texts: dict[str, bytes] = {}  # language -> its text dictionary (b"": none)
        # language -> a compressor with its dictionary set, copied for each text: setting a
        # 32 KB dictionary costs more than compressing a text (measured 849 against 391 us
        # a text, copied; 179 without a dictionary).
        self.compressors: dict[str, Any] = {}

    def forget(self) -> None:
        """Drop the text dictionaries read: a batch rolled back takes the ones it stored with it."""
        self.texts.clear()
        self.compressors.clear()

    def _text_dictionary(self, lang: str, write: bool) -> bytes:
        found = self.texts.get(lang)
        if found is None:
            stored = self.load(f"ztext {lang}") if self.load is not None else None
            if stored is not None:
                try:
                    found = zlib.decompress(stored)
                except zlib.error as exc:
                    raise Undecodable(f"the text dictionary of language {lang!r} does not decompress ({exc})") from None
            elif write:
                found = text_dictionary(lang)
                if found and self.store is not None:
                    self.store(f"ztext {lang}", zlib.compress(found, 9))
                elif found:
                    found = b""  # nowhere to keep it: a text is then compressed without one
            else:  # a stored text names a language no text was stored in
                raise Undecodable(f"the state has no text dictionary for language {lang!r} (meta 'ztext {lang}')")
            self.texts[lang] = found
        return found

    def preload(self, langs: Iterable[str]) -> None:
        """The text dictionaries the state holds of these languages, read now (a batch's
        forked children then pack texts in them without reading the state: `has`)."""
        for lang in langs:
            if lang not in self.texts and self.load is not None and self.load(f"ztext {lang}") is not None:
                try:
                    self._text_dictionary(lang, False)
                except Undecodable:
                    pass  # said when a text in it is packed or read, as before (not for a language no text needs)

    def has(self, lang: str | None) -> bool:
        """Whether pack_text needs no read of the state for a text in `lang`."""
        return not lang or lang in self.texts

    def pack_text(self, text: str, lang: str | None) -> bytes:
        """A text as [length of its dictionary's language][language][raw deflate stream];
        no language (b"") when wordfreq has no list for it. Raw deflate (no zlib header
        and checksum): 10 bytes less a text, and a dictionary is set without checking its
        Adler-32 (measured 15 against 88 us a text to decompress)."""
        zdict = self._text_dictionary(lang, True) if lang else b""
        tag = lang.encode("ascii") if zdict and lang else b""
        template = self.compressors.get(tag.decode("ascii"))
        if template is None:
            template = self.compressors[tag.decode("ascii")] = (
                zlib.compressobj(6, zlib.DEFLATED, -15, zdict=zdict) if zdict else zlib.compressobj(6, zlib.DEFLATED, -15))
        compressor = template.copy()
        return bytes([len(tag)]) + tag + compressor.compress(text.encode("utf-8")) + compressor.flush()

    def unpack_text(self, blob: bytes | None) -> str:
        if not blob:
            return ""
        try:
            tag = blob[1:1 + blob[0]].decode("ascii")
            zdict = self._text_dictionary(tag, False) if tag else b""
            decompressor = zlib.decompressobj(-15, zdict=zdict) if zdict else zlib.decompressobj(-15)
            data = blob[1 + blob[0]:]
            return (decompressor.decompress(data) + decompressor.flush()).decode("utf-8")
        except _UNDECODABLE as exc:
            raise Undecodable(f"a stored text does not decode ({exc})") from None

    def pack(self, value: Any) -> bytes:
        compressor = zlib.compressobj(6, zdict=self.zdict)
        return compressor.compress(pickle.dumps(value, protocol=5)) + compressor.flush()

    def unpack(self, blob: bytes) -> Any:
        decompressor = zlib.decompressobj(zdict=self.zdict)
        try:
            return pickle.loads(decompressor.decompress(blob) + decompressor.flush())
        except _UNDECODABLE as exc:
            raise Undecodable(f"a stored row does not decode ({exc})") from None

    def pack_doc(self, doc: Document, with_text: bool = False) -> bytes:
        return self.pack(_doc_values(doc, with_text))

    def unpack_doc(self, blob: bytes, doc_id: str) -> Document:
        """A slim document again; `doc_id`, its row's docs.id."""
        values, features = self.unpack(blob)
        doc = Document(**{f.name: v for f, v in zip(_DOC_FIELDS, values)})
        doc.id = doc_id
        share_fields(doc)  # the strings most rows repeat, one object each (#16 point 9)
        if features is not None:
            doc.features = Features(**{f.name: v for f, v in zip(_FEATURE_FIELDS, features)})
            doc.features.exact = _key_out(doc.features.exact)
        return doc


# A list of integers as one parameter (a JSON array), so a query's text is the same
# whatever the list's length. With `IN (?, ?, ...)` each length was another statement,
# and sqlite3 keeps up to 128 prepared statements a connection: a stream's window lists
# (hundreds to thousands of groups and names a batch) made two new ones a batch, ~0.5 MiB
# of SQLite's memory a batch that was never handed back (measured, #16 point 9).
_LIST = "(SELECT value FROM json_each(?))"


def _list(values: list[int]) -> str:
    return json.dumps(values)


_HEX = re.compile(r"(?:[0-9a-f]{2})+")


def _key_in(key: str) -> bytes | str:
    """An exact key (a hex digest) as half as many bytes; anything else as it is."""
    return bytes.fromhex(key) if _HEX.fullmatch(key) else key


def _key_out(key: bytes | str) -> str:
    return key.hex() if isinstance(key, bytes) else key


def _rid_in(rid: str) -> int | str:
    """A record id ("rec-" and 16 hex digits: cluster.record_id) as a signed 64-bit
    INTEGER, 8 bytes instead of 20 (groups.rid, events.record_id and their indexes)."""
    digits = rid[4:]
    if rid.startswith("rec-") and len(digits) == 16 and _HEX.fullmatch(digits):
        return int.from_bytes(bytes.fromhex(digits), "big", signed=True)
    return rid


def _rid_out(rid: int | str) -> str:
    """A record id as _rid_in stored it, as a string again."""
    if isinstance(rid, int):
        return "rec-" + rid.to_bytes(8, "big", signed=True).hex()
    return rid


def term_key(term: str) -> int:
    """A term as a signed 64-bit key (the leads index keeps keys, not strings)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def _band_rows(keys: list[int]) -> np.ndarray:
    """band_row of each key, as an int64 array of the distinct rows, sorted."""
    return np.unique((np.array(keys, dtype=np.uint64) >> np.uint64(16)).astype(np.int64) - (1 << 47))


def band_row(key: int) -> int:
    """What the bands table keeps of a 64-bit band key: a 48-bit signed INTEGER, which SQLite
    stores in 6 bytes instead of 8 (the band table is the state's third largest). Two keys
    that differ only in their low 16 bits meet (a query meets the rows of every key whose
    value is the same): at 200,000 documents (~4 million band rows) a query key meets an
    unrelated one with probability ~1e-8, and such a candidate is then checked like any
    other (MinHash estimate, then shingle Jaccard)."""
    return (key >> 16) - (1 << 47)


_WAL_HEADER = 32  # bytes of a WAL file before its first frame
# What link() says on a disk without hard links: FAT and exFAT (a USB backup disk: EPERM),
# some network and FUSE file systems (ENOTSUP, ENOSYS).
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
_NAME_MAX = 255  # bytes of one file name on Linux's file systems (ext4, xfs, btrfs, tmpfs)


def _copy_new(source: Path, target: Path, exists: Callable[[Path], Exception]) -> None:
    """`source`'s bytes in `target`, a file made here (O_EXCL: a file that appears there
    meanwhile is never replaced) where link() cannot make it; removed again if the copy
    fails half way (it is ours: no one else's file is touched)."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        raise exists(target) from None
    try:
        with open(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise


# Connections a forked child found in its copy of a State and must not use or close (close).
_FORKED_COPIES: list[object] = []


class State:
    """One state file, opened for writing (`writer=True`: takes the writer's lock) or reading.

    `settings` (a string) names what comparisons depend on (MinHash, shingles): a state
    made with other settings is refused rather than silently compared with the wrong
    signatures. ":memory:" is a state that lives as long as the object (the API without
    state=)."""

    def __init__(self, path: str | Path, settings: str = "", writer: bool = True, wait: bool = False):
        self.path = str(path)
        self.memory = self.path == ":memory:"
        self._lock_fd: int | None = None
        self._pid = os.getpid()  # a forked child's copy of this object is not closed by it (close)
        self._checkpoint: threading.Thread | None = None  # the last commit's (_checkpoint_behind)
        self._began_behind = False  # the last batch began while its checkpoint ran (begin)
        self.committed = 0  # batches this object committed (a caller tells a batch committed from one rolled back)
        self._made_lock: str | None = None
        self._real = ""
        # What the checkpoint thread opens: the file found now, whatever folder the process
        # is in later (a notebook's %cd between two batches: the path as given named another
        # file, and SQLite made it, empty, in the user's folder), and never made (mode=rw).
        self._uri = ""
        if not self.memory:
            p = Path(self.path)
            self._uri = Path(os.path.abspath(p)).as_uri() + "?mode=rw"  # not resolve(): a symlink loop raises
            try:
                self._check_path(p, writer, wait)
            except OSError as exc:
                # pathlib's exists() and is_file() raise for a name over 255 bytes (they answer False
                # for a missing file alone) or a folder this user may not search: the state's own
                # one-line error, for the CLI and the API alike.
                raise StateError(f"cannot use state {self.path}: {path_problem(exc)}") from None
        # The file is made by this opening (SQLite's connect): removed again if no byte of it could be written.
        new = writer and not self.memory and not os.path.lexists(self.path)
        try:
            try:
                self._connect(writer, wait)
                self._open(settings, writer)
            except sqlite3.OperationalError:
                if writer or self.memory or not self._on_read_only_disk():
                    raise
                self.close()
                self._connect(writer, wait, immutable=True)
                self._open(settings, writer)
        except sqlite3.DatabaseError as exc:
            unwritable = getattr(exc, "sqlite_errorcode", 0) & 0xFF in (_SQLITE_IOERR, _SQLITE_FULL)
            if unwritable and new:  # removed while the lock is held: no other writer made it meanwhile
                if (db := getattr(self, "db", None)) is not None:
                    db.close()
                    del self.db  # as close() leaves it
                _remove_empty(self.path)
            self._refused()
            name = len(os.fsencode(Path(self.path).name))
            if not self.memory and name > _NAME_MAX - len("-wal"):
                # A state renamed (mv) to 252-255 bytes: SQLite cannot make its NAME-wal, and
                # "not a cleaner state (unable to open database file)" misled (review-25).
                raise StateError(f"cannot open state {self.path}: its name is too long ({name} bytes: its WAL "
                                 f"file, the name and '-wal', would pass the file system's {_NAME_MAX}): rename "
                                 f"it to {_NAME_MAX - len('.lock')} bytes or fewer") from None
            if unwritable:
                # A full disk, a file size limit (ulimit -f) making a new state: the file is not the fault
                # (and a new one is not left behind: once space was freed, it was refused as an empty file).
                raise StateError(f"cannot use state {self.path}: {exc}") from None
            raise NotAState(f"{self.path} is not a cleaner state ({exc})") from None
        except NotAState:
            self._refused()
            raise
        except StateError:
            # A real state refused (another schema or settings): its lock file stays. Removing
            # it would let a writer waiting on the old file (--wait) and a new one on a fresh
            # file both hold "the" lock.
            self.close()
            raise
        except BaseException:
            self.close()
            raise
        if not writer:
            # One read transaction for the reader's life (show, export, state info: short):
            # each query was its own, so a batch a run committed between two of them (its
            # groups moved to another record) failed `export` with IndexError's traceback.
            # Now every read sees the batches committed when the first was made (WAL).
            self.db.execute("BEGIN")

    def _refused(self) -> None:
        """Closed, and the lock file this opening made beside a file that is not a state (a
        user's database, a feed given as --state by mistake) removed: nothing left behind."""
        made, self._made_lock = self._made_lock, None
        if made is not None and self._lock_fd is not None:
            try:
                os.unlink(made)
            except OSError:
                pass
        self.close()

    def _connect(self, writer: bool, wait: bool, immutable: bool = False) -> None:
        """A writer opens the file; a reader opens it read-only (`immutable`: on a disk no
        one can write, where a WAL file's read-only opening fails)."""
        target = self.path
        if not (writer or self.memory):
            target = Path(self.path).resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
        # Any one thread may use it, not only the one that opened it: a Deduplicator made at
        # an application's start and used from a worker thread (a web framework's thread
        # pool, run_in_executor) failed with sqlite3's ProgrammingError. One thread at a
        # time: a Deduplicator's batches from several threads wait for each other (api.py).
        self.db = sqlite3.connect(target, uri=not (writer or self.memory), isolation_level=None,
                                  timeout=60 if wait else 5, check_same_thread=False)
        self.db.execute("PRAGMA busy_timeout = 60000")

    def _on_read_only_disk(self) -> bool:
        """Whether the state sits where nothing can be written (a read-only mount, a folder
        without write permission) and has no journal that a read-only opening would skip:
        SQLite cannot open a WAL database read-only there unless its -shm and -wal files exist
        (a writer removes them when it closes), and no one can change the file meanwhile.
        A journal without frames (empty, or its header alone) holds nothing to skip; one
        holding batches there (a state copied with its -wal, no -shm) is a StateError saying
        so: it was "not a cleaner state" (tests/test_review21.py)."""
        if os.access(os.path.dirname(os.path.abspath(self.path)), os.W_OK):
            return False
        try:
            journal = os.path.getsize(self.path + "-wal")
        except OSError:
            return True  # no journal
        if journal > _WAL_HEADER:
            raise StateError(f"{self.path} is on a read-only disk with its journal {self.path}-wal but not "
                             f"{self.path}-shm, without which SQLite cannot read the batches the journal holds: "
                             "copy the state with its -wal file to a writable folder and read it there")
        return True

    def _check_path(self, p: Path, writer: bool, wait: bool) -> None:
        """What the path must be before SQLite opens it; the writer's lock taken."""
        if p.exists() and not p.is_file():
            raise StateError(f"{self.path} is not a file")
        if writer and self.path.endswith(("/", os.sep)):
            # A folder's name (state="states/"): SQLite made a file named after the folder.
            raise StateError(f"{self.path} ends in '/', as a folder's name does, and there is no such "
                             "folder: give the state a file's name")
        if (state := companion_of(p)) is not None:
            raise NotAState(f"{self.path} is the {COMPANIONS[p.name[len(state.name):]]} of state {state}: "
                            f"give {state}")
        if not writer and not p.exists():
            raise StateError(f"{self.path} does not exist")
        if writer and (problem := empty_file(p)):
            raise NotAState(problem)
        if writer:
            self._lock(wait)

    def _lock(self, wait: bool) -> None:
        # The lock goes by the file's real path: a symlink or another spelling of the same
        # state must meet the same lock.
        real = os.path.realpath(self.path)
        if real in _HELD:
            # Its holder may be garbage not yet collected: a Deduplicator dropped without
            # close() (no `with`), in a reference cycle. Collected, it lets the lock go (__del__).
            gc.collect()
        if real in _HELD:
            raise StateError(f"{self.path} is already open for writing in this process "
                             "(close the other Deduplicator or State first)")
        lock = real + ".lock"
        self._made_lock = None if os.path.exists(lock) else lock  # removed again if the file is refused
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise StateError(f"cannot write state {self.path}: {exc.strerror or exc} (its lock file {lock})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise StateError(f"{self.path} is being written by another run (one writer at a time; "
                             "--wait waits for it)") from None
        self._lock_fd, self._real = fd, real
        _HELD[real] = fd

    def _zdict(self) -> bytes:
        """The rows' preset dictionary; a state without it cannot unpack a row, so it is
        refused here, in one line, not at the first row a batch reads."""
        stored = self.meta("zdict")
        try:
            zdict = base64.b64decode(stored, validate=True) if stored else b""
        except ValueError:  # binascii.Error
            zdict = b""
        if not zdict:
            raise StateError(f"{self.path} is damaged: its meta row 'zdict' (the rows' dictionary) "
                             "is missing or unreadable")
        return zdict

    def _check_config(self) -> None:
        """The last batch's configuration, which the next batch compares with its own: a
        JSON table, or the state was damaged by hand."""
        stored = self.meta("config")
        try:
            ok = stored is None or isinstance(json.loads(stored), dict)
        except ValueError:
            ok = False
        if not ok:
            raise StateError(f"{self.path} is damaged: its meta row 'config' (the last batch's configuration) "
                             "is not a table of sections")

    def _open(self, settings: str, writer: bool) -> None:
        has_meta = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if not has_meta:
            if not writer:
                raise NotAState(f"{self.path} is not a cleaner state (no meta table)")
            if self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise NotAState(f"{self.path} is an SQLite database but not a cleaner state")
            # 16 KB pages: a document's row (~2 KB with a canonical's text) would leave half
            # of a 4 KB page empty; measured 2.7 KB a document on disk at 4 KB pages.
            self.db.execute("PRAGMA page_size = 16384")
            if not self.memory:
                self.db.execute("PRAGMA journal_mode = WAL")
            # One transaction: the tables and their version appear together or not at all.
            self.db.executescript("BEGIN IMMEDIATE;\n" + _TABLES)
            self.db.execute("INSERT INTO meta VALUES ('schema', ?), ('settings', ?), ('zdict', ?)",
                            (str(SCHEMA), settings, base64.b64encode(_dictionary()).decode("ascii")))
            self.db.execute("COMMIT")
        version = self.meta("schema")
        if version is None:
            raise NotAState(f"{self.path} is not a cleaner state (its meta table has no schema version)")
        if version != str(SCHEMA) and not self._readable(version, writer):
            raise StateError(f"{self.path} has state schema version {version}; this cleaner reads version {SCHEMA}")
        self.packer = Packer(self._zdict(), self._meta_bytes, self.set_meta)
        if writer:
            self._check_config()
        # The page cache, in KiB: SQLite's default (2,000 KiB) counts pages of the 4 KB size a
        # connection opens with, so a new state (16 KB pages) cached 8 MiB and a reopened one
        # 2 MiB. One bound, whichever: 8 MiB keeps the indexes' upper pages in memory.
        self.db.execute("PRAGMA cache_size = -8192")
        if writer and settings and self.meta("settings") != settings:
            raise StateError(f"{self.path} was built with other MinHash/shingle settings ({self.meta('settings')}); "
                             f"this configuration has {settings}: use another state or the same settings")
        if writer and not self.memory:
            self.db.execute("PRAGMA synchronous = FULL")  # a committed batch survives a power cut
            # The WAL is copied into the file behind each commit, not in it (_checkpoint_behind).
            self.db.execute("PRAGMA wal_autocheckpoint = 0")
            try:  # refused now, before any work, rather than at the first batch's commit
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                raise StateError(f"cannot write state {self.path}: {exc}") from None
        if writer and version != str(SCHEMA):
            # Last, once every check passed: a writer refused (other MinHash settings, a
            # damaged config row) left the state at its old version, which the cleaner that
            # made it still opens; it was migrated first, then refused.
            self._migrate(int(version))

    def _readable(self, version: str, writer: bool) -> bool:
        """Whether a state of schema `version` is read as this one: a writer migrates one
        of MIGRATE's versions (`_migrate`, at the end of `_open`); a reader reads one of
        READABLE's as it is."""
        old = int(version) if version.isdigit() else None
        if old is None or old not in MIGRATE:
            return False
        return writer or old in READABLE

    def _migrate(self, old: int) -> None:
        """MIGRATE's statements for schema `old` and the new version, one transaction."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATE[old]:
                    self.db.execute(statement)
                self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA),))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            # A state file no one may write (read-only, on a read-only bind): it was "not a
            # cleaner state (attempt to write a readonly database)".
            raise StateError(f"cannot write state {self.path}: {exc}") from None

    def _meta_value(self, key: str) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def meta(self, key: str) -> str | None:
        value: str | None = self._meta_value(key)
        return value

    def _meta_bytes(self, key: str) -> bytes | None:
        """A value stored as bytes (the text dictionaries: meta 'ztext <lang>')."""
        value = self._meta_value(key)
        if value is not None and not isinstance(value, bytes):
            # Text or a number in its place (a hand's or another program's edit): bytes()
            # raised TypeError's traceback of text, and read a number as that many zeros.
            raise Undecodable(f"its meta row {key!r} holds {type(value).__name__}, not the bytes cleaner stores")
        return value

    def set_meta(self, key: str, value: str | bytes) -> None:
        """Inside a batch's transaction (the value lands with the batch, or not at all)."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def __del__(self) -> None:
        # A writer dropped without close() (a Deduplicator used without `with`) must not keep
        # its lock for the process's lifetime: the next Deduplicator on the file was refused.
        try:
            self.close()
        except Exception:  # at interpreter exit, or a connection already gone: nothing to release
            pass

    def release_memory(self) -> None:
        """Hand back the page cache's clean pages (PRAGMA shrink_memory): what the batch's
        reads left there until its next statement reads them again."""
        self.db.execute("PRAGMA shrink_memory")

    def close(self) -> None:
        if os.getpid() != getattr(self, "_pid", os.getpid()):
            # A forked child's copy (its parent's connection, maybe mid-batch, and lock):
            # rolling back or checkpointing from here would act on the parent's batch.
            # Left as it is (kept referenced: not even closed by the garbage collector);
            # the parent closes its own. Its lock's descriptor was closed at the fork
            # (_forget_held_locks): the number may be another file's by now.
            _FORKED_COPIES.append(self.__dict__.pop("db", None))
            self._lock_fd = None
            return
        self._checkpointed()
        db = getattr(self, "db", None)
        if db is not None:
            if db.in_transaction:
                db.execute("ROLLBACK")
            db.close()
            # Gone rather than None: `db` stays typed as a connection for every method that
            # uses it; close() and rollback() look it up with getattr.
            del self.db
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
            _HELD.pop(self._real, None)

    # -- transactions ------------------------------------------------------------------

    def begin(self) -> int:
        """Start a batch: one transaction; returns the batch number."""
        # SQLite writes the WAL from its start again only when a batch begins after the last
        # checkpoint copied every frame; a batch that begins while it runs appends. One may
        # (the checkpoint's point is to overlap the next batch), but not two in a row: when
        # every checkpoint outlasts the gap to the next BEGIN (a big state's pages on a slow
        # disk, small batches), the WAL grew by every batch, without bound
        # (tests/test_review21.py). So it holds at most ~2 batches' pages.
        thread = self._checkpoint
        behind = thread is not None and thread.is_alive()
        if behind and self._began_behind:
            self._checkpointed()
            behind = False
        self._began_behind = behind
        self.db.execute("BEGIN IMMEDIATE")
        self.packer.forget()  # read again inside the transaction: another run may have added some
        return self.batches() + 1

    def commit(self, batch: int, documents: int, label: str) -> None:
        self.db.execute("INSERT INTO batches VALUES (?, ?, ?)", (batch, documents, label))
        self._checkpointed()  # one checkpoint at a time: the last batch's is done (long since, as a rule)
        self.db.execute("COMMIT")
        self.committed += 1
        self._checkpoint_behind()

    def _checkpoint_behind(self) -> None:
        """The WAL's committed pages copied into the state's file (a PASSIVE checkpoint) by a
        thread on a connection of its own, while the caller goes on: the batch is durable
        once COMMIT returns (the WAL is synced: synchronous FULL), the copy only keeps the WAL
        from growing. SQLite's automatic checkpoint did it inside COMMIT: a batch into a
        200,000-document state rewrites nearly every page of the band and lead indexes
        (5,262 pages of 16 KiB, 86 MB: random keys in B-trees), and copying them made COMMIT
        0.27 s instead of 0.09 (#16 point 9). Waited for at the next commit and at close."""
        if self.memory or getattr(self, "db", None) is None:
            return

        def checkpoint(uri: str) -> None:
            try:
                db = sqlite3.connect(uri, uri=True, isolation_level=None)
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    db.close()
            except sqlite3.Error:
                pass  # not copied now: the next batch's checkpoint (or the writer's close) copies it

        self._checkpoint = threading.Thread(target=checkpoint, args=(self._uri,), name="state-checkpoint",
                                            daemon=True)
        self._checkpoint.start()

    def _checkpointed(self) -> None:
        """Wait for the checkpoint _checkpoint_behind started, if any."""
        thread, self._checkpoint = getattr(self, "_checkpoint", None), None
        if thread is not None:
            thread.join()

    def rollback(self) -> None:
        db = getattr(self, "db", None)
        if db is not None and db.in_transaction:
            db.execute("ROLLBACK")
        packer = getattr(self, "packer", None)
        if packer is not None:  # a text dictionary stored in the batch is gone with it
            packer.forget()

    # -- reads and writes the clusterer needs -------------------------------------------

    def batches(self) -> int:
        batch: int = self.db.execute("SELECT coalesce(max(batch), 0) FROM batches").fetchone()[0]
        return batch

    def next_group(self) -> int:
        g: int = self.db.execute("SELECT coalesce(max(g), -1) + 1 FROM groups").fetchone()[0]
        return g

    def add_group(self, g: int, key: str, rid: str, batch: int, canonical: int, day: int | None,
                  screen: bytes) -> None:
        """A new copy group, its own record for now; `rid` is the id its record has while
        this group is the record's oldest; `screen`, the low bytes of its canonical's MinHash."""
        self.db.execute("INSERT INTO groups VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                        (g, _key_in(key), _rid_in(rid), batch, g, canonical, day, screen))

    def head(self, root: int) -> str | None:
        """The id of the document the record shows as its canonical (on its root's row)."""
        head: str | None = self.db.execute("SELECT head FROM groups WHERE g = ?", (root,)).fetchone()[0]
        return head

    def set_head(self, root: int, doc_id: str) -> None:
        self.db.execute("UPDATE groups SET head = ? WHERE g = ?", (doc_id, root))

    def set_canonical(self, g: int, canonical: int, day: int | None, screen: bytes) -> None:
        self.db.execute("UPDATE groups SET canonical = ?, day = ?, screen = ? WHERE g = ?", (canonical, day, screen, g))

    def screen(self, g: int) -> bytes:
        """The low byte of each value of group `g`'s canonical MinHash."""
        (blob,) = self.db.execute("SELECT screen FROM groups WHERE g = ?", (g,)).fetchone()
        return bytes(blob)

    def group(self, g: int) -> tuple[str, int, int, int]:
        """(key, created batch, root, canonical document number)."""
        key, created, root, canonical = self.db.execute(
            "SELECT key, created, root, canonical FROM groups WHERE g = ?", (g,)).fetchone()
        return _key_out(key), created, root, canonical

    def keys_and_canonicals(self, groups: list[int]) -> dict[int, tuple[str, int]]:
        """group -> (key, canonical document number), as `group` gives them, for each of
        `groups`, from one statement (the story window's 3,451 groups at 200,000 documents
        were two statements each)."""
        return {g: (_key_out(key), canonical) for g, key, canonical in self.db.execute(
            f"SELECT g, key, canonical FROM groups WHERE g IN {_LIST}", (_list(groups),))}

    def add_terms(self, rows: list[tuple[int, int, int | None, int, Any]],
                  packed: list[bytes | None] | None = None) -> None:
        """(group, its canonical's row, that canonical's day, batch, its salient terms as
        sign.salient gives them) for each group whose canonical a batch set: the terms
        table's row of the group, replaced. `packed`: each row's terms packed already
        (`packer.pack(terms)`, the same bytes), or None."""
        blobs = packed or [None] * len(rows)
        self.db.executemany("INSERT OR REPLACE INTO terms VALUES (?, ?, ?, ?, ?)",
                            [(g, n, day, batch, self.packer.pack(terms) if blob is None else blob)
                             for (g, n, day, batch, terms), blob in zip(rows, blobs, strict=True)])

    def stored_terms(self, groups: list[int]) -> dict[int, tuple[int, Any]]:
        """group -> (the canonical row its terms are of, those terms) for each of `groups`
        the terms table holds, from one statement."""
        return {g: (n, self.packer.unpack(blob)) for g, n, blob in self.db.execute(
            f"SELECT g, n, terms FROM terms WHERE g IN {_LIST}", (_list(groups),))}

    def clear_terms(self) -> None:
        """Drop every kept row of the terms table (made under other settings: incremental.terms_settings)."""
        self.db.execute("DELETE FROM terms")

    def drop_terms(self, before_batch: int, before_day: int | None) -> None:
        """Drop the terms of groups set before batch `before_batch` whose canonical is
        undated or dated before day `before_day` (None: dated ones stay)."""
        if before_day is None:
            self.db.execute("DELETE FROM terms WHERE batch < ? AND day IS NULL", (before_batch,))
        else:
            self.db.execute("DELETE FROM terms WHERE batch < ? AND (day IS NULL OR day < ?)", (before_batch, before_day))

    def trim_terms(self, per_document: int) -> None:
        """Drop the terms of the earliest batches until the table holds at most
        `per_document` bytes of terms a document of the state (its largest row number: a
        pruned state's bound stays that of the documents it held)."""
        documents = self.db.execute("SELECT coalesce(max(n), 0) FROM docs").fetchone()[0]
        budget = per_document * documents
        (held,) = self.db.execute("SELECT coalesce(sum(length(terms)), 0) FROM terms").fetchone()
        if held <= budget:
            return
        gone = []
        for g, size in self.db.execute("SELECT g, length(terms) FROM terms ORDER BY batch, g"):
            if held <= budget:
                break
            gone.append(g)
            held -= size
        self.db.execute(f"DELETE FROM terms WHERE g IN {_LIST}", (_list(gone),))

    def root(self, g: int) -> int:
        root: int = self.db.execute("SELECT root FROM groups WHERE g = ?", (g,)).fetchone()[0]
        return root

    def join(self, keep: int, gone: int) -> None:
        """Record `gone` becomes part of record `keep` (both roots)."""
        self.db.execute("UPDATE groups SET root = ? WHERE root = ?", (keep, gone))

    def groups_of(self, root: int) -> list[int]:
        return [g for (g,) in self.db.execute("SELECT g FROM groups WHERE root = ? ORDER BY g", (root,))]

    def lead_groups(self, names: list[str]) -> set[int]:
        """Groups whose canonical has one of `names` in its title or lead, whenever (the
        leads table alone, through its key; the caller intersects it with `window`: 0.024 CPU
        s against 0.10-0.13 for the join with the groups table it replaced (state-17), for the
        state bench's probe batch against 200,000 documents, 3,390 names, 28,491 lead rows,
        the same 2,029 groups)."""
        if not names:
            return set()
        return {g for (g,) in self.db.execute(f"SELECT g FROM leads WHERE key IN {_LIST}",
                                              (_list([term_key(t) for t in names]),))}

    def record_groups(self, groups: list[int]) -> set[int]:
        """Every group of the records `groups` are in (through groups' root index alone; the
        caller intersects it with `window`)."""
        if not groups:
            return set()
        return {g for (g,) in self.db.execute(
            f"SELECT g FROM groups WHERE root IN (SELECT root FROM groups WHERE g IN {_LIST})", (_list(groups),))}

    def window(self, first_day: int | None, last_day: int | None, since_batch: int) -> list[int]:
        """Groups whose canonical is dated within [first_day, last_day], or that were
        created in batch `since_batch` or later."""
        rows: set[int] = set()
        if first_day is not None:
            rows.update(g for (g,) in self.db.execute(
                "SELECT g FROM groups WHERE day BETWEEN ? AND ?", (first_day, last_day)))
        rows.update(g for (g,) in self.db.execute("SELECT g FROM groups WHERE created >= ?", (since_batch,)))
        return sorted(rows)

    def exact(self, key: str) -> int | None:
        row = self.db.execute("SELECT g FROM exact WHERE key = ?", (_key_in(key),)).fetchone()
        return row[0] if row else None

    def add_exact(self, key: str, g: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO exact VALUES (?, ?)", (_key_in(key), g))

    def add_bands(self, keys: list[int], g: int) -> None:
        self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", [(band_row(k), g) for k in keys])

    def add_band_rows(self, rows: np.ndarray, groups: np.ndarray) -> None:
        """add_bands for many groups: band row `rows[i]` (band_row of a key) of group
        `groups[i]`, inserted in the table's order."""
        order = np.lexsort((groups, rows))
        self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)",
                            zip(map(int, rows[order]), map(int, groups[order])))

    def band_groups(self, keys: list[int]) -> set[int]:
        marks = ",".join("?" * len(keys))
        return {g for (g,) in self.db.execute(f"SELECT g FROM bands WHERE key IN ({marks})",
                                              [band_row(k) for k in keys])}

    def band_screens(self, keys: list[int]) -> dict[int, bytes | None]:
        """The groups with any of these band keys (as `band_groups`), each with its screen
        (as `screen`; None for a group this batch added whose row is not written yet): one
        query, where asking `screen` a candidate at a time was one a candidate (21,742 for
        the state bench's 1,000-document probe against 50,000 documents)."""
        marks = ",".join("?" * len(keys))
        return {g: None if screen is None else bytes(screen) for g, screen in self.db.execute(
            f"SELECT DISTINCT bands.g, groups.screen FROM bands LEFT JOIN groups ON groups.g = bands.g "
            f"WHERE bands.key IN ({marks})", [band_row(k) for k in keys])}

    def band_screens_all(self, queries: list[list[int]]) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """`band_screens` of each list of keys, in order, from two statements for all of
        them (the band rows of every key, then the screens of every group found), as arrays:
        (the groups found, those of them with a screen, their screens: a uint8 row each;
        none held when their screens' lengths differ, as StateIndex._count counts none). A
        batch's 1,000 queries against 200,000 documents took 0.55-0.63 CPU s one by one,
        0.19-0.25 as dicts, and a query's groups, screens and counts are arrays here: no
        Python object a band row or a group (state-22; ~90,000 candidates)."""
        mine = [_band_rows(keys) for keys in queries]
        wanted = np.unique(np.concatenate(mine)) if mine else np.zeros(0, dtype=np.int64)
        found = np.array(self.db.execute(f"SELECT key, g FROM bands WHERE key IN {_LIST}",
                                         (_list(wanted.tolist()),)).fetchall(), dtype=np.int64).reshape(-1, 2)
        order = np.lexsort((found[:, 1], found[:, 0]))
        rows, holders = found[order, 0], found[order, 1]
        stored = self.db.execute(f"SELECT g, screen FROM groups WHERE g IN {_LIST}",
                                 (_list(np.unique(holders).tolist()),)).fetchall()
        stored.sort()
        held = np.array([g for g, _ in stored], dtype=np.int64)
        lengths = np.array([len(screen) for _, screen in stored], dtype=np.int64)
        width = int(lengths.max()) if len(stored) else 0
        same = bool(len(stored)) and bool((lengths == width).all())
        if same:
            screens = np.frombuffer(b"".join(screen for _, screen in stored), dtype=np.uint8).reshape(len(stored), width)
        else:  # screens of several lengths (a state changed by hand): each padded to the longest
            screens = np.zeros((len(stored), width), dtype=np.uint8)
            for i, (_, screen) in enumerate(stored):
                screens[i, :len(screen)] = np.frombuffer(screen, dtype=np.uint8)
        for keys in mine:
            first = np.searchsorted(rows, keys, "left")
            sizes = np.searchsorted(rows, keys, "right") - first
            at = np.repeat(first - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
            groups = np.unique(holders[at])
            where = np.searchsorted(held, groups)
            has = where < len(held)
            has[has] = held[where[has]] == groups[has]
            where = where[has]
            if len(where) and not same and len(np.unique(lengths[where])) != 1:
                where = where[:0]  # screens of several lengths: none counted (StateIndex._count)
            yield groups, held[where], screens[where, :int(lengths[where][0]) if len(where) else 0]

    def add_leads(self, names: list[str], g: int) -> None:
        self.db.executemany("INSERT OR IGNORE INTO leads VALUES (?, ?)", [(term_key(t), g) for t in names])

    def add_doc(self, doc_id: str, g: int, batch: int, date: str | None, member: Any, slim: Document,
                text: str | None, packed: tuple[bytes, bytes | None, bytes | None] | None = None) -> int:
        """`slim`'s id is `doc_id` (the row keeps it once); `text` is compressed with the
        dictionary of `slim`'s language, and a row with its text keeps no FROM_TEXT features
        (they come back as None: restore_member signs them again). `packed`: `slim` packed
        already (`packer.pack_doc(slim, with_text=text is not None)`) and `text` too (or
        None: packed here), the same bytes."""
        doc, packed_text = packed[:2] if packed is not None else (None, None)
        if doc is None:
            doc = self.packer.pack_doc(slim, with_text=text is not None)
        if packed_text is None and text is not None:
            packed_text = self.packer.pack_text(text, slim.lang)
        cur = self.db.execute("INSERT INTO docs(id, g, batch, date, member, doc, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (doc_id, g, batch, date, self.packer.pack(member), doc, packed_text))
        assert cur.lastrowid is not None  # an INSERT into a rowid table always sets it
        return cur.lastrowid

    def set_member(self, n: int, member: Any) -> None:
        self.db.execute("UPDATE docs SET member = ? WHERE n = ?", (self.packer.pack(member), n))

    def held_ids(self, ids: list[str]) -> set[str]:
        """Which of `ids` the state's documents hold, in one statement."""
        return {i for (i,) in self.db.execute(f"SELECT DISTINCT id FROM docs WHERE id IN {_LIST}", (json.dumps(ids),))}

    def known_doc(self, doc_id: str, exact: str) -> int | None:
        """The row of a document with this id and these words (exact key), if the state
        holds one."""
        for n, blob in self.db.execute("SELECT n, doc FROM docs WHERE id = ? ORDER BY n", (doc_id,)):
            doc = self.packer.unpack_doc(blob, doc_id)
            if doc.features is not None and doc.features.exact == exact:
                row: int = n
                return row
        return None

    def doc_group(self, n: int) -> int:
        g: int = self.db.execute("SELECT g FROM docs WHERE n = ?", (n,)).fetchone()[0]
        return g

    def doc(self, n: int) -> tuple[Any, Any, str]:
        """(member tuple, slim document, text: '' unless it was a canonical; with its text,
        the slim document's FROM_TEXT features are None)."""
        doc_id, member, doc, text = self.db.execute("SELECT id, member, doc, text FROM docs WHERE n = ?",
                                                    (n,)).fetchone()
        return self.packer.unpack(member), self.packer.unpack_doc(doc, doc_id), self.packer.unpack_text(text)

    def canonicals(self, groups: list[int]) -> list[tuple[int, str, int, Any, Document, str]]:
        """(group, its key, its canonical's row, that row's member tuple, slim document and
        text: as `group` and `doc` give them) for each of `groups`, in that order, from one
        statement."""
        found = {g: row for g, *row in self.db.execute(
            "SELECT groups.g, groups.key, docs.n, docs.id, docs.member, docs.doc, docs.text FROM groups "
            f"JOIN docs ON docs.n = groups.canonical WHERE groups.g IN {_LIST}", (_list(groups),))}
        out = []
        for g in groups:
            key, n, doc_id, member, doc, text = found[g]
            out.append((g, _key_out(key), n, self.packer.unpack(member), self.packer.unpack_doc(doc, doc_id),
                        self.packer.unpack_text(text)))
        return out

    def canonical_texts(self, groups: list[int]) -> list[str]:
        """The text of each of `groups`' canonicals, in that order, from one statement: what
        the copy tier compares a candidate by (its shingles), without the row's other
        columns (StateGroups.read_ahead: a candidate is read whole only if a document
        joins it)."""
        found = dict(self.db.execute(
            f"SELECT groups.g, docs.text FROM groups JOIN docs ON docs.n = groups.canonical WHERE groups.g IN {_LIST}",
            (_list(groups),)))
        return [self.packer.unpack_text(found[g]) for g in groups]

    def slim_doc(self, n: int) -> Document:
        """Document `n`'s slim copy alone (no member tuple, no text; FROM_TEXT features
        None if its row keeps a text)."""
        doc_id, blob = self.db.execute("SELECT id, doc FROM docs WHERE n = ?", (n,)).fetchone()
        return self.packer.unpack_doc(blob, doc_id)

    def record_canonicals(self, root: int) -> list[tuple[int, int]]:
        """(group, its canonical document's number) for every group of record `root`, in group order."""
        return [(g, n) for g, n in self.db.execute(
            "SELECT g, canonical FROM groups WHERE root = ? ORDER BY g", (root,))]

    def groups_holding(self, root: int, doc_id: str) -> list[int]:
        """The groups of record `root` that hold a document with id `doc_id` (its head:
        the group whose canonical the record shows; once a group's canonical, a document
        stays in its group), in group order. Through docs' id index: the record's other
        groups are not read."""
        return [g for (g,) in self.db.execute(
            "SELECT DISTINCT docs.g FROM docs JOIN groups ON groups.g = docs.g WHERE docs.id = ? AND groups.root = ? "
            "ORDER BY docs.g", (doc_id, root))]

    def docs_of(self, g: int) -> list[tuple[int, Any, Any, str]]:
        return [(n, self.packer.unpack(m), self.packer.unpack_doc(d, i), self.packer.unpack_text(t))
                for n, i, m, d, t in self.db.execute("SELECT n, id, member, doc, text FROM docs WHERE g = ? ORDER BY n", (g,))]

    def add_events(self, events: list[dict[str, Any]]) -> None:
        self.db.executemany("INSERT INTO events(batch, record_id, event, detail) VALUES (?, ?, ?, ?)",
                            [(e["batch"], _rid_in(e["record_id"]), e["event"],
                              json.dumps({k: v for k, v in e.items() if k not in ("batch", "record_id", "event")},
                                         ensure_ascii=False, sort_keys=True)) for e in events])

    # -- inspection ----------------------------------------------------------------------

    def events_of(self, record_id: str) -> list[dict[str, Any]]:
        return [{"batch": b, "event": e, "record_id": record_id, **json.loads(d)} for b, e, d in self.db.execute(
            "SELECT batch, event, detail FROM events WHERE record_id = ? ORDER BY n", (_rid_in(record_id),))]

    def pruned(self, some_id: str) -> str | None:
        """The record an id was in, when the events name it and the state no longer holds
        it (a `prune` removed it: events stay); a scan of the events, for `show`'s "not in
        state" only."""
        if some_id.startswith("rec-"):
            known = self.db.execute("SELECT 1 FROM events WHERE record_id = ? LIMIT 1", (_rid_in(some_id),)).fetchone()
            if known:
                return some_id
            # else a document's id that starts with rec- too (as show_state looks it up)
        row = self.db.execute("SELECT record_id FROM events WHERE event IN ('created', 'member_added') AND "
                              "json_extract(detail, '$.document') = ? ORDER BY n DESC LIMIT 1", (some_id,)).fetchone()
        if row is None:
            return None
        return _rid_out(row[0])

    def last_event(self) -> int:
        """The number of the last event recorded (0: none); events are numbered in order."""
        n: int = self.db.execute("SELECT coalesce(max(n), 0) FROM events").fetchone()[0]
        return n

    def events_after(self, n: int) -> list[dict[str, Any]]:
        """The events recorded after event `n`, in order (through the table's key: a state's
        earlier events are not read)."""
        return [{"batch": b, "event": e, "record_id": _rid_out(r), **json.loads(d)} for b, e, r, d in self.db.execute(
            "SELECT batch, event, record_id, detail FROM events WHERE n > ? ORDER BY n", (n,))]

    def roots(self) -> Iterator[int]:
        yield from (g for (g,) in self.db.execute("SELECT DISTINCT root FROM groups ORDER BY root"))

    def root_of_record(self, rid: str) -> int | None:
        """The record that has (or, merged into another, had) the id `rid`."""
        row = self.db.execute("SELECT root FROM groups WHERE rid = ? ORDER BY g LIMIT 1", (_rid_in(rid),)).fetchone()
        return row[0] if row else None

    def roots_since(self, iso_day: str) -> list[int]:
        return [r for (r,) in self.db.execute(
            "SELECT DISTINCT groups.root FROM docs JOIN groups ON docs.g = groups.g WHERE docs.date >= ? "
            "ORDER BY groups.root", (iso_day,))]

    def root_of_doc(self, doc_id: str) -> int | None:
        row = self.db.execute("SELECT groups.root FROM docs JOIN groups ON docs.g = groups.g WHERE docs.id = ? "
                              "ORDER BY docs.n LIMIT 1", (doc_id,)).fetchone()
        return row[0] if row else None

    def renamed_ids(self, doc_id: str, limit: int = 6) -> list[str]:
        """Ids `doc_id@...`: inputs of one batch that shared `doc_id`, renamed."""
        return [i for (i,) in self.db.execute("SELECT DISTINCT id FROM docs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                                              (doc_id + "@", doc_id + "A", limit))]

    def similar_ids(self, typed: str) -> list[str]:
        """Ids a user may have meant by `typed`, which names nothing here: a document given
        as its input file's path (`raw/wires/a.txt`, what a shell completes) or by its bare
        name (`a`), a record id cut short (`rec-dbfc`). For an error's hint only: it reads
        every id (a few hundred ms at 200,000 documents)."""
        from cleaner.input.read import meant_id  # the rule a run folder's `show` uses

        meant = meant_id(typed)
        found = {i for (i,) in self.db.execute("SELECT DISTINCT id FROM docs") if meant(i)}
        if typed.startswith("rec-"):
            found |= {rid for rid in (_rid_out(r) for (r,) in self.db.execute("SELECT DISTINCT rid FROM groups"))
                      if rid.startswith(typed)}
        return sorted(found - {typed})

    def info(self) -> dict[str, Any]:
        def one(sql: str) -> Any:
            return self.db.execute(sql).fetchone()[0]

        size = 0 if self.memory else sum(os.path.getsize(p) for p in (self.path, self.path + "-wal")
                                         if os.path.exists(p))
        return {"path": self.path, "schema": int(self.meta("schema") or 0), "batches": one("SELECT count(*) FROM batches"),
                "documents": one("SELECT count(*) FROM docs"), "copy_groups": one("SELECT count(*) FROM groups"),
                "records": one("SELECT count(DISTINCT root) FROM groups"), "events": one("SELECT count(*) FROM events"),
                "first_date": one("SELECT min(date) FROM docs"), "last_date": one("SELECT max(date) FROM docs"),
                "bytes": size}

    def prune(self, before: str, compact: bool = True) -> tuple[int, int]:
        """Remove records every document of which is dated before the day `before`
        (YYYY-MM-DD; a record with an undated document, or one dated on or after it, stays
        whole); returns (records, documents) removed. One transaction; then the file is made
        smaller (`compact`; else the caller does it: State.compact)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            # Dates compare as text: documents keep ISO dates, and an undated one counts
            # as later than any day, so its record is never pruned ('9999-99-99', not '9999',
            # which sorts before '9999-12-31': `--before 9999-12-31` removed undated records).
            roots = [r for (r,) in self.db.execute(
                "SELECT groups.root FROM groups JOIN docs ON docs.g = groups.g GROUP BY groups.root "
                "HAVING max(coalesce(substr(docs.date, 1, 10), '9999-99-99')) < ? ORDER BY groups.root", (before,))]
            # Every pruned record's groups at once: the bands and leads tables are keyed by
            # (key, g), so a delete by group scans the whole table; one delete a record
            # scanned it once a record (a 200,000-document state's 3,875 band pages, for
            # each of tens of thousands of records: still running after 13 minutes).
            groups = (_list([g for (g,) in self.db.execute(
                f"SELECT g FROM groups WHERE root IN {_LIST} ORDER BY g", (_list(roots),))]),)
            docs = self.db.execute(f"DELETE FROM docs WHERE g IN {_LIST}", groups).rowcount
            for table in ("exact", "bands", "leads", "terms", "groups"):
                self.db.execute(f"DELETE FROM {table} WHERE g IN {_LIST}", groups)
            self.db.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise
        if roots and compact:
            self.compact()
        return len(roots), docs

    def copy_to(self, target: Path) -> None:
        """A consistent copy of the state as this reader sees it (the batches committed when
        it opened) in `target`, a file that must not exist. SQLite's backup API in one step,
        inside this reader's read transaction, so a run writing the state meanwhile cannot tear
        the copy (a file copy of STATE and its -wal can catch a checkpoint half done). Written
        under a temporary name beside `target`, then linked to it (on a disk without hard
        links, FAT or exFAT, copied into a file made there exclusively): a file that appears
        there meanwhile is never replaced. A -wal, -shm or -journal file already named after
        `target` is refused too: SQLite would replay that journal into the copy when it opens it."""
        def exists(path: Path) -> StateError:
            return StateError(f"{path} exists: not overwritten (choose another name for the copy)")

        if not target.parent.is_dir():
            raise StateError(f"cannot copy to {target}: no folder {target.parent}")
        # -journal too: a rollback journal left by another program's crash is replayed into
        # the copy as a -wal is (the copy read "not a cleaner state", and a writer's opening
        # left it malformed).
        for path in (target, *(Path(f"{target}{suffix}") for suffix in JOURNALS)):
            if os.path.lexists(path):
                raise exists(path)
        # A name SQLite gives a state's journal (`s.db-wal` beside `s.db`): the copy would be
        # read as that state's WAL the next time the state opens, and lost in its checkpoint.
        state = companion_of(target)
        if state is not None:
            raise StateError(f"{target} is the name of state {state}'s {COMPANIONS[target.name[len(state.name):]]}: "
                             "choose another name for the copy")
        # A copy is a state: its lock file (COPY.lock) and WAL (COPY-wal, COPY-shm) are made
        # beside it. A name with no room for them was copied, then refused by every verb: a
        # writer's "File name too long", a reader's "is not a cleaner state" (review-25).
        if len(os.fsencode(target.name)) > _NAME_MAX - len(".lock"):
            raise StateError(f"cannot copy to {target}: its name is too long for a state "
                             f"({len(os.fsencode(target.name))} bytes; its lock file {target.name}.lock would pass "
                             f"the file system's {_NAME_MAX}): choose a name of {_NAME_MAX - len('.lock')} bytes or fewer")
        # Named after the copy, so that a leftover says what it was, unless that name would pass
        # NAME_MAX (255 bytes) with SQLite's "-journal": a name the user may give is then refused.
        # The thread's id too: two threads of a process copying into one folder (review-25).
        own = f"{os.getpid()}-{threading.get_native_id()}"
        temporary = target.with_name(f".{target.name}.cleaner-copy-{own}")
        if len(os.fsencode(temporary.name)) > _NAME_MAX - len("-journal"):
            temporary = target.with_name(f".cleaner-copy-{own}")
        try:
            copy = sqlite3.connect(temporary)
            try:
                self.db.backup(copy)  # pages=-1: one step, one snapshot
            finally:
                copy.close()  # its journal goes with it: the copy is one file
            try:
                os.link(temporary, target)  # fails if target appeared meanwhile, never replaces it
            except FileExistsError:
                raise exists(target) from None
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
                _copy_new(temporary, target, exists)
        finally:
            for leftover in (temporary, *(Path(f"{temporary}{suffix}") for suffix in JOURNALS)):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)

    def compact(self) -> None:
        """The pages a prune freed handed back to the disk (VACUUM: the file written again)."""
        if not self.memory:
            self.db.execute("VACUUM")
