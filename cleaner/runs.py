"""A finished run's output folder, read back: what `cleaner report`, `show` and `explain` look at.

Only folders with a manifest count: the manifest is written last, so its presence marks
a complete run (output.py). Rows are streamed from the JSONL files, never all held.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .output import DOCUMENTS, MANIFEST, RECORDS
from .report import SIZE_BINS, reason_kind, size_bin


class RunError(Exception):
    """The folder is not a run's output, or it has no such id."""


class Run:
    def __init__(self, out_dir: Path):
        self.dir = Path(out_dir)
        manifest = self.dir / MANIFEST
        if not self.dir.is_dir():
            raise RunError(f"{out_dir} is not a folder")
        if not manifest.is_file():
            raise RunError(f"{out_dir} is not a cleaner output folder (no {MANIFEST}; "
                           "a run writes it last, so the run there did not finish)")
        try:
            self.manifest = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # ValueError covers undecodable bytes too
            raise RunError(f"unreadable {manifest}: {exc}") from exc
        missing = [k for k in ("counts", "languages", "config") if not isinstance(self.manifest, dict)
                   or k not in self.manifest]
        if missing:
            raise RunError(f"{manifest} lacks {', '.join(missing)}: not a manifest cleaner wrote")

    def _rows(self, name: str) -> Iterator[dict[str, Any]]:
        path = self.dir / name
        try:
            with open(path, encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    try:
                        row = json.loads(line)
                    except ValueError as exc:
                        raise RunError(f"{path} line {n} is not JSON: {exc}") from exc
                    if not isinstance(row, dict):
                        raise RunError(f"{path} line {n} is not a JSON object")
                    yield row
        except UnicodeDecodeError as exc:
            raise RunError(f"{path} is not UTF-8: {exc.reason}") from exc
        except OSError as exc:
            raise RunError(f"cannot read {path}: {exc.strerror or exc}") from exc

    def documents(self) -> Iterator[dict[str, Any]]:
        return self._rows(DOCUMENTS)

    def records(self) -> Iterator[dict[str, Any]]:
        return self._rows(RECORDS)

    def document(self, doc_id: str) -> dict[str, Any]:
        for row in self.documents():
            if row["id"] == doc_id:
                return row
        raise RunError(f"no document with id {doc_id!r} in {self.dir / DOCUMENTS}")

    def record(self, record_id: str) -> dict[str, Any]:
        for row in self.records():
            if row["record_id"] == record_id:
                return row
        raise RunError(f"no record with id {record_id!r} in {self.dir / RECORDS}")

    def find(self, some_id: str) -> tuple[str, dict[str, Any]]:
        """("record", row) or ("document", row) for a record id or a document id."""
        if some_id.startswith("rec-"):
            try:
                return "record", self.record(some_id)
            except RunError:
                pass
        try:
            return "document", self.document(some_id)
        except RunError:
            raise RunError(f"no record or document with id {some_id!r} in {self.dir}") from None

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
