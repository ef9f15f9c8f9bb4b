"""report.html without a browser: self-contained, inert data, same bytes for the same run,
texts within the budget. tests/test_report_browser.py runs the page's script."""

import json
import os
import re
import subprocess
import sys
from html import escape
from types import GeneratorType, SimpleNamespace

import pytest
from conftest import RAW

from cleaner.dedup.cluster import CANONICAL, NEAR, STORY, Member, Record
from cleaner.core.document import DUPLICATE, KEPT, Document
from cleaner.store.output import build_manifest
from cleaner.exec.flow import run_documents
from cleaner.input.read import read_dicts
from cleaner.inspect.report import render_report, script_json
from cleaner.inspect.report_page import JS as _JS


def synthetic_run(n_records: int):
    """A finished run's result without running the pipeline: n records of 1 to 4 members."""
    docs, records = [], []
    for i in range(n_records):
        members = []
        for k in range(1 + i % 4):
            doc = Document(id=f"doc-{i:05d}-{k}", source=f"site{i % 7}/doc-{i:05d}-{k}.txt",
                           title=f"Story {i} about topic{i % 50}", lang=("en", "de", "fr")[i % 3],
                           date=f"2025-01-{1 + i % 28:02d}", status=KEPT if k == 0 else DUPLICATE,
                           text=f"Story {i} about topic{i % 50}\nFirst paragraph of story {i}.\n"
                                f"Second paragraph, version {k}.\nClosing line {i}.",
                           removed=[{"rule": "promo.newsletter", "category": "promo", "line_no": 3,
                                     "text": "Subscribe to our newsletter", "action": "drop"}] if k % 2 else [])
            relation = CANONICAL if k == 0 else (NEAR if k < 3 else STORY)
            members.append(Member(doc, relation, 1.0 if k == 0 else 0.8, shared_terms=["topic"] if k == 3 else None))
            docs.append(doc)
        records.append(Record(members, why="only member" if len(members) == 1 else "lowest_id: synthetic",
                              key=f"synthetic-{i}"))
    counts = {"inputs": len(docs), "kept": n_records, "duplicates": len(docs) - n_records, "rejected": 0,
              "records": n_records}
    result = SimpleNamespace(documents=sorted(docs, key=lambda d: d.id), records=records, full=lambda d: d)
    return result, {"input": "synthetic", "counts": counts, "languages": {"de": 1, "en": 1, "fr": 1}}


def page(result, manifest, **kw) -> str:
    return "".join(render_report(result, manifest, **kw))


def data(html: str) -> list[dict]:
    block = re.search(r"<script type='application/json' id='records-data'>(.*?)</script>", html, re.DOTALL)
    return json.loads(block.group(1))


@pytest.fixture(scope="module")
def raw_page(raw_run, cfg):
    manifest = build_manifest(raw_run, cfg, "raw", 1)
    return page(raw_run, manifest), manifest


def test_nothing_is_loaded_from_elsewhere(raw_page):
    html, _ = raw_page
    assert re.findall(r"<script[^>]*>", html) == ["<script type='application/json' id='records-data'>", "<script>"]
    assert not re.search(r"<(link|img|iframe|object|embed|base|source|audio|video)\b", html, re.IGNORECASE)
    assert not re.search(r"""\b(src|href|action|poster|srcset)\s*=\s*["']?\s*(https?:|//)""", html, re.IGNORECASE)
    assert "@import" not in html and "url(" not in html and "fetch(" not in _JS and "XMLHttpRequest" not in _JS


def test_summary_matches_the_manifest(raw_page):
    html, manifest = raw_page
    summary = html.split("<section id=summary>", 1)[1].split("</section>", 1)[0]
    for rule, n in manifest["rule_hits"].items():
        assert f"{rule} ×{n}" in summary
    assert "<td>consent</td><td>4</td>" in summary
    assert "<td>3-5</td><td class=num>1</td>" in summary  # the Odesa record, of 5
    records = data(html)
    assert len(records) == manifest["counts"]["records"]
    odesa = next(r for r in records if r["members"][0]["id"] == "wires/odesa-strike-wire")
    assert [m["relation"] for m in odesa["members"]] == ["canonical", "near", "story", "story", "story"]
    assert {"rule": "legal.copyright", "category": "legal", "line_no": 12, "action": "drop",
            "text": "© 2025 Meridian News Agency. All rights reserved."} in odesa["members"][0]["removed"]
    assert "odesa" in odesa["members"][2]["terms"]
    # Each shared term's weight and where it came from (issue #12).
    evidence = {e["term"]: e for e in odesa["members"][2]["evidence"]}
    assert evidence["odesa"]["weight"] > 0 and "rarity: zipf" in evidence["odesa"]["from"]


def test_document_strings_are_inert(cfg):
    attack = "</script><script>alert(1)</script><!-- & \u2028\u2029 <img src=x onerror=alert(2)>"
    result = run_documents(read_dicts([
        {"id": attack, "title": attack, "url": attack, "text": f"A line long enough to be kept as news text.\n{attack}"},
        {"id": "bad" + attack}]), cfg)
    html = page(result, build_manifest(result, cfg, attack, 1))
    block = html.split("id='records-data'>", 1)[1].split("</script>", 1)[0]
    assert not set(block) & set("<>&\u2028\u2029")
    member = data(html)[0]["members"][0]
    assert member["id"] == member["title"] == member["url"] == attack and attack in member["text"]
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in html  # the static tables: largest records, rejected
    assert html.count("</script>") == 2
    assert script_json("</script>\u2028") == '"\\u003c/script\\u003e\\u2028"'


def test_the_script_cannot_end_its_own_block():
    assert "</script" not in _JS.lower() and "<!--" not in _JS
    assert "innerHTML" not in _JS and "outerHTML" not in _JS and "insertAdjacentHTML" not in _JS


def test_rejected_inputs_listed_and_grouped(cfg):
    result = run_documents(read_dicts([{"id": "ok", "text": "A short but real line of news text here, kept."},
                                       {"id": "empty1"}, {"id": "empty2"}]), cfg)
    html = page(result, build_manifest(result, cfg, "<api>", 1))
    rejected = html.split("Rejected inputs (2)", 1)[1]
    reason = next(d.error for d in result.documents if not d.ok)
    assert "<td>empty1</td>" in rejected and "<td>empty2</td>" in rejected
    assert re.search(r"<td>[^<]+</td><td>2</td>", rejected)  # both under one reason
    assert escape(reason) in rejected


def test_same_run_same_bytes(tmp_path):
    outs = []
    for workers, seed in ((1, "0"), (2, "123")):
        out = tmp_path / f"w{workers}"
        run = subprocess.run([sys.executable, "-m", "cleaner", "run", str(RAW), "--out", str(out), "--workers",
                              str(workers), "-q"], check=False, capture_output=True, text=True, timeout=300,
                             env={**os.environ, "PYTHONHASHSEED": seed})
        assert run.returncode == 0, run.stderr
        outs.append((out / "report.html").read_bytes())
    assert outs[0] == outs[1]


def test_report_is_written_in_chunks():
    result, manifest = synthetic_run(200)
    chunks = render_report(result, manifest)
    assert isinstance(chunks, GeneratorType)
    assert sum(1 for _ in chunks) > 200


def _texts(records):
    canon = sum(r["members"][0]["text"] is not None for r in records)
    members = sum(m["text"] is not None for r in records for m in r["members"][1:])
    return canon, members


def test_texts_within_the_budget():
    result, manifest = synthetic_run(100)
    everything = data(page(result, manifest))
    assert _texts(everything) == (100, 150) and "Text budget" not in page(result, manifest)

    html = page(result, manifest, text_budget=15_000)  # 250 texts of ~100 bytes: not all fit
    records = data(html)
    canon, members = _texts(records)
    assert 0 < members < 150 and 0 < canon < 100 and canon / 100 > members / 150
    assert sum(len(m["text"].encode()) + sum(len(r["text"] or "") for r in m["removed"])
               for r in records for m in r["members"] if m["text"] is not None) <= 15_000
    # A member's text is never there without its canonical's.
    assert all(r["members"][0]["text"] is not None for r in records if _texts([r])[1])
    assert f"the texts of {150 - members} member(s) and {100 - canon} canonical(s)" in html
    # Past the members' share, a record's members lose their text (and removed lines') first.
    first_cut = next(r for r in records if len(r["members"]) > 1 and r["members"][1]["text"] is None)
    assert first_cut["members"][0]["text"] is not None
    assert all(x["text"] is None and x["rule"] for m in first_cut["members"][1:] for x in m["removed"])

    nothing = data(page(result, manifest, text_budget=0))
    assert _texts(nothing) == (0, 0)
    assert nothing[1]["members"][0]["chars"] == len(result.records[1].canonical.text)
