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
           f"<title>cleaner report</title><style>{_CSS}</style></head><body>\n"
           f"<h1>cleaner report</h1><p class=muted>input: <code>{esc(manifest.get('input'))}</code></p>")
    yield _table(list(counts), [list(counts.values())], "counts")
    # The data comes before the summary, which is counted while the data is written:
    # every document is read once. A JSON script block is not displayed.
    yield from _records_data(result, texts, hits)
    yield from _summary(result, manifest, texts, hits)
    yield _CONTROLS
    yield f"<script>{_JS}</script>\n</body></html>\n"


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em 2em;max-width:90em;color:#222}
h2{margin:1.2em 0 .3em;font-size:1.15em}
table{border-collapse:collapse;margin:.3em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td a{white-space:nowrap}.num{text-align:right}.muted,.why{color:#666}.note{background:#fff6d6;padding:.4em .6em}
.hist td:last-child{width:20em}.bar{display:inline-block;height:.8em;background:#69c}
#summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(28em,1fr));gap:0 2em;align-items:start}
#summary .wide,#summary .note{grid-column:1/-1}
.controls{display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:center;position:sticky;top:0;background:#fff;
 padding:.5em 0;border-bottom:1px solid #ddd;z-index:1}
.controls input[type=search]{width:20em}
details{border:1px solid #ddd;border-radius:4px;margin:.3em 0;padding:.2em .6em}
summary{cursor:pointer}details.member{margin-left:1em}
.rel{display:inline-block;min-width:6em;font-weight:bold}.rel-canonical{color:#064}.rel-exact{color:#555}
.rel-near{color:#a50}.rel-story{color:#538}
code,.rule{font:12px ui-monospace,monospace}.rule{background:#fde;border-radius:3px;padding:0 3px;margin-right:3px}
.removed{background:#fdd;text-decoration:line-through}.flag{background:#ffe9b3;border-radius:3px;padding:0 3px}
.text,.diff{white-space:pre-wrap;background:#fafafa;padding:.5em;max-height:30em;overflow:auto;margin:.3em 0}
.diff div{padding:0 .3em}.add{background:#dfd}.del{background:#fdd}.same{color:#777}
.omitted{color:#a00}
"""

_CONTROLS = """<section id=records-ui><h2>Records</h2>
<div class=controls>
<label>Search <input type=search id=q placeholder='title, id, source, text'></label>
<label>Language <select id=lang><option value=''>any</option></select></label>
<label>Min. size <input type=number id=size min=1 value=1 style='width:4em'></label>
<label>Source <input type=search id=src placeholder='part of a source path'></label>
<label>Relation <select id=rel><option value=''>any</option><option>exact</option><option>near</option>
<option>story</option></select></label>
<label>Sort <select id=sort><option value=id>canonical id</option><option value=size>size</option></select></label>
<button id=prev>&lsaquo; previous</button><span id=count></span><button id=next>next &rsaquo;</button>
</div>
<noscript><p class=note>Records are drawn by this page's script; records.jsonl holds them too.</p></noscript>
<div id=records></div></section>
"""

# Data reaches the page only through el() (text nodes and element properties): never as markup.
_JS = r"""
"use strict";
const DATA = JSON.parse(document.getElementById("records-data").textContent);
const PAGE = 50, STEP = 100, MAX_CELLS = 4e6;
const $ = (id) => document.getElementById(id);
let shown = [], page = 0;
const HAY = new Array(DATA.length);

function el(tag, props, ...kids) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== "") node.append(kid);
  return node;
}
// An address may hold a malformed escape (#%E0%A4%A): URIError would stop the page, so take it as written.
const decoded = (s) => { try { return decodeURIComponent(s); } catch (e) { return s; } };
const OUT = decoded(location.pathname).replace(/\/[^\/]*$/, "") || "OUT";  // this page's folder is the run's OUT
const quote = (s) => /^[\w@%+=:,.\/-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'";
const omitted = (m) => el("p", {className: "omitted"}, "text omitted: see ",
                          el("code", null, `cleaner show ${quote(OUT)} ${quote(m.id)}`));

function lazy(details, build) {
  details.addEventListener("toggle", () => {
    if (details.open && !details.built) { details.built = true; details.append(...[build()].flat().filter((k) => k !== null)); }
  });
  return details;
}
const fold = (label, build) => lazy(el("details", null, el("summary", null, label)), build);

function inSteps(items, make) {
  // A record of thousands of members is drawn a hundred at a time.
  const box = el("div");
  const more = (from) => {
    box.append(...items.slice(from, from + STEP).map(make));
    if (from + STEP < items.length) {
      const button = el("button", {textContent: `show ${Math.min(STEP, items.length - from - STEP)} more of ${items.length}`});
      button.onclick = () => { button.remove(); more(from + STEP); };
      box.append(button);
    }
  };
  more(0);
  return box;
}

function haystack(i) {
  if (HAY[i] === undefined) {
    const r = DATA[i];
    HAY[i] = [r.id, ...r.members.flatMap((m) => [m.id, m.source, m.title, m.url, m.text])]
      .filter(Boolean).join("\n").toLowerCase();
  }
  return HAY[i];
}

function filter() {
  const terms = $("q").value.toLowerCase().split(/\s+/).filter(Boolean);
  const lang = $("lang").value, min = Number($("size").value) || 0;
  const src = $("src").value.toLowerCase(), rel = $("rel").value;
  shown = [];
  DATA.forEach((r, i) => {
    const ms = r.members;
    if (ms.length < min || (lang && (ms[0].lang || "und") !== lang)) return;
    if (rel && !ms.some((m) => m.relation === rel)) return;
    if (src && !ms.some((m) => m.source.toLowerCase().includes(src))) return;
    if (terms.length && !terms.every((t) => haystack(i).includes(t))) return;
    shown.push(i);
  });
  if ($("sort").value === "size") shown.sort((a, b) => DATA[b].members.length - DATA[a].members.length || a - b);
  page = 0;
  draw();
}

function draw() {
  const start = page * PAGE, items = shown.slice(start, start + PAGE);
  $("records").replaceChildren(...items.map((i) => recordNode(DATA[i])));
  $("count").textContent = shown.length
    ? ` ${start + 1}–${start + items.length} of ${shown.length} records (${DATA.length} in the run) `
    : ` no records match (${DATA.length} in the run) `;
  $("prev").disabled = page === 0;
  $("next").disabled = start + PAGE >= shown.length;
}

function relations(r) {
  const n = {};
  for (const m of r.members.slice(1)) n[m.relation] = (n[m.relation] || 0) + 1;
  return Object.keys(n).sort().map((k) => `${n[k]} ${k}`).join(", ");
}

function recordNode(r) {
  const c = r.members[0], rels = relations(r);
  const d = el("details", {className: "record", id: r.id},
    el("summary", null, el("b", null, c.title || c.id),
       ` — ${r.members.length} member(s)${rels ? " (" + rels + ")" : ""} · ${c.lang || "und"} · ${c.date || "undated"} · `,
       el("code", null, r.id)));
  return lazy(d, () => [el("p", {className: "why"}, `Canonical ${c.id}: ${r.why}`),
                        inSteps(r.members, (m) => memberNode(m, c))]);
}

function ruleCounts(removed) {
  const n = {};
  for (const x of removed) n[x.rule] = (n[x.rule] || 0) + 1;
  return Object.keys(n).sort().map((k) => el("span", {className: "rule"}, n[k] > 1 ? `${k} ×${n[k]}` : k));
}

function memberNode(m, canon) {
  const sim = m.relation === "canonical" ? "" : ` ${m.similarity.toFixed(3)}`;
  const head = el("summary", null, el("span", {className: "rel rel-" + m.relation}, m.relation + sim), " ",
    el("b", null, m.id), ` · ${m.source} · ${m.lang || "und"} · ${m.date || "undated"} `,
    m.flags.length ? el("span", {className: "flag"}, `${m.flags.length} flag(s)`) : null, " ", ruleCounts(m.removed));
  return lazy(el("details", {className: "member"}, head), () => [
    el("p", null, `Title: ${m.title || "(none)"}`, m.url ? el("span", null, " · URL: ", el("code", null, m.url)) : null),
    el("p", {className: "why"}, `Why: ${m.reason}`),
    m.terms ? el("p", null, "Shared terms: ", m.terms.join(", ")) : null,
    m.evidence ? el("ul", null, ...m.evidence.map((e) => el("li", null, e.term + " (weight " + e.weight + "): " + e.from))) : null,
    m.flags.length ? el("ul", null, m.flags.map(flagNode)) : null,
    m.removed.length ? removedTable(m.removed) : el("p", {className: "muted"}, "No lines removed."),
    fold(`Text (${m.chars} characters)`, () => m.text === null ? omitted(m) : el("div", {className: "text"}, m.text)),
    m === canon ? null : fold("Differences from the canonical", () => diffNode(canon, m)),
  ]);
}

function flagNode(f) {
  const parts = Object.keys(f).sort().filter((k) => k !== "flag" && k !== "would_remove")
    .map((k) => `${k}: ${typeof f[k] === "string" ? f[k] : JSON.stringify(f[k])}`);
  return el("li", null, el("span", {className: "flag"}, String(f.flag)), " ", parts.join(" · "),
            f.would_remove ? ` · would remove ${f.would_remove.length} line(s)` : null);
}

function removedTable(removed) {
  return el("table", null,
    el("tr", null, ["line", "rule", "category", "removed text", "note"].map((h) => el("th", null, h))),
    removed.map((x) => el("tr", null,
      el("td", {className: "num"}, String(x.line_no ?? "")), el("td", null, el("span", {className: "rule"}, x.rule)),
      el("td", null, x.category || ""),
      el("td", null, x.text === null ? el("i", {className: "omitted"}, "omitted") : el("span", {className: "removed"}, x.text)),
      el("td", {className: "muted"}, [x.action === "metadata" && x.field ? `moved to ${x.field}` : "", x.note || ""].filter(Boolean).join("; ")))));
}

// Line diff by longest common subsequence; past MAX_CELLS, lines are compared as sets.
function lineDiff(a, b) {
  const n = a.length, m = b.length, w = m + 1;
  if (n * m > MAX_CELLS) {
    const inA = new Set(a), inB = new Set(b);
    return [...a.filter((l) => !inB.has(l)).map((l) => ["-", l]), ...b.filter((l) => !inA.has(l)).map((l) => ["+", l])];
  }
  const L = new Int32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      L[i * w + j] = a[i] === b[j] ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push([" ", a[i]]); i++; j++; }
    else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) out.push(["-", a[i++]]);
    else out.push(["+", b[j++]]);
  }
  while (i < n) out.push(["-", a[i++]]);
  while (j < m) out.push(["+", b[j++]]);
  return out;
}

function diffNode(canon, m) {
  if (canon.text === null || m.text === null) return omitted(canon.text === null ? canon : m);
  const ops = lineDiff(canon.text.split("\n"), m.text.split("\n"));
  const count = (op) => ops.filter((o) => o[0] === op).length;
  const cls = {"+": "add", "-": "del", " ": "same"};
  return [el("p", {className: "diffstat"}, `${count("+")} line(s) only in ${m.id} (+), ${count("-")} only in the canonical ${canon.id} (−), ${count(" ")} in both`),
          el("div", {className: "diff"}, ops.map(([op, line]) => el("div", {className: cls[op]}, `${op} ${line}`)))];
}

function openFromHash() {
  const id = decoded(location.hash.slice(1));
  if (!DATA.some((r) => r.id === id)) return;
  for (const k of ["src", "lang", "rel"]) $(k).value = "";
  $("q").value = id; $("size").value = 1;
  filter();
  const d = document.getElementById(id);
  if (d) { d.open = true; d.scrollIntoView(); }
}

for (const lang of [...new Set(DATA.map((r) => r.members[0].lang || "und"))].sort())
  $("lang").append(el("option", {value: lang, textContent: lang}));
let typing;
for (const id of ["q", "src", "size"]) $(id).addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(filter, 250); });
for (const id of ["lang", "rel", "sort"]) $(id).addEventListener("change", filter);
const turn = (step) => { page += step; draw(); window.scrollTo(0, $("records-ui").offsetTop); };
$("prev").onclick = () => turn(-1);
$("next").onclick = () => turn(1);
window.addEventListener("hashchange", openFromHash);
filter();
openFromHash();
"""
