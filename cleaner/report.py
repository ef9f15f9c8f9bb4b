"""report.html: one self-contained page (no scripts from elsewhere, no network).

Every string that comes from a document passes through `esc`, so a title holding
<script> is shown, never run.
"""

from __future__ import annotations

from html import escape
from typing import Any, Iterator

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:75em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}
details{border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.3em .6em}
summary{cursor:pointer}.rel-canonical{font-weight:bold}.removed{color:#a00;text-decoration:line-through}
.why{color:#555}.text{white-space:pre-wrap;background:#fafafa;padding:.5em;max-height:20em;overflow:auto}
"""


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _table(head: list[str], rows: list[list[Any]]) -> str:
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _removed(doc) -> str:
    if not doc.removed:
        return ""
    items = "".join(
        f"<li><span class=removed>{esc(r['text'])}</span> <code>{esc(r['rule'])}</code> "
        f"(line {esc(r['line_no'])}, {esc(r['category'])})</li>" for r in doc.removed)
    return f"<p>Removed lines:</p><ul>{items}</ul>"


def _record(record, full) -> str:
    rows = [[m.doc.id, m.doc.source, m.relation, f"{m.similarity:.3f}", m.doc.date or "",
             m.doc.lang or "", ", ".join(m.shared_terms or []), m.reason] for m in record.members]
    members = _table(["id", "source", "relation", "similarity", "date", "lang", "shared terms", "reason"], rows)
    docs = [full(m.doc) for m in record.members]
    c = docs[0]
    removed = "".join(f"<h4>{esc(d.id)}</h4>{_removed(d)}" for d in docs if d.removed)
    return (
        f"<details id='{esc(record.record_id)}'><summary><b>{esc(c.title or c.id)}</b> "
        f"— {len(record.members)} member(s), {esc(c.lang)}, {esc(c.date or 'undated')} "
        f"<code>{esc(record.record_id)}</code></summary>"
        f"<p class=why>Canonical {esc(c.id)}: {esc(record.why)}</p>{members}"
        f"<div class=text>{esc(c.text)}</div>{removed}</details>"
    )


def render_report(result, manifest: dict[str, Any]) -> Iterator[str]:
    """The page in chunks (a large run's report is written without holding it whole)."""
    counts = manifest["counts"]
    rejected = [[d.id, d.source, d.error] for d in result.documents if not d.ok]
    yield from [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>cleaner report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>cleaner report</h1>",
        _table(list(counts), [list(counts.values())]),
        "<h2>Languages</h2>", _table(["lang", "documents"], list(manifest["languages"].items())),
        "<h2>Rule hits</h2>", _table(["rule", "lines"], list(manifest["rule_hits"].items())),
        f"<h2>Rejected inputs ({len(rejected)})</h2>", _table(["id", "source", "reason"], rejected),
        f"<h2>Records ({len(result.records)})</h2>",
    ]
    for record in result.records:
        yield _record(record, result.full)
    yield "</body></html>\n"
