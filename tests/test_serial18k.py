"""serial-18k: less of a run's serial part in the main process (issue #18 points 1, 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Runs `cleaner run` in a child whose executor's map notes, when it starts and when its
# first result is handed on, whether clustering's module has been imported.
_CHILD = textwrap.dedent("""
    import atexit, json, runpy, sys
    import cleaner.exec.local as local
    seen = {}
    def note():
        with open(NOTE, "w") as fh:
            json.dump(seen, fh)
    # At the run's end: the command ends its process itself (cli.command, serial-30), after
    # the atexit handlers; runpy does not return.
    atexit.register(note)
    real = local.LocalExecutor.map
    def noted(self, *a, **k):
        seen["at map"] = "cleaner.dedup.cluster" in sys.modules
        for n, item in enumerate(real(self, *a, **k)):
            yield item
            if n == 1:  # the flow took the first result and asked for the second
                seen["after the first result"] = "cleaner.dedup.cluster" in sys.modules
    local.LocalExecutor.map = noted
    sys.argv = ["cleaner"] + sys.argv[2:]
    runpy.run_module("cleaner", run_name="__main__", alter_sys=True)
""")


def _jsonl(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            text = "\n".join(f"Sentence {j} of story {i % 5} tells of the harbour at Nordby and its ferry {j}."
                             for j in range(8))
            fh.write(json.dumps({"id": f"d{i}", "text": text, "title": f"Story {i % 5}"}) + "\n")
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_clustering_is_imported_while_the_workers_run_not_before(tmp_path, workers):
    """dedup/cluster.py (stories, term_weights, regex) was imported with exec/flow.py, in the
    run's serial start; it is imported after the executor's first result now."""
    note = tmp_path / "note.json"
    child = tmp_path / "child.py"
    child.write_text(f"NOTE = {str(note)!r}\n" + _CHILD)
    data = _jsonl(tmp_path / "in.jsonl", 40)
    env = dict(os.environ, PYTHONPATH=str(ROOT), CLEANER_CACHE_DIR=str(tmp_path / "cache"))
    subprocess.run([sys.executable, str(child), "x", "run", str(data), "--out", str(tmp_path / "out"), "-q",
                    "--workers", workers], env=env, check=True, timeout=300)
    seen = json.loads(note.read_text())
    assert seen == {"at map": False, "after the first result": True}
    assert sum(1 for _ in open(tmp_path / "out" / "documents.jsonl")) == 40


def _items() -> list[dict]:
    """Stories with copies and near copies; characters the page must escape; texts around
    the spool's read-ahead (16 KB) and far past it; a rejected input."""
    lines = ["The ferry <b>Nordby</b> & its harbour \u2028 stayed shut, Mayor Ellingsen said {j}.",
             "Paris </script> wind: 90 km/h \u2029 Ελλάδα, Україна, 東京 {j}.",
             "Rain fell on the coast of Brittany for the {j}th day, Météo-France said."]
    items = []
    for i in range(36):
        n = (5, 40, 160, 230, 700)[i % 5]  # up to ~60,000 characters
        text = "\n".join(lines[(i + j) % 3].format(j=j + (i % 2 if i > 20 else 0)) for j in range(n))
        items.append({"id": f"d<{i % 12}>&{i}", "text": text, "title": f"Story <{i % 6}> & \u2028",
                      "url": f"https://example.com/{i % 12}?a=<b>&c", "date": f"2024-03-0{1 + i % 7}"})
    items.append({"id": "no text"})
    return items


def _old_pages(result, manifest) -> dict[str, str]:
    """The page files as report.py wrote them before: script_json of each record's dict,
    built from whole documents read back (result.full)."""
    from cleaner.inspect.report import PAGE_CHARS, PAGE_NAME, _member, script_json

    out: dict[str, str] = {}
    rows: list[str] = []
    size = 0

    def flush() -> None:
        n = len(out)
        out[f"report-pages/{PAGE_NAME.format(n)}"] = f"cleanerPage({n},[\n" + ",\n".join(rows) + "\n]);\n"

    for record in result.records:
        docs = [result.full(m.doc) for m in record.members]
        row = script_json({"id": record.record_id, "why": record.why,
                           "members": [_member(m, d) for m, d in zip(record.members, docs)]})
        rows.append(row)
        size += len(row)
        if size >= PAGE_CHARS:
            flush()
            rows, size = [], 0
    if rows:
        flush()
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_report_pages_are_written_from_stored_pieces_not_whole_documents(tmp_path, monkeypatch, workers):
    """report.html's page files read every member back whole (Spool.get: its text
    unpickled) and encoded it again in the main process; the workers store its encoded
    pieces now, and the pages are the same bytes."""
    from cleaner.core.config import load_config
    from cleaner.exec.flow import run_documents
    from cleaner.input.read import read_dicts
    from cleaner.inspect.report import report_files
    from cleaner.store.output import build_manifest
    from cleaner.store.spool import Spool

    cfg = load_config(None)
    result = run_documents(read_dicts(_items()), cfg, workers=workers, spool=True, spool_dir=str(tmp_path))
    try:
        assert any(len(r.members) > 1 for r in result.records)
        manifest = build_manifest(result, cfg, "<test>", workers)
        want = _old_pages(result, manifest)
        old_html = dict((name, "".join(chunks)) for name, chunks in report_files(result, manifest))

        def refused(self, ref):
            raise AssertionError("a whole document was read back to write the report")

        monkeypatch.setattr(Spool, "get", refused)
        got = {name: "".join(chunks) for name, chunks in report_files(result, manifest)}
        assert {k: v for k, v in got.items() if k != "report.html"} == want
        assert got == old_html
        assert "\\u2028" in got["report-pages/00000.js"] and "<b>" not in got["report-pages/00000.js"]
    finally:
        result.close()


def test_spooled_row_parts_and_report_pieces_read_back_at_any_length(tmp_path):
    """The J frame holds the row parts' pickle, then the report pieces' pickle; each is read
    alone, whether it ends inside the frame's first read (16 KB) or past it."""
    from cleaner.core.document import Document
    from cleaner.inspect.report_rows import stored_pieces
    from cleaner.store.spool import READ_AHEAD, Spool

    spool = Spool(str(tmp_path))
    try:
        docs, refs = [], []
        for n in (0, 10, READ_AHEAD // 8 - 40, READ_AHEAD // 4, READ_AHEAD // 2 - 300, READ_AHEAD // 2, READ_AHEAD,
                  3 * READ_AHEAD):
            doc = Document(id=f"d{n}", source="s", text="ы<" * (n // 2) + "a" * (n % 2), title="t & u")
            docs.append(doc)
            refs.append(spool.put(doc))
        for doc, ref in zip(docs, refs):
            assert spool.get_parts(ref) == doc.json_parts()
            assert spool.get_report_pieces(ref) == stored_pieces(doc)
            assert spool.get(ref).text == doc.text
    finally:
        spool.close()


def test_member_row_is_script_json_of_the_members_dict():
    from cleaner.core.document import Document
    from cleaner.dedup.cluster import Member
    from cleaner.inspect.report import _member, script_json
    from cleaner.inspect.report_rows import member_row, stored_pieces

    doc = Document(id="a<&>\u2028", source="src/<x>.html", text="one\u2029two </script>", title=None, lang=None,
                   date=None, url=None)
    doc.removed = [{"rule": "r<1>", "category": "promo", "line_no": 3, "action": "drop", "text": "<a>&", "extra": 1},
                   {"rule": "r2", "line_no": 4}]
    doc.flags = [{"flag": "f", "reason": "<z>"}]
    for member in (Member(doc, "canonical", 1.0), Member(doc, "near", 0.876543, reason="x & y"),
                   Member(doc, "story", 0.5, shared_terms=["<t>", "ü"], evidence=[{"term": "<t>", "weight": 1.5}])):
        pieces, rules = stored_pieces(doc)
        got = member_row(pieces, member.doc.id, member.relation, member.similarity, member.reason,
                         member.shared_terms, member.evidence)
        assert got == script_json(_member(member, doc))
        assert rules == (("r<1>", "promo"), ("r2", ""))
