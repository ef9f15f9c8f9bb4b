"""report.html and its page files: the page opens from disk, with no server.

report.html holds the summary (static HTML), the records' index (one small row a record:
ids, canonical title, language, date, sources, relations, which page file holds it) as a
JSON block, and the script. The records themselves (members, removed lines, flags,
texts) are in page files, `report-pages/NNNNN.js`, about PAGE_CHARS each, which the page
loads with <script src> (fetch is blocked on file:// pages) when a record is opened or
texts are searched. A run of 200,000 documents opens as quickly as one of ten.

Every string from a document is data, never markup: static tables go through
html.escape; in the JSON block and the page files <, >, &, U+2028 and U+2029 are \\u
escapes, so no string can end the block early; and the script puts data into the page
with textContent only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from html import escape
from typing import TYPE_CHECKING, Any

from cleaner.inspect.report_page import CONTROLS, CSS, JS
from cleaner.inspect.report_rows import _REMOVED_KEYS, StoredPieces, member_row, script_json, stored_pieces
from cleaner.store.outdir import REPORT, REPORT_PAGES

if TYPE_CHECKING:
    from cleaner.core.document import Document
    from cleaner.dedup.cluster import Member
    from cleaner.exec.flow import RunResult

PAGE_CHARS = 1 << 20  # a page file is cut after the record that takes it past ~1 MB
PAGE_NAME = "{:05d}.js"  # the script pads the same way (padStart(5, "0"))
RELATIONS = {"canonical": "c", "exact": "e", "near": "n", "story": "s"}  # one letter a member in the index
SIZE_BINS = ("1", "2", "3-5", "6-10", "11-50", "51+")  # as in `cleaner report`
LARGEST = 10
REJECTED_ROWS = 1000  # documents.jsonl lists every rejected input; the page shows the first ones

Files = Iterator[tuple[str, Iterable[str]]]  # (path relative to the output folder, chunks)


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


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


def _member(member: Member, doc: Document) -> dict[str, Any]:
    """A member's row as a dict: what its page-file row encodes (report_rows.member_row
    builds the same JSON from pieces; explain and the tests use this one)."""
    row: dict[str, Any] = {
        "id": doc.id, "source": doc.source, "relation": member.relation, "similarity": round(member.similarity, 4),
        "reason": member.reason, "title": doc.title, "lang": doc.lang, "date": doc.date, "url": doc.url,
        "flags": doc.flags, "removed": [{k: r.get(k) for k in _REMOVED_KEYS if k in r} for r in doc.removed],
        "chars": len(doc.text), "text": doc.text}
    if member.shared_terms is not None:
        row["terms"] = member.shared_terms
    if member.evidence is not None:
        row["evidence"] = member.evidence
    return row


def _index_row(record_id: str, members: list[Member], page: int) -> list[Any]:
    """What the page lists, searches and filters without reading a page file."""
    c = members[0].doc
    return [record_id, c.title or "", c.lang or "", c.date or "", page, [m.doc.id for m in members],
            [m.doc.source for m in members], "".join(RELATIONS.get(m.relation, "?") for m in members)]


def _pieces_of(result: RunResult) -> Callable[[Document], StoredPieces]:
    """The result's report pieces of a document (RunResult.report_pieces: from the spool);
    for another kind of result (bench/report_bench.py's), from its whole document."""
    got: Callable[[Document], StoredPieces] | None = getattr(result, "report_pieces", None)
    return got if got is not None else (lambda doc: stored_pieces(result.full(doc)))


class _Hits:
    """Removed lines per rule, and each rule's category (which only the lines carry)."""

    def __init__(self) -> None:
        self.lines: Counter[str] = Counter()
        self.category: dict[str, str] = {}

    def add(self, doc: Document) -> None:
        self.add_rules((r["rule"], r.get("category") or "") for r in doc.removed)

    def add_rules(self, rules: Iterable[tuple[str, str]]) -> None:
        for rule, category in rules:
            self.lines[rule] += 1
            self.category.setdefault(rule, category)

    def by_category(self) -> list[list[Any]]:
        rules: dict[str, list[str]] = defaultdict(list)
        for rule in sorted(self.lines):
            rules[self.category[rule]].append(rule)
        rows = [[cat, sum(self.lines[r] for r in names), ", ".join(f"{r} ×{self.lines[r]}" for r in names)]
                for cat, names in rules.items()]
        return sorted(rows, key=lambda row: (-row[1], row[0]))


class _Pages:
    """The page files, written while the index is gathered: one pass over the documents
    (each read once from the store) gives the page files, the index and the rule hits."""

    def __init__(self, result: RunResult, hits: _Hits, page_chars: int):
        self.result, self.hits, self.page_chars = result, hits, page_chars
        self.pieces = _pieces_of(result)
        self.index: list[str] = []  # one JSON row a record
        self.ids: list[str] = []  # each record's id (a hash: computed once)
        self.count = 0

    def files(self) -> Files:
        rows: list[str] = []
        size = 0
        for record in self.result.records:
            # Each member's stored pieces (encoded where it was stored), not the document.
            members = []
            for m in record.members:
                pieces, rules = self.pieces(m.doc)
                self.hits.add_rules(rules)
                members.append(member_row(pieces, m.doc.id, m.relation, m.similarity, m.reason, m.shared_terms,
                                          m.evidence))
            rid = record.record_id
            # script_json({"id": rid, "why": ..., "members": [...]}), keys in order
            row = f'{{"id":{script_json(rid)},"members":[{",".join(members)}],"why":{script_json(record.why)}}}'
            self.ids.append(rid)
            self.index.append(script_json(_index_row(rid, record.members, self.count)))
            rows.append(row)
            size += len(row)
            if size >= self.page_chars:
                yield self._file(rows)
                rows, size = [], 0
        if rows:
            yield self._file(rows)

    def _file(self, rows: list[str]) -> tuple[str, list[str]]:
        # A call with a literal, not JSON in a string: the file is the data, and the
        # page's cleanerPage() only files it under its number.
        name = f"{REPORT_PAGES}/{PAGE_NAME.format(self.count)}"
        self.count += 1
        return name, [f"cleanerPage({self.count - 1},[\n", ",\n".join(rows), "\n]);\n"]

    def index_block(self) -> Iterator[str]:
        meta = script_json({"dir": REPORT_PAGES, "pages": self.count})
        yield f"<script type='application/json' id='records-index'>{meta[:-1]},\"records\":[\n"
        yield ",\n".join(self.index)
        yield "\n]}</script>\n"


def _summary(result: RunResult, manifest: dict[str, Any], hits: _Hits, ids: list[str]) -> Iterator[str]:
    rejected = [d for d in result.documents if not d.ok]
    for doc in rejected:  # their removed lines count in the manifest's rule hits too
        hits.add_rules(_pieces_of(result)(doc)[1])
    yield "<section id=summary>"
    yield "<div><h2>Languages</h2>"
    yield _table(["language", "documents"], [[k, v] for k, v in sorted(manifest["languages"].items())])

    yield "</div><div><h2>Removed lines by category</h2>" + _table(["category", "lines", "rules"], hits.by_category())

    sizes = Counter(size_bin(len(r.members)) for r in result.records)
    top = max(sizes.values(), default=1)
    bars = "".join(f"<tr><td>{esc(b)}</td><td class=num>{sizes[b]}</td>"
                   f"<td><span class=bar style='width:{round(100 * sizes[b] / top)}%'></span></td></tr>"
                   for b in SIZE_BINS)
    yield f"</div><div><h2>Record sizes</h2><table class=hist><tr><th>members</th><th>records</th><th></th></tr>{bars}</table>"

    records = result.records
    largest = sorted(range(len(records)), key=lambda k: (-len(records[k].members), ids[k]))[:LARGEST]
    rows_html = "".join(f"<tr><td class=num>{len(records[k].members)}</td><td><a href='#{esc(ids[k])}'>"
                        f"{esc(ids[k])}</a></td><td>{esc(records[k].canonical.title or records[k].canonical.id)}</td></tr>"
                        for k in largest)
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


def report_files(result: RunResult, manifest: dict[str, Any], page_chars: int = PAGE_CHARS) -> Files:
    """The page files, then report.html, each as chunks (a large run's report is written
    without holding it whole; the index, a row a record, is held until report.html).

    Depends on nothing but the result and the manifest's counts, languages and input,
    so the same run gives the same bytes."""
    hits = _Hits()
    pages = _Pages(result, hits, page_chars)
    yield from pages.files()
    yield REPORT, _page(result, manifest, pages, hits)


def _page(result: RunResult, manifest: dict[str, Any], pages: _Pages, hits: _Hits) -> Iterator[str]:
    counts = manifest["counts"]
    yield ("<!doctype html>\n<html lang=en><head><meta charset='utf-8'>"
           "<meta name=viewport content='width=device-width,initial-scale=1'>"
           f"<title>cleaner report</title><style>{CSS}</style></head><body>\n"
           f"<h1>cleaner report</h1><p class=muted>input: <code>{esc(manifest.get('input'))}</code></p>")
    yield _table(list(counts), [list(counts.values())], "counts")
    # A JSON script block is not displayed: the index goes before the summary as it did
    # when the page held the records.
    yield from pages.index_block()
    yield from _summary(result, manifest, hits, pages.ids)
    yield CONTROLS
    yield f"<script>{JS}</script>\n</body></html>\n"
