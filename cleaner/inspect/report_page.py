"""The static parts of report.html: its style sheet, the records table's controls and the
script that fills them from the embedded JSON (report.py writes the data around them).
Kept apart from report.py, which decides what the page holds."""

CSS = """
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

CONTROLS = """<section id=records-ui><h2>Records</h2>
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
JS = r"""
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
