"""`cleaner run` and `cleaner clean` as a user calls them, and the output contract."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cleaner import clean
from cleaner.cli import cli as main
from conftest import RAW

FILES = ("documents.jsonl", "records.jsonl", "report.html", "manifest.json")


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "clean"
    result = run_cli("run", str(RAW), "--out", str(out), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "21 inputs" in result.stderr and "records" in result.stderr
    return out


def rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_run_writes_the_four_files(out):
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES + ("report-pages",))  # report.html's page files
    umask = os.umask(0)
    os.umask(umask)
    pages = sorted((out / "report-pages").iterdir())
    assert pages and all((out / f).stat().st_mode & 0o777 == 0o666 & ~umask for f in [*FILES, *pages])  # not mkstemp's 0600


def test_documents_contract(out):
    docs = rows(out / "documents.jsonl")
    assert [d["id"] for d in docs] == sorted(d["id"] for d in docs)
    for d in docs:
        assert {"id", "source", "status", "lang", "lang_prob", "title", "date", "url", "text", "removed", "record_id"} <= set(d)
    wire = next(d for d in docs if d["id"] == "wires/odesa-strike-wire")
    assert wire["source"] == "wires/odesa-strike-wire.txt" and wire["status"] == "kept"
    assert {"rule", "category", "line_no", "text"} <= set(wire["removed"][0])
    feed = next(d for d in docs if d["id"] == "feed-002")
    assert feed["source"] == "feeds/agency-feed.jsonl" and feed["line"] == 2


def test_records_contract(out):
    docs = {d["id"]: d for d in rows(out / "documents.jsonl")}
    records = rows(out / "records.jsonl")
    members = [m["id"] for r in records for m in r["members"]]
    assert sorted(members) == sorted(i for i, d in docs.items() if d["status"] != "rejected")
    for r in records:
        assert {"record_id", "canonical_id", "title", "lang", "date", "text", "members", "why"} <= set(r)
        assert r["members"][0]["id"] == r["canonical_id"] and r["members"][0]["relation"] == "canonical"
        assert all(m["relation"] in ("canonical", "exact", "near", "story") and 0 <= m["similarity"] <= 1 for m in r["members"])
        assert all(docs[m["id"]]["record_id"] == r["record_id"] for m in r["members"])


def test_manifest(out):
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"] == {"inputs": 21, "kept": 14, "duplicates": 7, "rejected": 0, "records": 14}
    assert len(manifest["config_hash"]) == 64 and manifest["config"]["near"]["threshold"] == 0.3
    assert manifest["packages"]["datasketch"] != "not installed"
    # What term weights (wordfreq) and page dates (htmldate) come from: a resume under another version is refused.
    assert manifest["packages"]["wordfreq"] != "not installed" and manifest["packages"]["htmldate"] != "not installed"
    assert {"extract", "boilerplate", "language", "signatures", "cluster"} <= set(manifest["seconds_per_stage"])
    assert manifest["rule_hits"]["consent.en"] >= 1


def test_report_lists_every_record(out):
    html = (out / "report.html").read_text(encoding="utf-8")
    for r in rows(out / "records.jsonl"):
        assert r["record_id"] in html
    # Only the inline script and the JSON index; the records are in report-pages/ beside it.
    assert re.findall(r"<script[^>]*>", html) == ["<script type='application/json' id='records-index'>", "<script>"]
    pages = "".join(p.read_text(encoding="utf-8") for p in sorted((out / "report-pages").iterdir()))
    assert all(r["record_id"] in pages for r in rows(out / "records.jsonl"))
    assert not re.search(r"""\b(src|href)\s*=\s*["']?\s*(https?:|//)""", html)


def test_byte_identical_across_workers_and_hash_seeds(out, tmp_path):
    other = tmp_path / "w2"
    result = run_cli("run", str(RAW), "--out", str(other), "--workers", "2", "-q", env={"PYTHONHASHSEED": "123"})
    assert result.returncode == 0 and result.stderr == ""
    for name in ("documents.jsonl", "records.jsonl"):
        assert (out / name).read_bytes() == (other / name).read_bytes(), name


def test_rejected_inputs_are_listed_not_fatal(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(RAW / "wires", src)
    (src / "broken.jsonl").write_text('{"id": "ok", "text": "A short but real line of news text here."}\n{oops\n', encoding="utf-8")
    (src / "image.png").write_bytes(b"\x89PNG\r\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(src), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0
    docs = {d["id"]: d for d in rows(out / "documents.jsonl")}
    assert docs["broken:2"]["status"] == "rejected" and "invalid JSON" in docs["broken:2"]["error"]
    assert docs["image"]["status"] == "rejected" and docs["ok"]["status"] == "kept"
    assert "rejected image.png" in result.output


def test_usage_errors_are_one_line(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "does not exist" in result.output
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(main, ["run", str(RAW / "wires"), "--out", str(tmp_path / "file")])
    assert result.exit_code == 2 and "not a folder" in result.output


def test_clean_verb_marks_removed_lines():
    result = CliRunner().invoke(main, ["clean", str(RAW / "wires" / "odesa-strike-wire.txt")])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[1].startswith("~  date 2025-12-20 A missile strike") and "meta.date-prefix" in lines[1]
    assert any(l.startswith("- Firefighters work") and l.endswith("<- credit.slash-agency") for l in lines)
    assert any(l.startswith("  ODESA, Ukraine") for l in lines)


def test_clean_verb_on_html_lists_extraction_drops_with_source_lines():
    result = CliRunner().invoke(main, ["clean", str(RAW / "syndicated" / "odesa-strike-partner.html")])
    assert result.exit_code == 0
    assert "x Subscribe to our newsletter    <- extract.trafilatura (HTML line 57)" in result.output
    assert "- CHOOSE YOUR LANGUAGE | English | Español | Français | Deutsch    <- nav.language-picker" in result.output


def test_api_returns_documents_and_records_without_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    items = [{"id": "w", "text": (RAW / "wires" / "odesa-strike-wire.txt").read_text(encoding="utf-8")},
             {"id": "h", "html": (RAW / "syndicated" / "odesa-strike-partner.html").read_text(encoding="utf-8")},
             {"id": "bad"}]
    result = clean(items)
    assert list(tmp_path.iterdir()) == []
    assert [d["id"] for d in result.documents] == ["bad", "h", "w"]
    assert result.counts == {"inputs": 3, "kept": 1, "duplicates": 1, "rejected": 1, "records": 1}
    assert result.records[0]["canonical_id"] == "w" and result.records[0]["members"][1]["relation"] == "near"


def test_report_escapes_document_strings():
    from cleaner.inspect.report import report_files
    from cleaner.exec.flow import run_documents
    from cleaner.input.read import read_dicts
    from cleaner.core.config import load_config
    from cleaner.store.output import build_manifest

    cfg = load_config()
    res = run_documents(read_dicts([{"id": "<img src=x onerror=alert(1)>", "title": "<script>alert(1)</script>",
                                     "text": "Body with <b>tags</b> & ampersands that is long enough to keep."}]), cfg)
    html = "".join(dict(report_files(res, build_manifest(res, cfg, "<api>", 1)))["report.html"])
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_usage_errors_print_one_line_via_the_entry_point(tmp_path):
    for args in (["run", str(tmp_path / "missing")], ["run", str(RAW), "--bogus"], ["explode"]):
        result = run_cli(*args)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("cleaner: error:"), result.stderr


def test_out_must_not_mix_with_input(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(RAW / "wires", src / "wires")
    assert "is the input folder" in run_cli("run", str(src), "--out", str(src)).stderr
    refused = run_cli("run", str(src), "--out", str(src / "wires"))
    assert refused.returncode == 2 and "holds other files" in refused.stderr
    # an output folder inside the input, holding only a previous run's files, is skipped on rerun
    for _ in range(2):
        assert run_cli("run", str(src), "--out", str(src / "clean"), "-q").returncode == 0
    assert len(rows(src / "clean" / "documents.jsonl")) == 1


def test_same_stem_inputs_keep_distinct_ids(tmp_path):
    (tmp_path / "a.txt").write_text("A plain text story about the harbour reopening after repairs.", encoding="utf-8")
    (tmp_path / "a.html").write_text("<html><body><article><p>An HTML story about a different topic, the city budget vote.</p>"
                                     "</article></body></html>", encoding="utf-8")
    assert run_cli("run", str(tmp_path), "--out", str(tmp_path / "o"), "-q").returncode == 0
    docs = rows(tmp_path / "o" / "documents.jsonl")
    assert sorted(d["id"] for d in docs) == ["a@a.html", "a@a.txt"]
    assert all("renamed" in d["meta"]["id"] for d in docs)


def test_api_duplicate_ids_do_not_crash_and_stay_order_independent():
    a = {"id": "x", "text": "The harbour reopened on Monday after three weeks of repairs to the quay walls."}
    b = {"id": "x", "text": "The council voted on Tuesday to raise the budget for school buildings by a tenth."}
    first, second = clean([a, b, a]), clean([a, a, b])
    assert sorted(d["id"] for d in first.documents) == ["x@<api>#1", "x@<api>#2", "x@<api>#3"]
    assert first.documents == second.documents and first.records == second.records
    assert len({r["record_id"] for r in first.records}) == len(first.records) == 2


def test_eval_verb_scores_the_sample_run(out):
    result = CliRunner().invoke(main, ["eval", str(out), str(RAW.parent / "tests" / "data" / "raw_gold.csv"), "--json"])
    assert result.exit_code == 0
    scores = json.loads(result.output)
    assert scores["documents"] == 21 and scores["ari"] == 1.0 and scores["pairwise"]["f1"] == 1.0


def test_eval_verb_errors_are_one_line(tmp_path):
    result = run_cli("eval", str(tmp_path), str(RAW.parent / "tests" / "data" / "raw_gold.csv"))
    assert result.returncode == 2 and "not a cleaner run's output" in result.stderr
    assert result.stderr.count("\n") == 1


# ---- exploring a run: report, show, explain (issue #7) ----

def test_report_verb_summarises_the_run(out):
    result = run_cli("report", str(out))
    assert result.returncode == 0, result.stderr
    assert "21 inputs, 14 kept, 7 duplicates, 0 rejected -> 14 records" in result.stdout
    for section in ("languages:", "removed lines by category:", "record sizes:", "largest records:"):
        assert section in result.stdout
    data = json.loads(run_cli("report", str(out), "--json").stdout)
    assert data["counts"]["inputs"] == 21 and data["record_sizes"]["3-5"] == 1
    assert data["removed_lines_by_category"]["consent"] >= 1
    assert data["largest_records"][0]["size"] == 5


def test_show_verb_prints_a_record_and_a_document_with_provenance(out):
    rec = rows(out / "records.jsonl")
    big = max(rec, key=lambda r: r["size"])
    shown = run_cli("show", str(out), big["record_id"]).stdout
    assert "syndicated/odesa-strike-partner" in shown and "near" in shown and "shared terms" in shown
    doc = run_cli("show", str(out), "wires/odesa-strike-wire").stdout
    assert "removed (rule: line, text):" in doc and "meta.date-prefix" in doc and big["record_id"] in doc
    row = json.loads(run_cli("show", str(out), "wires/odesa-strike-wire", "--json").stdout)
    assert row["record_id"] == big["record_id"]


def test_explain_verb_gives_each_tier_against_its_threshold(out):
    near = json.loads(run_cli("explain", str(out), "wires/odesa-strike-wire", "syndicated/odesa-strike-partner",
                              "--json").stdout)
    assert near["merged"] and near["tiers"]["near"]["passes"] and near["tiers"]["near"]["shared"] > 100
    story = run_cli("explain", str(out), "wires/odesa-strike-wire", "outlets/odesa-strike-daily").stdout
    assert "relation: story" in story and "near:  0.0" in story
    # Each shared term with its weight and where the weight came from.
    assert re.search(r"odesa +weight +[\d.]+ +\(rarity: zipf [\d.]+ in en; title/lead x2\)", story)
    assert re.search(r"@12-20 +weight .*date in the text", story)
    apart = json.loads(run_cli("explain", str(out), "wires/odesa-strike-wire", "outlets/kharkiv-strike",
                               "--json").stdout)
    assert not apart["merged"] and apart["verdict"].startswith("not merged")
    assert apart["tiers"]["story"]["similarity"] < apart["tiers"]["story"]["threshold"]


@pytest.mark.parametrize("args, message", [
    (("show", "{out}", "no-such-id"), "no record or document with id 'no-such-id'"),
    (("show", "{out}", "rec-0000"), "no record or document with id 'rec-0000'"),
    (("explain", "{out}", "wires/odesa-strike-wire", "nope"), "no document with id 'nope'"),
    (("explain", "{out}", "wires/odesa-strike-wire", "wires/odesa-strike-wire"), "two different"),
    (("report", "{raw}"), "is not a cleaner output folder"),
    (("show", "{raw}", "x"), "is not a cleaner output folder"),
    (("explain", "{missing}", "a", "b"), "does not exist"),
])
def test_exploring_verbs_fail_in_one_line(out, args, message):
    args = [a.format(out=out, raw=RAW, missing=out / "missing") for a in args]
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_progress_bar_on_a_terminal_and_quiet_without(tmp_path):
    import io

    from cleaner.exec.progress import ProgressBar, count_inputs

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "feed.jsonl").write_text('{"text": "a"}\n' * 1500, encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_text("b", encoding="utf-8")
    assert count_inputs(tmp_path / "in") == 1501

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    bar = ProgressBar(1501, tty, every=0)
    for n in range(1, 1502):
        bar(n)
    bar.close()
    assert "\r  [" in tty.getvalue() and "1501/1501 documents" in tty.getvalue()
    log = io.StringIO()
    bar = ProgressBar(1501, log)
    for n in range(1, 1502):
        bar(n)
    assert len(log.getvalue().splitlines()) == 10  # a line per 10% in a log
    quiet = run_cli("run", str(tmp_path / "in"), "--out", str(tmp_path / "o"), "-q")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_show_never_prints_none(tmp_path):
    """Human output says what is unknown (no date, no URL, a language the script decided),
    never Python's None (#19)."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "greek.txt").write_text("Η βιβλιοθήκη του λιμανιού ανοίγει ξανά τη Δευτέρα μετά από δύο χρόνια "
                                   "εργασιών, είπε ο δήμαρχος στους δημοσιογράφους.\n", encoding="utf-8")
    result = run_cli("run", str(src), "--out", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stderr
    shown = run_cli("show", str(tmp_path / "out"), "greek").stdout
    assert "None" not in shown and "date unknown" in shown
    assert "language: el: script:" in shown


def test_version_flag_and_its_short_alias():
    from cleaner import __version__

    for flag in ("--version", "-V"):
        result = run_cli(flag)
        assert result.returncode == 0 and __version__ in result.stdout, flag


def test_clean_reads_a_file_as_run_does(tmp_path):
    """#19 point 5: an empty file or a type `run` does not read is rejected, exit 1."""
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\nSome text about the council budget.\n", encoding="utf-8")
    undated = tmp_path / "undated.txt"
    undated.write_text("Council approves budget\nThe city council approved the budget on Monday.\n", encoding="utf-8")
    for path, reason in ((empty, "empty"), (notes, "unsupported file type '.md'")):
        result = CliRunner().invoke(main, ["clean", str(path)])
        assert result.exit_code == 1 and f"# rejected: {reason}" in result.output, result.output
        run_row = json.loads(run_cli("run", str(path), "--out", "-", "-q").stdout.splitlines()[0])
        assert run_row["status"] == "rejected" and run_row["error"].startswith(reason)
    result = CliRunner().invoke(main, ["clean", str(undated)])
    assert result.exit_code == 0 and "date=unknown" in result.output and "None" not in result.output


def test_verbose_and_quiet(tmp_path):
    """#19 point 4: -v adds details (through logging), -q hides notes and the summary but
    never an error."""
    verbose = run_cli("run", str(RAW), "--out", str(tmp_path / "a"), "-v", "--workers", "99")
    assert verbose.returncode == 0 and "cleaner: seconds per stage: " in verbose.stderr
    assert "cleaner: note: 99 workers" in verbose.stderr
    quiet = run_cli("run", str(RAW), "--out", str(tmp_path / "b"), "-q", "--workers", "99")
    assert quiet.returncode == 0 and quiet.stderr == ""
    (tmp_path / "taken").write_text("a user's file", encoding="utf-8")
    failing = run_cli("run", str(RAW), "--out", str(tmp_path / "taken"), "-q")
    assert failing.returncode == 2 and failing.stderr.startswith("cleaner: error: ")
