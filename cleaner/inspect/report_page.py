"""The static parts of report.html: its style sheet, the records table's controls and the
script that fills them from the embedded index and loads the page files (report.py writes
the data around them). Kept apart from report.py, which decides what the page holds."""

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
<label>Search <input type=search id=q placeholder='title, id, source'></label>
<label title='Reads every page file of the run: a large run takes a while'><input type=checkbox id=texts> texts too</label>
<label>Language <select id=lang><option value=''>any</option></select></label>
<label>Min. size <input type=number id=size min=1 value=1 style='width:4em'></label>
<label>Source <input type=search id=src placeholder='part of a source path'></label>
<label>Relation <select id=rel><option value=''>any</option><option>exact</option><option>near</option>
<option>story</option></select></label>
<label>Sort <select id=sort><option value=id>canonical id</option><option value=size>size</option></select></label>
<button id=prev>&lsaquo; previous</button><span id=count></span><button id=next>next &rsaquo;</button>
<span id=status class=muted></span>
</div>
<noscript><p class=note>Records are drawn by this page's script; records.jsonl holds them too.</p></noscript>
<div id=records></div></section>
"""

# Data reaches the page only through el() (text nodes and element properties): never as markup.
JS = r"""
"use strict";
// The index: a row a record, [id, canonical title, lang, date, page file, member ids, member sources,
// relations (a letter a member)]. The records themselves are in the page files.
const META = JSON.parse(document.getElementById("records-index").textContent);
const INDEX = META.records;
const PAGE = 50, STEP = 100, MAX_CELLS = 4e6, KEEP_PAGES = 16;
const REL = {c: "canonical", e: "exact", n: "near", s: "story"}, CODE = {exact: "e", near: "n", story: "s"};
const $ = (id) => document.getElementById(id);
let shown = [], page = 0, search = 0;  // search: the latest filter's number; an older text search stops
const HAY = new Array(INDEX.length), FIRST = [];  // FIRST[p]: the index of page file p's first record
INDEX.forEach((r, i) => { if (FIRST[r[4]] === undefined) FIRST[r[4]] = i; });

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

// Page files are scripts (fetch is blocked on file:// pages): each calls cleanerPage(n, records).
// The last KEEP_PAGES read stay in memory, so a search of every text does not hold them all.
const loaded = new Map(), loading = new Map();
window.cleanerPage = (n, records) => { loaded.set(n, records); };
const pageFile = (n) => `${META.dir}/${String(n).padStart(5, "0")}.js`;
function loadPage(n) {
  if (loaded.has(n)) { const rs = loaded.get(n); loaded.delete(n); loaded.set(n, rs); return Promise.resolve(rs); }
  if (!loading.has(n)) loading.set(n, new Promise((resolve, reject) => {
    const script = el("script", {src: pageFile(n)});
    const done = () => {
      script.remove(); loading.delete(n);
      if (!loaded.has(n)) return reject(new Error(`${pageFile(n)} could not be read`));
      resolve(loaded.get(n));
      for (const old of loaded.keys()) if (loaded.size > KEEP_PAGES) loaded.delete(old);
    };
    script.onload = done; script.onerror = done;
    document.head.append(script);
  }));
  return loading.get(n);
}
const loadRecord = (i) => loadPage(INDEX[i][4]).then((rs) => rs[i - FIRST[INDEX[i][4]]]);
const unreadable = (i) => el("p", {className: "omitted"},
  `This record is in ${pageFile(INDEX[i][4])}, which could not be read: keep the ${META.dir} folder beside this page. `,
  "One document at a time: ", el("code", null, `cleaner show ${quote(OUT)} ${quote(INDEX[i][5][0])}`));

function lazy(details, build) {
  // build() gives nodes, or a promise of them (a record waits for its page file).
  details.addEventListener("toggle", () => {
    if (details.open && !details.built) {
      details.built = true;
      Promise.resolve(build()).then((kids) => details.append(...[kids].flat().filter((k) => k !== null)));
    }
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

function haystack(i) {  // what the index holds: ids, title, sources
  if (HAY[i] === undefined) {
    const r = INDEX[i];
    HAY[i] = [r[0], r[1], ...r[5], ...r[6]].filter(Boolean).join("\n").toLowerCase();
  }
  return HAY[i];
}
const fullText = (r) => [r.id, ...r.members.flatMap((m) => [m.id, m.source, m.title, m.url, m.text])]
  .filter(Boolean).join("\n").toLowerCase();

function sortShown() {
  if ($("sort").value === "size") shown.sort((a, b) => INDEX[b][5].length - INDEX[a][5].length || a - b);
  else shown.sort((a, b) => a - b);
}

function filter() {
  const mine = ++search;
  const terms = $("q").value.toLowerCase().split(/\s+/).filter(Boolean);
  const lang = $("lang").value, min = Number($("size").value) || 0;
  const src = $("src").value.toLowerCase(), rel = CODE[$("rel").value];
  const base = [];
  INDEX.forEach((r, i) => {
    if (r[5].length < min || (lang && (r[2] || "und") !== lang)) return;
    if (rel && !r[7].includes(rel, 1)) return;
    if (src && !r[6].some((s) => s.toLowerCase().includes(src))) return;
    base.push(i);
  });
  shown = terms.length ? base.filter((i) => terms.every((t) => haystack(i).includes(t))) : base;
  $("status").textContent = "";
  sortShown();
  page = 0;
  draw();
  if (terms.length && $("texts").checked) searchTexts(mine, base.filter((i) => !terms.every((t) => haystack(i).includes(t))), terms);
}

async function searchTexts(mine, rest, terms) {
  // The records the index did not match, page file after page file; drawn as they come.
  const byPage = new Map();
  for (const i of rest) (byPage.get(INDEX[i][4]) || byPage.set(INDEX[i][4], []).get(INDEX[i][4])).push(i);
  let done = 0;
  for (const [p, items] of byPage) {
    $("status").textContent = `searching texts: page file ${done + 1} of ${byPage.size}`;
    let records;
    try { records = await loadPage(p); } catch (e) {
      if (mine === search) $("status").textContent = `${e.message}: texts from there on not searched`;
      return;
    }
    if (mine !== search) return;
    const found = items.filter((i) => { const t = fullText(records[i - FIRST[p]]); return terms.every((w) => t.includes(w)); });
    done++;
    if (found.length) {
      shown.push(...found);
      sortShown();
      draw();
    }
  }
  $("status").textContent = `texts searched (${byPage.size} page file(s))`;
}

function draw() {
  const start = page * PAGE, items = shown.slice(start, start + PAGE);
  const ids = items.map((i) => INDEX[i][0]).join("\n");
  if ($("records").drawn !== ids) {  // a text search redraws only when the page's records change
    $("records").replaceChildren(...items.map(recordNode));
    $("records").drawn = ids;
  }
  $("count").textContent = shown.length
    ? ` ${start + 1}–${start + items.length} of ${shown.length} records (${INDEX.length} in the run) `
    : ` no records match (${INDEX.length} in the run) `;
  $("prev").disabled = page === 0;
  $("next").disabled = start + PAGE >= shown.length;
}

function relations(codes) {
  const n = {};
  for (const c of codes.slice(1)) n[REL[c]] = (n[REL[c]] || 0) + 1;
  return Object.keys(n).sort().map((k) => `${n[k]} ${k}`).join(", ");
}

// A title, id or source goes in a <bdi>: an Arabic or Hebrew one would otherwise take the
// neutral text after it (" — 1 member(s)") into its right-to-left run and draw it on its left.
function recordNode(i) {
  const [id, title, lang, date, , ids, , codes] = INDEX[i], rels = relations(codes);
  const d = el("details", {className: "record", id},
    el("summary", null, el("b", null, el("bdi", null, title || ids[0])),
       ` — ${ids.length} member(s)${rels ? " (" + rels + ")" : ""} · ${lang || "und"} · ${date || "undated"} · `,
       el("code", null, id)));
  return lazy(d, () => loadRecord(i).then(
    (r) => [el("p", {className: "why"}, `Canonical ${r.members[0].id}: ${r.why}`),
            inSteps(r.members, (m) => memberNode(m, r.members[0]))],
    () => unreadable(i)));
}

function ruleCounts(removed) {
  const n = {};
  for (const x of removed) n[x.rule] = (n[x.rule] || 0) + 1;
  return Object.keys(n).sort().map((k) => el("span", {className: "rule"}, n[k] > 1 ? `${k} ×${n[k]}` : k));
}

function memberNode(m, canon) {
  const sim = m.relation === "canonical" ? "" : ` ${m.similarity.toFixed(3)}`;
  const head = el("summary", null, el("span", {className: "rel rel-" + m.relation}, m.relation + sim), " ",
    el("b", null, el("bdi", null, m.id)), " · ", el("bdi", null, m.source), ` · ${m.lang || "und"} · ${m.date || "undated"} `,
    m.flags.length ? el("span", {className: "flag"}, `${m.flags.length} flag(s)`) : null, " ", ruleCounts(m.removed));
  return lazy(el("details", {className: "member"}, head), () => [
    el("p", null, "Title: ", el("bdi", null, m.title || "(none)"), m.url ? el("span", null, " · URL: ", el("code", null, m.url)) : null),
    el("p", {className: "why"}, `Why: ${m.reason}`),
    m.terms ? el("p", null, "Shared terms: ", m.terms.join(", ")) : null,
    m.evidence ? el("ul", null, ...m.evidence.map((e) => el("li", null, e.term + " (weight " + e.weight + "): " + e.from))) : null,
    m.flags.length ? el("ul", null, m.flags.map(flagNode)) : null,
    m.removed.length ? removedTable(m.removed) : el("p", {className: "muted"}, "No lines removed."),
    fold(`Text (${m.chars} characters)`, () => el("div", {className: "text"}, m.text)),
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
      el("td", null, x.category || ""), el("td", null, el("span", {className: "removed"}, x.text)),
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
  const ops = lineDiff(canon.text.split("\n"), m.text.split("\n"));
  const count = (op) => ops.filter((o) => o[0] === op).length;
  const cls = {"+": "add", "-": "del", " ": "same"};
  return [el("p", {className: "diffstat"}, `${count("+")} line(s) only in ${m.id} (+), ${count("-")} only in the canonical ${canon.id} (−), ${count(" ")} in both`),
          el("div", {className: "diff"}, ops.map(([op, line]) => el("div", {className: cls[op]}, `${op} ${line}`)))];
}

function openFromHash() {
  const id = decoded(location.hash.slice(1));
  if (!INDEX.some((r) => r[0] === id)) return;
  for (const k of ["src", "lang", "rel"]) $(k).value = "";
  $("q").value = id; $("size").value = 1; $("texts").checked = false;
  filter();
  const d = document.getElementById(id);
  if (d) { d.open = true; d.scrollIntoView(); }
}

for (const lang of [...new Set(INDEX.map((r) => r[2] || "und"))].sort())
  $("lang").append(el("option", {value: lang, textContent: lang}));
$("texts").parentNode.title = `Reads the run's ${META.pages} page file(s): a large run takes a while`;
let typing;
for (const id of ["q", "src", "size"]) $(id).addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(filter, 250); });
for (const id of ["lang", "rel", "sort", "texts"]) $(id).addEventListener("change", filter);
const turn = (step) => { page += step; draw(); window.scrollTo(0, $("records-ui").offsetTop); };
$("prev").onclick = () => turn(-1);
$("next").onclick = () => turn(1);
window.addEventListener("hashchange", openFromHash);
filter();
openFromHash();
"""
