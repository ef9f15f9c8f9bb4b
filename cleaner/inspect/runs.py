"""A finished run's output folder, read back: what `cleaner report`, `show` and `explain` look at.

Only folders with a manifest count: the manifest is written last, so its presence marks
a complete run (store/output.py). Rows are streamed from the JSONL files, never all held.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections import Counter
from datetime import date
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cleaner.core.config import open_regular
from cleaner.dedup.ids import renamed_from
# JSON's type names (a hand-edited file is JSON, not Python: "null", not "NoneType").
from cleaner.input.read import json_type, meant_id
from cleaner.store.outdir import DOCUMENTS, MANIFEST, RECORDS
from cleaner.inspect.report import SIZE_BINS, reason_kind, size_bin


def as_written(doc_id: str) -> str:
    """An id as typed (a file name pasted from macOS comes decomposed) in the form the
    outputs write ids: NFC, as every input's text and name is read (input/read.scrub); an
    id too long to keep whole as its rows write it (core/document.short_id)."""
    from cleaner.core.document import short_id

    return short_id(unicodedata.normalize("NFC", doc_id))


def renamed_note(renamed: list[str], shown: int = 5) -> str:
    """What a lookup that found no document `ID` says when inputs that shared that id were
    renamed `ID@source` (README, documents.jsonl `id`)."""
    if not renamed:
        return ""
    more = ", ..." if len(renamed) > shown else ""
    return f" (shared by several inputs, it was renamed: {', '.join(sorted(renamed)[:shown])}{more})"


def guess_note(guesses: list[str], shown: int = 3) -> str:
    """What a lookup that found no such id says when some ids look like what was typed."""
    if not guesses:
        return ""
    more = f", ... ({len(guesses)} ids)" if len(guesses) > shown else ""
    return f" (did you mean {', '.join(repr(g) for g in sorted(guesses)[:shown])}{more}?)"


class RunError(Exception):
    """The folder is not a run's output, or it has no such id."""


class NotFound(RunError):
    """The run is readable but has no such id (an unreadable file is a RunError, not this)."""

    def __init__(self, message: str, note: str = "") -> None:
        super().__init__(message + note)
        self.note = note  # what a renamed id became


# What each row holds, as cleaner writes it (README's output contract): a file edited by
# hand is checked against this as it is read, so `report`, `show` and `explain` stop with
# one line naming the file, line and field instead of failing somewhere inside.
_STR, _OPT_STR, _INT, _NUM = (str,), (str, type(None)), (int,), (int, float)
_DOCUMENT = {"id": _STR, "source": _STR, "status": _STR, "lang": _OPT_STR, "lang_prob": (int, float, type(None)),
             "lang_reason": _OPT_STR, "title": _OPT_STR, "date": _OPT_STR, "url": _OPT_STR, "text": _OPT_STR,
             "removed": (list,), "flags": (list,), "meta": (dict,), "record_id": _OPT_STR, "error": _OPT_STR}
_REMOVED = {"rule": _STR, "category": _STR, "line_no": _INT, "text": _STR}
_RECORD = {"record_id": _STR, "canonical_id": _STR, "title": _OPT_STR, "lang": _OPT_STR, "date": _OPT_STR,
           "size": _INT, "why": _STR, "text": _OPT_STR, "members": (list,)}
_MEMBER = {"id": _STR, "source": _STR, "relation": _STR, "similarity": _NUM, "reason": _STR, "date": _OPT_STR}
_COUNTS = ("inputs", "kept", "duplicates", "rejected", "records")


def _problem(row: Any, schema: Mapping[str, tuple[type, ...]]) -> str | None:
    """What in `row` differs from what cleaner writes, or None."""
    if not isinstance(row, dict):
        return f"is a JSON {json_type(row)}, not an object"
    for key, kinds in schema.items():
        if key not in row:
            return f"has no {key!r}"
        value = row[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            return f"has {key!r} of type {json_type(value)}"
    if isinstance(row.get("date"), str):
        try:
            date.fromisoformat(row["date"])
        except ValueError:
            return f"has 'date' {row['date'][:40]!r}, not a date YYYY-MM-DD"
    return None


def _nested_problem(row: dict[str, Any]) -> str | None:
    """The lists inside a documents.jsonl or records.jsonl row."""
    for i, entry in enumerate(row.get("removed", [])):
        if (problem := _problem(entry, _REMOVED)):
            return f"removed[{i}] {problem}"
    for i, flag in enumerate(row.get("flags", [])):
        if not isinstance(flag, dict):
            return f"flags[{i}] is not an object"
    for i, member in enumerate(row.get("members", [])):
        if (problem := _problem(member, _MEMBER)):
            return f"members[{i}] {problem}"
        terms = member.get("shared_terms", [])
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            return f"members[{i}] has 'shared_terms' that are not a list of strings"
        if not isinstance(member.get("term_evidence", []), list):
            return f"members[{i}] has 'term_evidence' that is not a list"
    return None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # how JSON writes half of a UTF-16 pair


def _surrogate_problem(line: str, row: Any) -> str | None:
    """A string holding half of a UTF-16 pair ("\\ud800" in the JSON): cleaner never writes one
    (input/read.scrub), and printing one (`show`) failed with UnicodeEncodeError's traceback.
    Looked for only when the line has such an escape (a whole pair is fine)."""
    if not _SURROGATE_ESCAPE.search(line):
        return None
    try:
        json.dumps(row, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair)"
    return None


def _manifest_problem(m: Any) -> str | None:
    if not isinstance(m, dict):
        return "is not a JSON object"
    missing = [k for k in ("counts", "languages", "config") if k not in m]
    if missing:
        return f"lacks {', '.join(missing)}"
    counts = m["counts"]
    if not isinstance(counts, dict) or not all(isinstance(counts.get(k), int) for k in _COUNTS):
        return f"has 'counts' without the integer counts {', '.join(_COUNTS)}"
    if not isinstance(m["languages"], dict):
        return "has 'languages' that is not an object"
    if not isinstance(m["config"], dict) or not all(isinstance(v, dict) for v in m["config"].values()):
        return "has 'config' that is not an object of sections"
    return None


def is_sqlite(path: Path) -> bool:
    """Whether `path` is an SQLite file (a state), by its header. Only a regular file is
    opened: opening a FIFO (`cleaner report FIFO`) waited for a writer forever."""
    try:
        if not path.is_file():
            return False
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


class Run:
    def __init__(self, out_dir: Path):
        self.dir = Path(out_dir)
        manifest = self.dir / MANIFEST
        if not os.path.lexists(self.dir):  # a typo (`show clen/ ID`): not "not a folder"
            raise RunError(f"{out_dir} does not exist")
        if not self.dir.is_dir():
            raise RunError(f"{out_dir} is not a folder" + (
                ": it is a state file (run --state); `cleaner state info`, `cleaner show STATE ID` and "
                "`cleaner export STATE --out DIR` read it" if is_sqlite(self.dir) else ""))
        if not manifest.is_file():
            raise RunError(f"{out_dir} is not a cleaner output folder (no {MANIFEST}; "
                           "a run writes it last, so the run there did not finish)")
        try:
            text = manifest.read_text(encoding="utf-8")
            self.manifest = json.loads(text)
        except (OSError, ValueError) as exc:  # ValueError covers undecodable bytes too
            raise RunError(f"unreadable {manifest}: {exc}") from exc
        # A lone surrogate (a hand edit's "\ud800") failed `report` as in a row (_rows).
        problem = _manifest_problem(self.manifest) or _surrogate_problem(text, self.manifest)
        if problem:
            raise RunError(f"{manifest} {problem}: not a manifest cleaner wrote")

    def _rows(self, name: str) -> Iterator[dict[str, Any]]:
        path, schema = self.dir / name, _DOCUMENT if name == DOCUMENTS else _RECORD
        try:
            with open_regular(path, "r", encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    try:
                        row = json.loads(line)
                    except (ValueError, RecursionError) as exc:  # '[' * 100000 is too deep to parse
                        raise RunError(f"{path} line {n} is not JSON cleaner wrote: "
                                       f"{exc if isinstance(exc, ValueError) else 'nested too deep'}") from None
                    problem = _problem(row, schema) or _nested_problem(row) or _surrogate_problem(line, row)
                    if problem:
                        raise RunError(f"{path} line {n} {problem}{self._whose(problem)}")
                    yield row
        except UnicodeDecodeError as exc:
            raise RunError(f"{path} is not UTF-8: {exc.reason}") from exc
        except OSError as exc:
            raise RunError(f"cannot read {path}: {exc.strerror or exc}") from None

    def _whose(self, problem: str) -> str:
        """Why a row may differ: a field missing is most likely another version's output
        (an older cleaner wrote fewer fields); anything else, an edit by hand."""
        if " has no " not in f" {problem}":
            return ": not a row cleaner wrote"
        packages = self.manifest.get("packages")
        wrote = packages.get("cleaner") if isinstance(packages, dict) else None
        by = f" (its manifest names cleaner {wrote})" if isinstance(wrote, str) and wrote != "not installed" else ""
        return (f", a field this version of cleaner writes: the folder looks like another version's "
                f"output{by}; run the input again with this version, or read it with the cleaner that wrote it")

    def documents(self) -> Iterator[dict[str, Any]]:
        return self._rows(DOCUMENTS)

    def records(self) -> Iterator[dict[str, Any]]:
        return self._rows(RECORDS)

    def document(self, doc_id: str) -> dict[str, Any]:
        doc_id = as_written(doc_id)
        renamed, guesses = [], []
        meant = meant_id(doc_id)
        for row in self.documents():
            if row["id"] == doc_id:
                return row
            # Renamed from doc_id (dedup/ids.py says so in meta.id), not an input whose own id
            # merely starts "doc_id@".
            if row["id"].startswith(doc_id + "@") and \
                    renamed_from(doc_id) in str((row.get("meta") or {}).get("id", "")):
                renamed.append(row["id"])
            # its id as input/read.meant_id guesses it, or any row read from the file named
            # (a feed's lines, `show OUT raw/feed.jsonl`)
            if meant(row["id"]) or doc_id == row["source"] or doc_id.endswith("/" + row["source"]):
                guesses.append(row["id"])
        note = renamed_note(renamed)
        if not note and doc_id.startswith("rec-") and any(r["record_id"] == doc_id for r in self.records()):
            note = " (it is a record's id: give a document's, such as its canonical's; `cleaner show` takes either)"
        if not note:
            note = guess_note(guesses)
        raise NotFound(f"no document with id {doc_id!r} in {self.dir / DOCUMENTS}", note)

    def record(self, record_id: str) -> dict[str, Any]:
        for row in self.records():
            if row["record_id"] == record_id:
                return row
        raise NotFound(f"no record with id {record_id!r} in {self.dir / RECORDS}")

    def find(self, some_id: str) -> tuple[str, dict[str, Any]]:
        """("record", row) or ("document", row) for a record id or a document id."""
        if some_id.startswith("rec-"):
            try:
                return "record", self.record(some_id)
            except NotFound:
                pass
        try:
            return "document", self.document(some_id)
        except NotFound as exc:
            note = exc.note
            if not note and some_id.startswith("rec-"):  # a record id cut short (copied from a narrow column)
                note = guess_note([r["record_id"] for r in self.records() if r["record_id"].startswith(some_id)])
            raise NotFound(f"no record or document with id {as_written(some_id)!r} in {self.dir}", note) from None

    def summary(self) -> dict[str, Any]:
        """What `cleaner report` prints: counts, rejections by reason, languages, rule hits by
        category and rule, and the record size histogram."""
        reasons: Counter[str] = Counter()
        categories: Counter[str] = Counter()
        rules: Counter[str] = Counter()
        for doc in self.documents():
            if doc["status"] == "rejected":
                reasons[reason_kind(doc["error"] or "")] += 1
            for entry in doc["removed"]:
                categories[entry["category"]] += 1
                rules[entry["rule"]] += 1
        sizes: Counter[str] = Counter()
        largest: list[tuple[int, str, str]] = []
        for rec in self.records():
            sizes[size_bin(rec["size"])] += 1
            largest.append((rec["size"], rec["record_id"], rec["title"] or rec["canonical_id"]))
        largest.sort(key=lambda t: (-t[0], t[1]))
        m = self.manifest
        return {
            "input": m.get("input"), "counts": m["counts"], "languages": m["languages"],
            "rejected_by_reason": dict(reasons.most_common()),
            "removed_lines_by_category": dict(categories.most_common()),
            "removed_lines_by_rule": dict(rules.most_common()),
            "record_sizes": {b: sizes[b] for b in SIZE_BINS if sizes[b]},
            "largest_records": [{"record_id": r, "size": s, "title": t} for s, r, t in largest[:10]],
        }
