"""report.html and its page files without a browser: nothing loaded from elsewhere, inert
data, same bytes for the same run, every record in one page file that the index names.
tests/test_report_browser.py runs the page's script."""

import json
import os
import re
import subprocess
import sys
from html import escape
from pathlib import Path
from types import GeneratorType
from typing import Any

import pytest
from conftest import RAW, ROOT

from cleaner.store.output import build_manifest
from cleaner.exec.flow import run_documents
from cleaner.input.read import read_dicts
from cleaner.inspect.report import report_files, script_json
from cleaner.core.config import Config
from cleaner.exec.flow import RunResult
from cleaner.inspect.report_page import JS as _JS

sys.path.insert(0, str(ROOT / "bench"))
from report_bench import synthetic_run  # type: ignore[import-not-found, unused-ignore]  # noqa: E402  (one generator, the bench's)

PAGE_FILE = re.compile(r"report-pages/(\d{5})\.js")


def files(result: Any, manifest: dict[str, Any], **kw: Any) -> dict[str, str]:
    """{name: text} for report.html and its page files, in the order they are written."""
    return {name: "".join(chunks) for name, chunks in report_files(result, manifest, **kw)}


def page(result: Any, manifest: dict[str, Any], **kw: Any) -> str:
    return files(result, manifest, **kw)["report.html"]


def index(html: str) -> dict[str, Any]:
    block = re.search(r"<script type='application/json' id='records-index'>(.*?)</script>", html, re.DOTALL)
    assert block
    meta: dict[str, Any] = json.loads(block.group(1))
    return meta


def page_records(text: str, number: int) -> list[dict[str, Any]]:
    head, tail = f"cleanerPage({number},[\n", "\n]);\n"
    assert text.startswith(head) and text.endswith(tail)
    records: list[dict[str, Any]] = json.loads(text[len(head) - 2:-len(tail) + 2])  # the array literal is JSON
    return records


def data(out: dict[str, str]) -> list[dict[str, Any]]:
    """Every record, from the page files."""
    pages = sorted(n for n in out if n != "report.html")
    return [r for n, name in enumerate(pages) for r in page_records(out[name], n)]


@pytest.fixture(scope="module")
def raw_files(raw_run: RunResult, cfg: Config) -> tuple[dict[str, str], dict[str, Any]]:
    manifest = build_manifest(raw_run, cfg, "raw", 1)
    return files(raw_run, manifest), manifest


def test_nothing_is_loaded_from_elsewhere(raw_files: tuple[dict[str, str], dict[str, Any]]) -> None:
    out, _ = raw_files
    html = out["report.html"]
    assert re.findall(r"<script[^>]*>", html) == ["<script type='application/json' id='records-index'>", "<script>"]
    assert not re.search(r"<(link|img|iframe|object|embed|base|source|audio|video)\b", html, re.IGNORECASE)
    assert not re.search(r"""\b(src|href|action|poster|srcset)\s*=\s*["']?\s*(https?:|//)""", html, re.IGNORECASE)
    assert "@import" not in html and "url(" not in html and "fetch(" not in _JS and "XMLHttpRequest" not in _JS
    # The one thing the script loads: page files, by a relative name it makes from a number.
    assert "src: pageFile(n)" in _JS and "`${META.dir}/${String(n).padStart(5, \"0\")}.js`" in _JS
    assert index(html)["dir"] == "report-pages" and list(out)[:-1] == ["report-pages/00000.js"]
    # A page file is one call with an array literal: data, nothing else runs.
    assert len(page_records(out["report-pages/00000.js"], 0)) == len(index(html)["records"])


def test_summary_matches_the_manifest(raw_files: tuple[dict[str, str], dict[str, Any]]) -> None:
    out, manifest = raw_files
    html = out["report.html"]
    summary = html.split("<section id=summary>", 1)[1].split("</section>", 1)[0]
    for rule, n in manifest["rule_hits"].items():
        assert f"{rule} ×{n}" in summary
    assert "<td>consent</td><td>4</td>" in summary
    assert "<td>3-5</td><td class=num>1</td>" in summary  # the Odesa record, of 5
    records = data(out)
    assert len(records) == len(index(html)["records"]) == manifest["counts"]["records"]
    odesa = next(r for r in records if r["members"][0]["id"] == "wires/odesa-strike-wire")
    assert [m["relation"] for m in odesa["members"]] == ["canonical", "near", "story", "story", "story"]
    assert {"rule": "legal.copyright", "category": "legal", "line_no": 12, "action": "drop",
            "text": "© 2025 Meridian News Agency. All rights reserved."} in odesa["members"][0]["removed"]
    assert "odesa" in odesa["members"][2]["terms"]
    # Each shared term's weight and where it came from (issue #12).
    evidence = {e["term"]: e for e in odesa["members"][2]["evidence"]}
    assert evidence["odesa"]["weight"] > 0 and "rarity: zipf" in evidence["odesa"]["from"]
    # The index row: what the page lists and searches without reading the page file.
    row = next(r for r in index(html)["records"] if r[0] == odesa["id"])
    assert row[4] == 0 and row[5] == [m["id"] for m in odesa["members"]] and row[7] == "cnsss"
    assert row[6] == [m["source"] for m in odesa["members"]] and row[1] == odesa["members"][0]["title"]


def test_document_strings_are_inert(cfg: Config) -> None:
    attack = "</script><script>alert(1)</script><!-- & \u2028\u2029 <img src=x onerror=alert(2)>"
    result = run_documents(read_dicts([
        {"id": attack, "title": attack, "url": attack, "text": f"A line long enough to be kept as news text.\n{attack}"},
        {"id": "bad" + attack}]), cfg)
    out = files(result, build_manifest(result, cfg, attack, 1))
    html = out["report.html"]
    block = html.split("id='records-index'>", 1)[1].split("</script>", 1)[0]
    assert not set(block) & set("<>&\u2028\u2029")
    assert index(html)["records"][0][:2] == [data(out)[0]["id"], attack]
    pages = out["report-pages/00000.js"]
    assert not set(pages) & set("<>&\u2028\u2029")
    member = data(out)[0]["members"][0]
    # The text's U+2028 / U+2029 are its line breaks (read.line_breaks); id, title and url keep them.
    assert member["id"] == member["title"] == member["url"] == attack
    head, _, tail = attack.partition("\u2028\u2029")
    assert f"{head.rstrip()}\n\n{tail}" in member["text"]  # a line's trailing space goes, as any line's
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in html  # the static tables: largest records, rejected
    assert html.count("</script>") == 2
    assert script_json("</script>\u2028") == '"\\u003c/script\\u003e\\u2028"'
    # A quote or a backslash cannot end the array literal early either: json.dumps escapes them.
    assert page_records(files(*synthetic_run(1))["report-pages/00000.js"], 0)[0]["id"].startswith("rec-")


def test_the_script_cannot_end_its_own_block() -> None:
    assert "</script" not in _JS.lower() and "<!--" not in _JS
    assert "innerHTML" not in _JS and "outerHTML" not in _JS and "insertAdjacentHTML" not in _JS


def test_rejected_inputs_listed_and_grouped(cfg: Config) -> None:
    result = run_documents(read_dicts([{"id": "ok", "text": "A short but real line of news text here, kept."},
                                       {"id": "empty1"}, {"id": "empty2"}]), cfg)
    html = page(result, build_manifest(result, cfg, "<api>", 1))
    rejected = html.split("Rejected inputs (2)", 1)[1]
    reason = next(d.error for d in result.documents if not d.ok)
    assert "<td>empty1</td>" in rejected and "<td>empty2</td>" in rejected
    assert re.search(r"<td>[^<]+</td><td>2</td>", rejected)  # both under one reason
    assert reason and escape(reason) in rejected


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_run_same_bytes_and_a_rerun_replaces_the_pages(tmp_path: Path) -> None:
    def run(out: Path, workers: int, seed: str) -> dict[str, bytes]:
        proc = subprocess.run([sys.executable, "-m", "cleaner", "run", str(RAW), "--out", str(out), "--workers",
                               str(workers), "-q"], check=False, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        assert proc.returncode == 0, proc.stderr
        return {k: v for k, v in _tree(out).items() if k not in ("manifest.json", ".cleaner.lock")}

    first = run(tmp_path / "w1", 1, "0")
    assert "report.html" in first and "report-pages/00000.js" in first
    assert first == run(tmp_path / "w2", 2, "123")
    # Into the previous run's folder (its report-pages/ is cleaner's own): replaced whole.
    (tmp_path / "w1" / "report-pages" / "00007.js").write_text("cleanerPage(7,[]);\n", encoding="utf-8")
    assert run(tmp_path / "w1", 1, "0") == first


def test_report_is_written_in_chunks() -> None:
    result, manifest = synthetic_run(200)
    names = report_files(result, manifest)
    assert isinstance(names, GeneratorType)
    name, chunks = next(names)
    assert name == "report-pages/00000.js"
    *_, (last, html) = names
    assert last == "report.html" and isinstance(html, GeneratorType) and sum(1 for _ in html) > 5


def test_records_are_paged_and_the_index_finds_them() -> None:
    result, manifest = synthetic_run(100, text_chars=500)
    out = files(result, manifest, page_chars=20_000)
    pages = [n for n in out if n != "report.html"]
    assert pages == [f"report-pages/{n:05d}.js" for n in range(len(pages))] and len(pages) > 3
    meta = index(out["report.html"])
    assert meta["pages"] == len(pages)
    rows = meta["records"]
    assert [r[0] for r in rows] == [r.record_id for r in result.records]
    for n, name in enumerate(pages):
        records = page_records(out[name], n)
        # Cut after the record that takes a page past page_chars: each page but the last is
        # over it, and would be under it without its last record.
        if n < len(pages) - 1:
            sizes = [len(script_json(r)) for r in records]
            assert sum(sizes) + len(sizes) - 1 >= 20_000 > sum(sizes[:-1])
        # The index names the page file that holds each record, and the records there follow its order.
        assert [r["id"] for r in records] == [row[0] for row in rows if row[4] == n]
    everything = data(out)
    assert len(everything) == 100 and sum(len(r["members"]) for r in everything) == 250
    # Every text whole: nothing is cut to fit a budget any more.
    full = {d.id: result.full(d).text for d in result.documents}
    assert all(m["text"] == full[m["id"]] and m["chars"] == len(full[m["id"]]) for r in everything for m in r["members"])
    assert "budget" not in out["report.html"]


def test_one_huge_record_is_a_page_of_its_own() -> None:
    result, manifest = synthetic_run(3, text_chars=30_000)
    out = files(result, manifest, page_chars=20_000)
    assert [r[4] for r in index(out["report.html"])["records"]] == [0, 1, 2]
