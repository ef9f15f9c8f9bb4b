"""Read inputs into Documents: a folder (recursive), a single file, or dicts from the API.

Every input becomes a Document, including the ones that cannot be used: those are
rejected here with a reason, so nothing disappears between raw/ and clean/.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import numbers
import os
import sys
import re
import stat
import unicodedata
import zlib
from collections import Counter
import io
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Iterator, Protocol, TypeVar, cast

from cleaner.core.dates import normalise_date
from cleaner.core.document import MAX_ID_CHARS, Document, short_id
from cleaner.input.latin import best_codepage, is_latin
# Re-exported ("as"): read.list_inputs is where progress.py and tests find it.
from cleaner.input.walk import Exclude as Exclude, list_inputs as list_inputs

if TYPE_CHECKING:
    from cleaner.core.config import Config

HTML_EXTS = {".html", ".htm"}
RECORD_EXTS = {".json", ".jsonl"}
TEXT_FIELDS = ("text", "html")
META_FIELDS = ("title", "date", "url", "site")  # optional, strings
AUTHOR = "author"  # optional string; kept out of META_FIELDS, which name rejected API items (read_dicts)
# Every key an input object may carry; any other is noted in meta.unread_fields, not dropped unsaid.
READ_KEYS = frozenset({"id", *TEXT_FIELDS, *META_FIELDS, AUTHOR})
_UNREAD_SHOWN = 10
_KEY_SHOWN = 40  # characters of an unread key named
GZIP = ".gz"
# What a broken or truncated .gz raises while it is being read.
_GZIP_ERRORS = (OSError, EOFError, zlib.error)
_SURROGATE = re.compile("[\ud800-\udfff]")


# Byte order marks that name an encoding (UTF-8's is read by utf-8-sig).
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode_bytes(data: bytes) -> tuple[str | None, str]:
    """Text and the encoding used, or (None, reason) when the bytes are not text."""
    if not data.strip():
        return None, "empty file"
    # UTF-32's before UTF-16's: FF FE opens both. FF FE 00 00 that is not UTF-32 is tried
    # as UTF-16 next (a UTF-16LE text whose first character is U+0000).
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                pass
    # A file cut short (a download stopped mid-character) that no BOM's encoding read whole:
    # its whole characters, and U+FFFD for the bytes that make none, as a decoder replacing
    # errors writes (it was "binary or undecodable" for one stray byte).
    for bom, encoding in _BOMS:
        whole = len(data) - len(data) % (4 if encoding == "utf-32" else 2)
        if data.startswith(bom) and whole < len(data):
            try:
                return data[:whole].decode(encoding) + "\ufffd", encoding
            except UnicodeDecodeError:
                pass
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        # UTF-16 without a BOM is valid UTF-8 too when its bytes are all below 0x80
        # (Cyrillic: 1F 04 40 04 ...): read as UTF-8 it is control codes between letters.
        sample = text[:_SAMPLE]
        if len(_CONTROL.findall(sample)) * 10 > len(sample) and (wide := _utf16_without_bom(data)):
            return wide
        if "\x1b$" in sample:  # ISO-2022-JP/-KR (mail-era Japanese, Korean): 7 bits, escapes
            for enc in ("iso2022_jp", "iso2022_jp_ext", "iso2022_kr"):
                try:
                    return data.decode(enc), enc
                except UnicodeDecodeError:
                    pass
        return text, "utf-8"
    mixed = _mixed_utf8(data)
    if mixed is not None:
        return mixed
    return _legacy(data)


def _mixed_utf8(data: bytes) -> tuple[str, str] | None:
    """A file of UTF-8 lines and lines in a legacy code page (files of both joined with
    `cat`): each line in its own encoding, "utf-8+cp1252". Read whole as one code page,
    its UTF-8 letters came out as mojibake ("PremiÃ¨re"). A line of a legacy text is
    hardly ever valid UTF-8 with a non-ASCII letter (é is E9, which UTF-8 never follows
    with an ASCII byte), so one such line says the file holds UTF-8. None: not mixed."""
    lines = data.split(b"\n")
    utf8 = [_utf8(line) for line in lines]  # each line decoded once: None where it is not UTF-8
    if all(text is not None for text in utf8):
        return None
    # Evidence of UTF-8: 3+ letters of 2-4 bytes on the lines that read as UTF-8 (a legacy
    # line or two that happen to read as UTF-8 hold one or two).
    letters = sum(len(line) - len(text) for line, text in zip(lines, utf8) if text is not None)
    if letters < 3:
        return None
    rest = b"\n".join(line for line, text in zip(lines, utf8) if text is None)
    legacy = _legacy(rest)
    # Only a code page of one byte a letter (Latin, Cyrillic, Greek...): lines of a CJK
    # multi-byte one read as UTF-8 more often, and are left to it whole.
    if legacy[0] is None or len(legacy[0]) != len(rest):
        return None
    encoding = legacy[1]
    try:
        whole = "\n".join(line.decode(encoding) if text is None else text for line, text in zip(lines, utf8))
    except (UnicodeDecodeError, LookupError):
        return None
    return whole.removeprefix("\ufeff"), f"utf-8+{encoding}"


def _utf8(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _legacy(data: bytes) -> tuple[str | None, str]:
    """Bytes that are not UTF-8: charset-normalizer's guess, Latin code pages by letters."""
    # Imported lazily: most inputs are UTF-8 and never need it.
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None, "binary or undecodable content (no text encoding fits)"
    if is_latin(best.encoding):
        # Latin code pages often tie in its scores: the letters decide (input/latin.py).
        return best_codepage(data, best.encoding, str(best))
    return str(best), best.encoding


_SAMPLE = 100_000  # characters looked at to tell text from control codes
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) when `data` reads as UTF-16, little- or big-endian, without control
    codes and with 95% of its characters in three blocks of 256 (ASCII and an alphabet's
    one or two); of the two, the one in fewer blocks: the other byte order scatters every
    letter into a block of its own."""
    if len(data) % 2:
        return None
    fits = []
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:  # a lone surrogate
            continue
        sample = text[:_SAMPLE]
        blocks = Counter(ord(ch) >> 8 for ch in sample).most_common()
        # An alphabet's text: ASCII and its script's block or two, hardly a control code.
        if len(_CONTROL.findall(sample)) * 100 <= len(sample) and sum(n for _, n in blocks[:3]) * 20 >= len(sample) * 19:
            fits.append((len(blocks), enc, text))
    if not fits:
        return None
    _, enc, text = min(fits)
    return text, enc


def line_breaks(text: str) -> str:
    """A document's text with Unicode's line and paragraph separators (U+2028, U+2029: a
    JavaScript or CMS export's line breaks) as \\n. Lines are split at \\n alone, so a text
    whose lines they ended was one line to the rules and kept its boilerplate ("Subscribe
    to our newsletter"), where the same text with \\n or \\r lost it. The text only: ids
    and names keep them (scrub), so no two of those meet and no id changes."""
    if "\u2028" in text or "\u2029" in text:
        return text.replace("\u2028", "\n").replace("\u2029", "\n")
    return text


def _encodes(text: str) -> bool:
    """Does `text` encode as UTF-8, i.e. hold no surrogate?"""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def scrub(text: str) -> str:
    """Text any JSON writer accepts: no NUL, no lone surrogates, newlines only as \\n, NFC."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Lone surrogates (from JSON escapes or undecodable file names) cannot be written as
    # UTF-8; each becomes U+FFFD. Looked for only in a text that may hold one: an ASCII
    # text holds none (isascii reads a flag) and is NFC already; strict UTF-8 refuses
    # surrogates alone, so a text that encodes holds none either. Every record's text and
    # fields pass here: ~6 µs less a 3 KB record (#18, cpu-28).
    if text.isascii():  # no surrogate, and NFC already
        return text
    if not _encodes(text):
        text = _SURROGATE.sub("\ufffd", text)
    # One Unicode form (NFC) for everything: the same word typed with combining marks or
    # precomposed must compare equal in rules, shingles and exact keys.
    return unicodedata.normalize("NFC", text)


P = TypeVar("P", bound=PurePath)  # a local Path, or a URL's PurePosixPath (input/urls.py)


class _LineReader(Protocol):
    """An open binary stream read line by line: a file, a gzip file, stdin, an fsspec file."""

    def readline(self, size: int, /) -> bytes: ...


def rel_name(rel: PurePath) -> str:
    """A relative path as the posix string the output names it by. Bytes of a name that
    are not UTF-8 are written as escapes (caf\\xe9.txt), not as U+FFFD, which would give
    caf\xe9.txt and caf\xe8.txt one name: the output could not say which file is which."""
    return scrub(escaped_name(rel.as_posix()))


def escaped_name(name: str) -> str:
    """A name from the file system or the command line (os.fsdecode's surrogateescape: a
    byte that is not UTF-8 is a lone surrogate, which UTF-8 cannot write) with such bytes
    as escapes (in\\xff). Used for sources (rel_name) and the manifest's paths: an input
    folder named so made a finished run fail to write its outputs (a traceback)."""
    if not _SURROGATE.search(name):
        return name
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no byte stands for (not from a file name)
        return _SURROGATE.sub("\ufffd", name)


def meant_id(typed: str) -> Callable[[str], bool]:
    """Whether a document id is what a user most likely meant by `typed`, which names no
    document: the input file's path as a shell completes it (`raw/wires/a.txt.gz`), its
    path under the input folder, its bare name with or without its extension (`a.txt`,
    `a`), or the id cut short (`base-00000`, copied from a narrow column). One rule for
    `show` in a run folder (inspect/runs.py) and in a state (store/state.py), which had a
    copy each that differed (a state missed a .gz, a folder `a.txt`)."""
    forms = {typed}
    try:
        forms.add(doc_id_for(PurePosixPath(typed)))  # as the file's id is made from its path
    except ValueError:  # no name to strip a suffix from ("", "/", "..")
        pass
    tails = {"/".join(parts[i:]) for parts in (f.split("/") for f in forms) for i in range(len(parts))} - {""}
    ends = tuple("/" + f for f in forms if f)
    return lambda doc_id: doc_id != typed and (doc_id in tails or doc_id.endswith(ends)
                                               or (typed != "" and doc_id.startswith(typed)))


def logical(rel: P) -> P:
    """The name an input is read as: "feed.jsonl.gz" is read as "feed.jsonl"."""
    return rel.with_suffix("") if rel.suffix.lower() == GZIP else rel


def is_jsonl(source: str) -> bool:
    """Whether an input named `source` is read as JSONL (one record a line)."""
    return logical(PurePath(source)).suffix.lower() == ".jsonl"


def doc_id_for(rel: PurePath) -> str:
    return rel_name(logical(rel).with_suffix(""))


_GzipBase: Any = getattr(gzip, "_GzipReader", None)  # gzip.open's reader (CPython 3.8-3.13)


if _GzipBase is not None:
    class _GzipTail(_GzipBase):  # type: ignore[misc]  # gzip's private class: untyped
        """gzip.open's reader, except that data after the last member that is not gzip ends
        the file, as gunzip reads it ("trailing garbage ignored"), instead of failing on it:
        a file's text (or a feed's lines) before it was rejected whole, "Not a gzipped file"
        (a file that does not open as gzip, or a damaged member, still fails)."""

        def __init__(self, fp: BinaryIO) -> None:
            super().__init__(fp)
            self.file, self.members, self.trailing = fp, 0, False

        def _read_gzip_header(self) -> bool:
            try:
                found: bool = super()._read_gzip_header()
            except gzip.BadGzipFile:
                if not self.members:
                    raise
                self.trailing = True
                return False
            self.members += found
            return found

        def close(self) -> None:
            try:
                super().close()
            finally:
                self.file.close()


TRAILING = "data after the end of the gzip data, which is not gzip, was not read"


def gunzip(raw: BinaryIO) -> io.BufferedIOBase:
    """The data of the open .gz `raw` as gunzip reads it (_GzipTail), closing `raw` with it:
    a folder's file (_open) and a URL's (input/urls.py) alike, so that naming a folder by a
    file:// URL reads the same documents."""
    if _GzipBase is None:
        return gzip.open(raw, "rb")  # a GzipFile, which leaves raw open
    return io.BufferedReader(_GzipTail(raw))


def _open(path: Path) -> io.BufferedIOBase:
    if path.suffix.lower() != GZIP:
        return open(path, "rb")
    if _GzipBase is None:
        return gzip.open(path, "rb")
    raw = open(path, "rb")
    try:
        return gunzip(raw)
    except BaseException:
        raw.close()
        raise


def too_large(max_bytes: int) -> str:
    """Why a record (a JSONL line, an API item) is rejected for its size: one wording."""
    return f"record too large: over {max_bytes} bytes (read.max_file_bytes)"


def _trailing(fh: Any) -> bool:
    """Whether `fh` (_open's) is a .gz that ended at data that is not gzip (_GzipTail)."""
    return bool(getattr(getattr(fh, "raw", None), "trailing", False))


def _read_limited(path: Path, max_bytes: int) -> tuple[bytes, bool]:
    """The file's bytes (decompressed for .gz), or ValueError past max_bytes: a small
    .gz can hold gigabytes; and whether a .gz ended at data that is not gzip (_GzipTail)."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"file too large: {size} bytes (read.max_file_bytes = {max_bytes})")
    # In chunks: read(max_bytes + 1) would reserve that much memory up front, whatever
    # the file's size.
    chunks, total = [], 0
    with _open(path) as fh:
        while total <= max_bytes and (chunk := fh.read(min(1 << 22, max_bytes + 1 - total))):
            chunks.append(chunk)
            total += len(chunk)
        trailing = _trailing(fh)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise ValueError(f"file too large: over {max_bytes} bytes once decompressed (read.max_file_bytes)")
    return data, trailing


def _unreadable(path: PurePath, exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError) and os.path.islink(path):
        return f"broken symlink (points to {os.readlink(path)})"
    return unreadable(path, exc)


def unreadable(name: PurePath, exc: BaseException) -> str:
    """Why the file `name` could not be read (a folder's, or a URL's: input/urls.py, so
    that a folder named by a file:// URL gives the same rows)."""
    if name.suffix.lower() == GZIP and not isinstance(exc, PermissionError):
        return f"not a readable gzip file: {exc}"
    return f"cannot read file: {getattr(exc, 'strerror', None) or exc}"


def _field(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return scrub(value) if isinstance(value, str) and value.strip() else None


def _wrong_type(obj: dict[str, Any], key: str) -> str | None:
    """Why a field that should be a string is not used ("int, not a string: 5"), or None
    when it is a string or absent (null counts as absent)."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return None
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return f"{json_type(value)}, not a string: {scrub(shown[:40])}{'...' if len(shown) > 40 else ''}"


_JSON_TYPES = {type(None): "null", bool: "boolean", int: "number", float: "number", str: "string",
               list: "array", dict: "object"}


def whole_number(value: Any) -> Any:
    """7.0 as 7 (pandas writes an integer column holding a gap as floats), so that an id or
    label 7.0 is the 7 it stands for; any other value as it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def json_type(value: Any) -> str:
    """A value's type as JSON names it ("null", "array"), for a feed's user; an API item's
    other Python objects by their class's name."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _note_wrong_types(doc: Document, obj: dict[str, Any], keys: Iterable[str]) -> None:
    """A field of the wrong type is noted, never dropped without a word: in `<field>_ignored`,
    which no later stage writes (`meta[field]` says where a field's value came from, and
    is set again when the text gives one)."""
    for key in keys:
        problem = _wrong_type(obj, key)
        if problem:
            doc.meta[f"{key}_ignored"] = f"input field of type {problem}"


def _note_unread(doc: Document, obj: dict[str, Any]) -> None:
    """Keys cleaner does not read ("tags", "body") are named in `meta.unread_fields`: a
    field spelt otherwise than cleaner expects is not lost without a word."""
    unread = sorted(_key_name(scrub(str(k))) for k in obj if k not in READ_KEYS)
    if unread:
        more = len(unread) - _UNREAD_SHOWN
        doc.meta["unread_fields"] = ", ".join(unread[:_UNREAD_SHOWN]) + (f" and {more} more" if more > 0 else "")


def _key_name(key: str) -> str:
    """A key as the note names it: as written when it reads as itself; quoted with escapes
    when it is empty, blank-edged, or holds a control or format character (a newline, ESC,
    a bidi override: raw, they broke `cleaner show`'s lines or drove the terminal); cut at
    40 characters with an ellipsis (a cut key was named as if it were whole). Python's repr
    quotes and escapes: letters of any script stay as they are."""
    cut = key[:_KEY_SHOWN] + ("\u2026" if len(key) > _KEY_SHOWN else "")
    readable = key and key == key.strip() and key.isprintable() and "," not in key
    return cut if readable else repr(cut)


def _holds_records(value: Any) -> int:
    """How many records (objects with a 'text' or 'html') `value` holds: an object, or a list."""
    items = value if isinstance(value, list) else [value]
    return sum(isinstance(x, dict) and any(k in x for k in TEXT_FIELDS) for x in items)


def _fields_instead(obj: dict[str, Any]) -> str:
    """What a record without either text field holds instead: a news API's response
    ({"status": "ok", "articles": [...]}) or a record with "content" or "body" was rejected
    as "no non-empty 'text' or 'html' field" alone, on every line, without a word of why."""
    for key, value in obj.items():
        if (n := _holds_records(value)):
            return (f"its {_key_name(scrub(str(key)))!r} holds {n} record{'' if n == 1 else 's'}: give each "
                    "as a JSONL line or an item of a JSON list")
    keys = sorted(_key_name(scrub(str(k))) for k in obj)
    more = len(keys) - _UNREAD_SHOWN
    return ("its fields: " + ", ".join(keys[:_UNREAD_SHOWN]) + (f" and {more} more" if more > 0 else "")) if keys \
        else "an empty object"


def _content_id(source: str, obj: dict[str, Any]) -> str:
    """An id for a record that has none, from its source and its content, never its
    position: the same line in the same feed gets the same id, wherever it stands."""
    body = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(scrub(f"{source}\0{body}").encode("utf-8")).hexdigest()[:12]


def from_record(obj: Any, default_id: str, source: str, line: int | None = None) -> Document:
    """One JSON object (file record or API dict) to a Document; bad shapes are rejected."""
    doc = Document(id=default_id, source=source, line=line)
    if not isinstance(obj, dict):
        many = f" of {len(obj)} items (one object a JSONL line or list item, not an array of them)" \
            if isinstance(obj, list) else ""
        return doc.reject(f"expected a JSON object, got {json_type(obj)}{many}")
    raw_id = whole_number(obj.get("id"))  # 7.0 is the id 7, as the API's 7 is; other floats stay ignored
    # An integer of any kind: a DataFrame's rows (`df.to_dict("records")`) hold NumPy's int64.
    if isinstance(raw_id, (str, numbers.Integral)) and not isinstance(raw_id, bool) and str(raw_id).strip():
        doc.id = scrub(str(raw_id) if isinstance(raw_id, str) else str(int(raw_id)))
        if len(doc.id) > MAX_ID_CHARS:  # a 1 MB "id" went whole into every row, index and page
            doc.meta["id"] = (f"input id of {len(doc.id):,} characters shortened to its first {MAX_ID_CHARS - 17:,}, "
                              f"'\u2026' and a hash of the whole (ids are at most {MAX_ID_CHARS:,})")
            doc.id = short_id(doc.id)
    else:
        if isinstance(raw_id, str):
            doc.meta["id"] = "blank input id ignored"
        elif isinstance(raw_id, float):
            doc.meta["id"] = f"input id {raw_id!r} ignored (not a whole number)"
        elif raw_id is not None:
            doc.meta["id"] = f"input id of type {json_type(raw_id)} ignored"
        if line is not None:  # a feed's line (or a JSON list's item) without an id
            doc.id = f"{default_id.rsplit(':', 1)[0]}:{_content_id(source, obj)}"
    body = {k: value for k in TEXT_FIELDS if (value := _field(obj, k))}
    if not body:
        odd = [f"'{k}' is {problem}" for k in TEXT_FIELDS if (problem := _wrong_type(obj, k))]
        odd += [f"'{k}' is given {n} times: the last was read" for k, n in getattr(obj, "repeated", {}).items()
                if k in TEXT_FIELDS]
        if not odd and not any(k in obj for k in TEXT_FIELDS):
            odd.append(_fields_instead(obj))
        return doc.reject("no non-empty 'text' or 'html' field" + (f" ({'; '.join(odd)})" if odd else ""))
    given = obj.get("date")
    # A Python job's own date or datetime (the API's input): its calendar day, as written
    # (a datetime's own day, whatever its time zone), not a field of the wrong type.
    day = given.date() if isinstance(given, datetime.datetime) else given if isinstance(given, datetime.date) else None
    _note_wrong_types(doc, obj, (*TEXT_FIELDS, *(k for k in META_FIELDS if not (k == "date" and day)), AUTHOR))
    _note_unread(doc, obj)
    _note_repeated(doc, obj)
    doc.title, doc.url, doc.site = _field(obj, "title"), _field(obj, "url"), _field(obj, "site")
    doc.author = _field(obj, AUTHOR)
    raw_date = day.isoformat() if day else _field(obj, "date")
    if raw_date:
        doc.date = normalise_date(raw_date)
        if doc.date:
            doc.meta["date"] = "input field 'date'" + (f" ({type(given).__name__})" if day else "")
        else:  # its own key: a date found later (a text prefix, HTML metadata) must not erase it
            doc.meta["date_unparsed"] = f"input field 'date': {raw_date[:40]!r}"
    if "text" in body:
        doc.text = line_breaks(body["text"])
    else:
        doc.html = body["html"]
    return doc


class _Repeated(dict[str, Any]):
    """A JSON object that named a key twice or more: json keeps the last value without a
    word; `repeated` says which keys and how many times, for `meta.repeated_fields`."""

    repeated: dict[str, int]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen = _Repeated(obj)
    seen.repeated = {k: n for k, n in Counter(k for k, _ in pairs).items() if n > 1}
    return seen


def _note_repeated(doc: Document, obj: dict[str, Any]) -> None:
    repeated = getattr(obj, "repeated", None)
    if repeated:
        named = sorted(f"{_key_name(scrub(k))} ({n} times)" for k, n in repeated.items())
        more = len(named) - _UNREAD_SHOWN
        doc.meta["repeated_fields"] = (", ".join(named[:_UNREAD_SHOWN]) + (f" and {more} more" if more > 0 else "")
                                       + ": the last value of each was read")


def _json_problem(exc: BaseException) -> str:
    """Why JSON could not be read or written, in a feed's user's words: Python's own
    messages for these two advise a programmer ("use sys.set_int_max_str_digits()")."""
    if isinstance(exc, RecursionError):
        return "nested too deep (past Python's recursion limit)"
    if isinstance(exc, ValueError) and "digits" in str(exc) and "int" in str(exc):
        return "a number of more than 4300 digits"
    return str(exc)[:200] or type(exc).__name__


def _parse_json(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text, object_pairs_hook=_object), None
    except (ValueError, RecursionError) as exc:  # ValueError covers JSONDecodeError and huge ints
        return None, f"invalid JSON: {_json_problem(exc)}{_json_hint(text)}"


_LIST_HINT = ("a JSON list written one item a line? JSONL holds one object a line, without brackets or "
              "commas (`jq -c '.[]'` writes that; or name the file .json)")


def _json_hint(text: str) -> str:
    """What a line that is not JSON most likely is."""
    if "\x00" in text:
        return ("; the line holds NUL bytes: UTF-16 or UTF-32 without a byte order mark? (JSONL is read as "
                "UTF-8 unless a BOM says otherwise)")
    stripped = text.strip()
    if "\r" in stripped and isinstance(_parse_json(stripped.split("\r", 1)[0])[0], dict):
        return ("; its objects are parted by a lone CR (classic Mac OS line ends): JSONL lines end in LF or CRLF "
                "(`tr '\\r' '\\n'` converts it)")
    if stripped == "{":
        return "; a JSON object spread over several lines? JSONL holds one a line (`jq -c .` writes that)"
    if stripped in ("[", "]", "],"):
        return f"; {_LIST_HINT}"
    if stripped.startswith("{") and stripped.endswith("},"):
        try:
            json.loads(stripped[:-1])
        except (ValueError, RecursionError):
            return ""
        return f"; a trailing comma: {_LIST_HINT}"
    return ""


def _read_records(path: PurePath, rel: PurePath, text: str) -> Iterator[Document]:
    """A .json file: one object, or a list of objects."""
    source, stem = rel_name(rel), doc_id_for(rel)
    obj, error = _parse_json(text)
    if error:
        first = text.lstrip().split("\n", 1)[0]
        if error.startswith("invalid JSON: Extra data") and isinstance(_parse_json(first)[0], dict):
            error += "; one JSON object a line is JSONL: name the file .jsonl"
        yield Document(id=stem, source=source).reject(error)
        return
    items = obj if isinstance(obj, list) else [obj]
    if not items:
        yield Document(id=stem, source=source).reject("empty JSON list")
    for i, item in enumerate(items, 1):
        single = len(items) == 1
        yield from_record(item, stem if single else f"{stem}:{i}", source, line=None if single else i)


def _numbered_lines(fh: _LineReader, max_bytes: int) -> Iterator[tuple[int, bytes | None, BaseException | None]]:
    """Lines, each read at most max_bytes + 1 bytes at a time: one endless line (a small
    .gz can decompress to gigabytes without a newline) never sits in memory whole; its
    overflow is skipped and the line comes back as an over-long stub."""
    n = 0
    try:
        while True:
            raw = fh.readline(max_bytes + 1)
            if not raw:
                return
            n += 1
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
            yield n, raw, None
    except _GZIP_ERRORS as exc:
        yield n + 1, None, exc


def _stream_jsonl(path: Path, rel: Path, max_bytes: int, defer: bool = False) -> Iterator[Document]:
    """A JSONL file line by line: a feed of any size, with the size limit per record.

    JSON text is UTF-8 (RFC 8259), so a line that is not is rejected, not guessed at; a
    file that opens with a UTF-16 or UTF-32 BOM is read in that encoding (_BomLines).
    With `defer`, each line is handed on unparsed (`parse_deferred` parses it where the
    document is processed: in a worker process, off the reading process)."""
    source, stem = rel_name(rel), doc_id_for(rel)
    try:
        fh = _open(path)
    except OSError as exc:
        yield Document(id=stem, source=source).reject(_unreadable(path, exc))
        return
    with fh:
        yield from _jsonl_lines(fh, path, source, stem, max_bytes, defer)


STDIN_SOURCE = "<stdin>"


def read_input(path: str | Path, cfg: Config, exclude: Exclude = None) -> Iterator[Document]:
    """What `cleaner run INPUT` reads: a folder, a file, or `-` (JSONL on stdin). JSONL
    lines are handed on unparsed (parsed in the worker processes)."""
    if str(path) == "-":
        return read_stdin(cfg["read"]["max_file_bytes"], defer=True)
    if "://" in str(path):  # an fsspec URL (input/urls.py): files read where they are processed
        from cleaner.input.urls import read_url

        return read_url(str(path), cfg["read"]["extensions"], cfg["read"]["max_file_bytes"], exclude=exclude)
    return read_inputs(path, cfg["read"]["extensions"], cfg["read"]["max_file_bytes"], exclude=exclude, defer=True)


def read_stdin(max_bytes: int, defer: bool = False, stream: BinaryIO | None = None) -> Iterator[Document]:
    """JSONL on standard input (`cleaner run -`), read as a .jsonl file is: one object per
    line, line by line, the size limit per record, bad lines rejected alone. Documents
    come as they are read, so a stream of any length passes through."""
    if stream is None:
        # Our own reader on a copy of the descriptor, not sys.stdin: a worker process forked
        # while a thread waits in sys.stdin's read would block closing it (multiprocessing
        # closes sys.stdin in every child, under the lock that waiting read holds).
        stream = os.fdopen(os.dup(sys.stdin.fileno()), "rb")
    with stream:
        yield from _jsonl_lines(stream, Path(STDIN_SOURCE), STDIN_SOURCE, "stdin", max_bytes, defer)


class _BomLines:
    """A JSONL stream that opens with a UTF-16 byte order mark (what Windows PowerShell's
    `>` writes), or UTF-32's, read as UTF-8 lines: every line of it was rejected, the
    first as 'not UTF-8', the others as invalid JSON. A BOM names the encoding: nothing
    is guessed."""

    def __init__(self, fh: _LineReader, encoding: str = "utf-16"):
        self._text = io.TextIOWrapper(cast(BinaryIO, fh), encoding=encoding, errors="replace", newline="")

    def readline(self, size: int, /) -> bytes:
        return self._text.readline(size).encode("utf-8", "surrogatepass")


def _utf8_lines(fh: _LineReader) -> _LineReader:
    """`fh`, or `fh` read through _BomLines when it opens with a UTF-16 or UTF-32 BOM."""
    peek = getattr(fh, "peek", None)
    if peek is not None:
        try:
            start = peek(4)[:4]
        except _GZIP_ERRORS:  # a broken .gz: reading its first line fails again, and says so
            return fh
        for bom, encoding in _BOMS:
            if start.startswith(bom):
                return _BomLines(fh, encoding)
    return fh


def _jsonl_lines(fh: _LineReader, path: PurePath, source: str, stem: str, max_bytes: int,
                 defer: bool) -> Iterator[Document]:
    """JSONL lines of an open binary stream (see _stream_jsonl); `path` names it in errors."""
    seen_any = False
    after_nul = False  # the line before held NUL bytes (UTF-16 or UTF-32 without a BOM)
    opened, fh = fh, _utf8_lines(fh)
    n = 0
    for n, raw, broken in _numbered_lines(fh, max_bytes):
        if broken is not None:  # the stream broke (a truncated .gz): what came before stands
            yield Document(id=f"{stem}:{n}", source=source, line=n).reject(
                f"line {n}: {_unreadable(path, broken)}")
            seen_any = True
            break
        assert raw is not None  # a line, when the stream did not break
        if after_nul and raw.startswith(b"\x00"):
            # The rest of the line before's UTF-16-LE (or UTF-32-LE) line break ("\n\x00"):
            # it belongs to that line (rejected with its own hint), not to this one, which
            # was rejected as not JSON (or, at the file's end, was a row of its own).
            raw = raw.lstrip(b"\x00")
        after_nul = b"\x00" in raw
        if len(raw) > max_bytes:
            seen_any = True  # a line, if a bad one: the file is not empty
            yield Document(id=f"{stem}:{n}", source=source, line=n).reject(
                f"line {n}: {too_large(max_bytes)}")
            continue
        try:
            # A BOM may open any line, not only the first: files joined with `cat` each bring theirs.
            line = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            seen_any = True
            gz = " (gzip data: decompress it first, `zcat FILE.gz | cleaner run - ...`)" \
                if n == 1 and raw.startswith(b"\x1f\x8b") else ""
            yield Document(id=f"{stem}:{n}", source=source, line=n).reject(
                f"line {n}: not UTF-8 ({exc.reason}){gz}")
            continue
        if not line.strip():
            continue
        seen_any = True
        if defer:
            pending = Document(id=f"{stem}:{n}", source=source, line=n)
            pending.raw_line = line
            yield pending
            continue
        obj, error = _parse_json(line)
        if error:
            yield Document(id=f"{stem}:{n}", source=source, line=n).reject(f"line {n}: {error}")
            continue
        yield from_record(obj, f"{stem}:{n}", source, line=n)
    if _trailing(opened):  # what follows a feed's gzip data: said, as a broken stream is
        seen_any = True
        yield Document(id=f"{stem}:{n + 1}", source=source, line=n + 1).reject(f"line {n + 1}: {TRAILING}")
    if not seen_any:
        yield Document(id=stem, source=source).reject("no JSON lines on stdin" if source == STDIN_SOURCE
                                                      else "empty file")


def parse_deferred(doc: Document) -> Document:
    """A JSONL line `_stream_jsonl` handed on unparsed, parsed now; other documents as they are."""
    line, doc.raw_line = doc.raw_line, None
    if line is None:
        return doc
    obj, error = _parse_json(line)
    if error:
        return doc.reject(f"line {doc.line}: {error}")
    parsed = from_record(obj, doc.id, doc.source, line=doc.line)
    parsed.stored = doc.stored  # the executor's input key, if it set one
    return parsed


def read_file(path: Path, rel: Path, max_bytes: int, defer: bool = False) -> Iterator[Document]:
    ext = logical(rel).suffix.lower()
    base = Document(id=doc_id_for(rel), source=rel_name(rel))
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        yield base.reject(_unreadable(path, exc))
        return
    if not stat.S_ISREG(mode):  # a FIFO or device would block the run or never end
        yield base.reject("not a regular file")
        return
    if ext == ".jsonl":
        yield from _stream_jsonl(path, rel, max_bytes, defer)
        return
    try:
        data, trailing = _read_limited(path, max_bytes)
    except ValueError as exc:
        yield base.reject(str(exc))
        return
    except _GZIP_ERRORS as exc:
        yield base.reject(_unreadable(path, exc))
        return
    text, encoding = decode_bytes(data)
    if text is None:
        yield base.reject(encoding)
        return
    text = scrub(text)
    if encoding != "utf-8":
        base.meta["encoding"] = encoding
    if trailing:
        base.meta["gzip"] = TRAILING
    if ext in RECORD_EXTS:
        for doc in _read_records(path, rel, text):
            # Each record of the file carries what was noted of the file (it has no row of
            # its own): a legacy encoding's name went nowhere, as a .gz's tail would.
            doc.meta.update(base.meta)
            yield doc
    elif ext in HTML_EXTS:
        base.html = text
        yield base
    else:  # a .json's strings and HTML's markup keep them: there they are no line break
        base.text = line_breaks(text)
        yield base


def read_inputs(root: str | Path, extensions: Iterable[str], max_bytes: int,
                exclude: Exclude = None, defer: bool = False) -> Iterator[Document]:
    root = Path(root)
    exts = {e.lower() for e in extensions}
    for path, rel, problem in list_inputs(root, exclude):
        if problem:
            yield Document(id=doc_id_for(rel), source=rel_name(rel)).reject(problem)
            continue
        ext = logical(rel).suffix.lower()
        if ext not in exts:
            shown = "".join(rel.suffixes[-2:]) if rel.suffix.lower() == GZIP else path.suffix
            yield Document(id=doc_id_for(rel), source=rel_name(rel)).reject(
                f"unsupported file type {shown or '(none)'!r} (read.extensions: {', '.join(sorted(exts))}, "
                "also gzipped as .gz)"
            )
            continue
        yield from read_file(path, rel, max_bytes, defer)


def _api_body(item: Any) -> tuple[str | None, str | None]:
    """(the item as canonical JSON, None), or (None, why it cannot be read as a JSON
    object): non-string keys, circular references, nesting too deep, integers too long
    to write. Such an item is rejected alone; the rest of the batch goes on."""
    if isinstance(item, dict):
        # The key's type, not the key: a None key, found, read as none found (it was let
        # through, and the JSON sort then failed with "'<' not supported between ...").
        odd = next((type(k) for k in item if not isinstance(k, str)), None)
        if odd is not None:
            return None, f"keys must be strings, got a key of type {odd.__name__}"
    try:
        return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str), None
    # Circular (ValueError), an int too long (ValueError), too deep (RecursionError), or
    # anything a user object's __str__ raises.
    except Exception as exc:  # noqa: BLE001
        return None, f"item cannot be read as JSON: {_json_problem(exc)}"


def _hash_id(body: str) -> str:
    return "item-" + hashlib.sha1(scrub(body).encode("utf-8")).hexdigest()[:12]


def read_dicts(items: Iterable[Any], max_bytes: int | None = None) -> Iterator[Document]:
    """Documents from API dicts: {"id", "text" or "html", "title", "date", "url", "site", "author"}.

    An item without an id gets one from its content, so ids do not depend on its position.
    An item whose JSON is over `max_bytes` (read.max_file_bytes) is rejected, as a JSONL
    line of that size is: the API took a 60 MB text the CLI refuses (73 s, 1.9 GB).
    """
    for item in items:
        try:
            doc = _dict_document(item, max_bytes)
        except Exception as exc:  # noqa: BLE001 - below
            if type(item) is dict:  # a plain dict's own methods do not raise: a bug, not the item's
                raise
            # A subclass whose own methods raise (a `get`, `__iter__`): that item alone rejected.
            problem = f"item cannot be read ({type(item).__name__}: {type(exc).__name__}: {scrub(str(exc))[:200]})"
            doc = Document(id=_hash_id(problem), source="<api>").reject(problem)
        yield doc


def _dict_document(item: Any, max_bytes: int | None) -> Document:
    """One API item's Document (read_dicts)."""
    body, problem = _api_body(item)
    # UTF-8 takes at most 4 bytes a character: most bodies are measured without encoding them.
    if body is not None and max_bytes is not None and len(body) * 4 > max_bytes \
            and len(body.encode("utf-8", "surrogatepass")) > max_bytes:
        body, problem = None, too_large(max_bytes)
    if problem is not None:
        # Named by its own id, else by what can be read of it (its string fields),
        # never by position.
        fields = [_field(item, k) for k in ("id", *TEXT_FIELDS, *META_FIELDS)] \
            if isinstance(item, dict) else [type(item).__name__]
        doc_id = fields[0] if fields[0] and isinstance(item, dict) else _hash_id(json.dumps([problem, fields]))
        return Document(id=doc_id, source="<api>").reject(problem)
    assert body is not None  # without a problem, the item's JSON (_api_body)
    # "" as the placeholder: an input id is never blank, so a real id (even "item")
    # is never taken for a missing one.
    doc = from_record(item, "", "<api>")
    if doc.id == "":
        doc.id = _hash_id(body)
    return doc
