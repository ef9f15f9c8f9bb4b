"""report.html: one self-contained page (inline CSS and script, nothing loaded from elsewhere).

The summary is static HTML. Records travel as JSON in a <script type="application/json">
block and the page's script draws them one page at a time, so a run with 100,000
records opens as quickly as one with ten.

Every string from a document is data, never markup: static tables go through
html.escape; in the JSON block <, >, &, U+2028 and U+2029 are \\u escapes, so no string
can end the block early; and the script puts data into the page with textContent only.

Document texts are most of a report's size: they are embedded up to a budget
(`text_budget`), after which the page says where to read them (`cleaner show`).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from html import escape
from typing import Any

from cleaner.inspect.report_page import CONTROLS, CSS, JS

TEXT_BUDGET = 60_000_000  # UTF-8 bytes of document text (and removed lines) per report
MEMBER_SHARE = 0.75  # past this share of the budget only canonicals' texts are embedded
SIZE_BINS = ("1", "2", "3-5", "6-10", "11-50", "51+")  # as in `cleaner report`
LARGEST = 10
REJECTED_ROWS = 1000  # documents.jsonl lists every rejected input; the page shows the first ones

# str.replace per character, not str.translate: translate with a dict costs ~20 ns a
# character, three quarters of a 10,000-record report's time.
_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))
_REMOVED_KEYS = ("rule", "category", "line_no", "action", "text", "note", "field")


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def script_json(value: Any) -> str:
    """JSON that is inert inside a <script> block (and valid JSON still)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escaped in _JSON_ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


def _table(head: list[str], rows: list[list[Any]], cls: str = "") -> str:
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='{cls}'><tr>{th}</tr>{body}</table>" if rows else "<p class=muted>none</p>"


def size_bin(size: int) -> str:
    for label, top in zip(SIZE_BINS, (1, 2, 5, 10, 50)):
        if size <= top:
            return label
    return SIZE_BINS[-1]


def reason_kind(error: str) -> str:
    # "line 7: invalid JSON: ..." and "file too large: 123 bytes" group by their kind.
    kind = error.split(": ", 1)[1] if error.startswith("line ") and ": " in error else error
    return kind.split(":", 1)[0].split(" (", 1)[0][:80]


def _weight(doc) -> int:
    return len(doc.text.encode("utf-8")) + sum(len(str(r.get("text", "")).encode("utf-8")) for r in doc.removed)


def _member(member, doc, with_text: bool) -> dict[str, Any]:
    removed = [{k: r.get(k) for k in _REMOVED_KEYS if k in r} for r in doc.removed]
    if not with_text:
        for r in removed:
            r["text"] = None
    row = {"id": doc.id, "source": doc.source, "relation": member.relation,
           "similarity": round(member.similarity, 4), "reason": member.reason, "title": doc.title,
           "lang": doc.lang, "date": doc.date, "url": doc.url, "flags": doc.flags, "removed": removed,
           "chars": len(doc.text), "text": doc.text if with_text else None}
    if member.shared_terms is not None:
        row["terms"] = member.shared_terms
    if member.evidence is not None:
        row["evidence"] = member.evidence
    return row


class _Texts:
    """Which texts fit the budget, record by record: all of a record's if they fit in the
    members' share, else its canonical's if that fits in the whole budget, else none."""

    def __init__(self, budget: int):
        self.budget, self.used = budget, 0
        self.omitted = Counter()  # "canonical" / "member" -> texts left out

    def choose(self, docs: list) -> list[bool]:
        sizes = [_weight(d) for d in docs]
        if self.used + sum(sizes) <= self.budget * MEMBER_SHARE:
            keep = [True] * len(docs)
        else:
            keep = [False] * len(docs)
            keep[0] = self.used + sizes[0] <= self.budget
        self.used += sum(s for s, k in zip(sizes, keep) if k)
        for i, k in enumerate(keep):
            if not k:
                self.omitted["canonical" if i == 0 else "member"] += 1
        return keep


class _Hits:
    """Removed lines per rule, and each rule's category (which only the lines carry)."""

    def __init__(self):
        self.lines: Counter[str] = Counter()
        self.category: dict[str, str] = {}

    def add(self, doc) -> None:
        for r in doc.removed:
            self.lines[r["rule"]] += 1
            self.category.setdefault(r["rule"], r.get("category") or "")

    def by_category(self) -> list[list[Any]]:
        rules: dict[str, list[str]] = defaultdict(list)
        for rule in sorted(self.lines):
            rules[self.category[rule]].append(rule)
        rows = [[cat, sum(self.lines[r] for r in names), ", ".join(f"{r} ×{self.lines[r]}" for r in names)]
                for cat, names in rules.items()]
        return sorted(rows, key=lambda row: (-row[1], row[0]))


def _records_data(result, texts: _Texts, hits: _Hits) -> Iterator[str]:
    yield "<script type='application/json' id='records-data'>["
    for n, record in enumerate(result.records):
        docs = [result.full(m.doc) for m in record.members]
        for doc in docs:
            hits.add(doc)
        members = [_member(m, d, k) for m, d, k in zip(record.members, docs, texts.choose(docs))]
        yield ("," if n else "") + "\n" + script_json({"id": record.record_id, "why": record.why, "members": members})
    yield "\n]</script>\n"


def _summary(result, manifest: dict[str, Any], texts: _Texts, hits: _Hits) -> Iterator[str]:
    rejected = [d for d in result.documents if not d.ok]
    for doc in rejected:  # their removed lines count in the manifest's rule hits too
        hits.add(result.full(doc))
    yield "<section id=summary>"
    if texts.omitted:
        yield (f"<p class=note>Text budget ({texts.budget:,} bytes) reached: the texts of "
               f"{texts.omitted['member']} member(s) and {texts.omitted['canonical']} canonical(s) are "
               "not in this page. Their records say so; <code>cleaner show OUT ID</code> prints one.</p>")
    yield "<div><h2>Languages</h2>"
    yield _table(["language", "documents"], [[k, v] for k, v in sorted(manifest["languages"].items())])

    yield "</div><div><h2>Removed lines by category</h2>" + _table(["category", "lines", "rules"], hits.by_category())

    sizes = Counter(size_bin(len(r.members)) for r in result.records)
    top = max(sizes.values(), default=1)
    bars = "".join(f"<tr><td>{esc(b)}</td><td class=num>{sizes[b]}</td>"
                   f"<td><span class=bar style='width:{round(100 * sizes[b] / top)}%'></span></td></tr>"
                   for b in SIZE_BINS)
    yield f"</div><div><h2>Record sizes</h2><table class=hist><tr><th>members</th><th>records</th><th></th></tr>{bars}</table>"

    largest = sorted(result.records, key=lambda r: (-len(r.members), r.record_id))[:LARGEST]
    rows_html = "".join(f"<tr><td class=num>{len(r.members)}</td><td><a href='#{esc(r.record_id)}'>"
                        f"{esc(r.record_id)}</a></td><td>{esc(r.canonical.title or r.canonical.id)}</td></tr>"
                        for r in largest)
    yield ("</div><div class=wide><h2>Largest records</h2>"
           f"<table><tr><th>members</th><th>record</th><th>title</th></tr>{rows_html}</table></div>")

    reasons = Counter(reason_kind(d.error or "") for d in rejected)
    yield f"<div class=wide><h2>Rejected inputs ({len(rejected)})</h2>"
    if rejected:
        yield _table(["reason", "inputs"], sorted(([k, v] for k, v in reasons.items()), key=lambda kv: (-kv[1], kv[0])))
        yield _table(["id", "source", "reason"], [[d.id, d.source, d.error] for d in rejected[:REJECTED_ROWS]])
    if len(rejected) > REJECTED_ROWS:
        yield f"<p class=muted>and {len(rejected) - REJECTED_ROWS} more: documents.jsonl lists them all.</p>"
    yield "</div></section>\n"


def render_report(result, manifest: dict[str, Any], text_budget: int = TEXT_BUDGET) -> Iterator[str]:
    """The page in chunks (a large run's report is written without holding it whole).

    Depends on nothing but the result and the manifest's counts, languages and input,
    so the same run gives the same bytes."""
    counts = manifest["counts"]
    texts, hits = _Texts(text_budget), _Hits()
    yield ("<!doctype html>\n<html lang=en><head><meta charset='utf-8'>"
           "<meta name=viewport content='width=device-width,initial-scale=1'>"
           f"<title>cleaner report</title><style>{CSS}</style></head><body>\n"
           f"<h1>cleaner report</h1><p class=muted>input: <code>{esc(manifest.get('input'))}</code></p>")
    yield _table(list(counts), [list(counts.values())], "counts")
    # The data comes before the summary, which is counted while the data is written:
    # every document is read once. A JSON script block is not displayed.
    yield from _records_data(result, texts, hits)
    yield from _summary(result, manifest, texts, hits)
    yield CONTROLS
    yield f"<script>{JS}</script>\n</body></html>\n"
