"""Human-readable text for the CLI's `show`, `report` and `clean`: rows of a finished run
(documents.jsonl, records.jsonl) and a document's lines marked with the rules that removed
them. Never Python's None: what is unknown says so."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cleaner.core.document import Document

# The rows shown are documents.jsonl and records.jsonl rows as parsed JSON: dict[str, Any].

# What a terminal would obey rather than show: control characters (ESC starts sequences that
# clear the screen or retitle the window; a newline or CR broke a field's line in two), line
# and paragraph separators, bidi overrides and isolates (they reorder what follows). Tab stays.
_UNSHOWN = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shown(line: str) -> str:
    """`line` with each character a terminal would obey written as its escape (\\x1b, \\n):
    an input's title, author, url or an unread key's name is data, not terminal commands."""
    return _UNSHOWN.sub(lambda m: repr(m.group())[1:-1], line)


def render_marked(lines: list[str], doc: Document) -> list[str]:
    """The extracted text line by line: kept lines indented, removed ones marked with their rule."""
    from cleaner.stages.extract import EXTRACTION_RULE  # here, not at the top: it loads trafilatura

    by_line: dict[int, dict[str, Any]] = {}
    for entry in doc.removed:
        if entry["rule"] != EXTRACTION_RULE:
            by_line.setdefault(entry["line_no"], entry)
    out = []
    for n, line in enumerate(lines, 1):
        removal = by_line.get(n)
        if removal is None:
            out.append(f"  {line}")
        elif removal.get("action") == "metadata":
            out.append(f"~ {line}    <- {removal['rule']}: {removal['text']!r} moved to {removal['field']}")
        else:
            out.append(f"- {line}    <- {removal['rule']}")
    return out


# The metadata fields whose meta entry says where the value came from; other meta entries
# are notes (encoding, unread_fields, title_ignored...), shown as they are.
_SOURCED = ("title", "date", "url", "site", "author", "id")
# The last column (a reason, a title) may run long: its rule under the head stays this short.
_LAST_RULE = 60


def table(rows: list[tuple[object, ...]], head: tuple[str, ...]) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    rules = ["-" * w for w in widths[:-1]] + ["-" * min(widths[-1], _LAST_RULE)]
    lines = [fmt.format(*head), fmt.format(*rules)] + [fmt.format(*map(str, r)) for r in rows]
    return [line.rstrip() for line in lines]


def show_document(row: dict[str, Any]) -> list[str]:
    out = [f"document {row['id']}  ({row['source']}{', line ' + str(row['line']) if row.get('line') else ''})",
           f"  status:   {row['status']}" + (f" ({row['error']})" if row["error"] else ""),
           f"  record:   {row['record_id'] or '-'}",
           # Never Python's None in human output: say what is unknown.
           f"  language: {row['lang'] or 'unknown'}"
           + (f" ({row['lang_prob']})" if row["lang_prob"] is not None else "")
           + (f": {row['lang_reason']}" if row["lang_reason"] else ""),
           f"  title:    {row['title'] or '(no title)'}", f"  date:     {row['date'] or 'date unknown'}",
           f"  url:      {row['url'] or '(no url)'}"]
    if row.get("author"):
        out.append(f"  author:   {row['author']}")
    out += [f"  {key} from: {value}" if key in _SOURCED else f"  note {key}: {value}"
            for key, value in sorted(row["meta"].items())]
    out += ["", "text:"] + ["  " + line for line in (row["text"] or "").split("\n")]
    if row["removed"]:
        out += ["", "removed (rule: line, text):"]
        out += [f"  - {r['rule']}: line {r['line_no']}: {r['text']}" for r in row["removed"]]
    if row["flags"]:
        out += ["", "flags:"] + [f"  ! {f.get('flag')}: {f.get('reason') or f.get('text') or ''}" for f in row["flags"]]
    return [shown(line) for line in out]


def show_record(row: dict[str, Any]) -> list[str]:
    out = [f"record {row['record_id']}: {row['size']} member(s), lang {row['lang'] or 'unknown'}, "
           f"date {row['date'] or 'unknown'}",
           f"  title:     {row['title'] or '(no title)'}", f"  canonical: {row['canonical_id']}: {row['why']}", "", "members:"]
    out += ["  " + line for line in table(
        [(m["id"], m["relation"], m["similarity"], m["reason"]) for m in row["members"]],
        ("id", "relation", "similarity", "reason"))]
    shared = [m for m in row["members"] if m.get("shared_terms")]
    if shared:
        out += ["", "shared terms with the canonical (weight: where it came from):"]
        for m in shared:
            evidence = m.get("term_evidence") or []
            out.append(f"  {m['id']}: " + ", ".join(m["shared_terms"]))
            out += [f"      {e.get('term')}  {e.get('weight')}: {e.get('from')}" for e in evidence if isinstance(e, dict)]
    out += ["", "canonical text:"] + ["  " + line for line in (row["text"] or "").split("\n")]
    return [shown(line) for line in out]


def show_summary(summary: dict[str, Any]) -> list[str]:
    """`cleaner report`: a finished run's counts, then one table per section that has rows."""
    c = summary["counts"]
    out = [f"run of {summary['input']}: {c['inputs']} inputs, {c['kept']} kept, {c['duplicates']} duplicates, "
           f"{c['rejected']} rejected -> {c['records']} records", ""]
    sections = [
        ("languages", ("lang", "documents"), summary["languages"].items()),
        ("rejected inputs by reason", ("reason", "inputs"), summary["rejected_by_reason"].items()),
        ("removed lines by category", ("category", "lines"), summary["removed_lines_by_category"].items()),
        ("record sizes", ("members", "records"), summary["record_sizes"].items()),
        ("largest records", ("record", "size", "title"),
         [(r["record_id"], r["size"], (r["title"] or "")[:60]) for r in summary["largest_records"]]),
    ]
    for title, head, rows in sections:
        rows = list(rows)
        if rows:
            out += [title + ":"] + ["  " + line for line in table(rows, head)] + [""]
    while out and not out[-1]:  # no blank line at the end
        out.pop()
    return [shown(line) for line in out]  # a title, a reason, the input's name: data, not terminal commands
