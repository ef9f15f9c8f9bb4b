"""The benchmarks still run: each part of bench/cluster_bench.py,
bench/boilerplate_bench.py, bench/throughput_bench.py, bench/language_bench.py,
bench/worst_case_bench.py, bench/rules_bench.py and bench/report_bench.py on a tiny sample
(--smoke).

Parts that need ../shared/data are skipped by the bench itself when it is absent, so this
also checks that they skip cleanly."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = ("strong", "rensa + langdetect", "rensa", "datatrove", "naive (per-shingle update)")


def _smoke(bench: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """Runs bench/<bench>.py --smoke from elsewhere (the bench must find its own paths);
    its output, and the JSON it wrote ({} when it wrote none)."""
    out = tmp_path / f"{bench}.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / f"{bench}.py"), "--smoke", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc, json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}


def test_cluster_bench_smoke(tmp_path):
    proc, results = _smoke("cluster_bench", tmp_path)
    assert results["scale"]["documents"] == 2000  # needs no data
    for part in ("ecb", "chance", "synthetic", "ablations"):
        assert part in results or f"{part}: skipped" in proc.stdout
    if "ecb" in results:
        assert {"tune", "validate"} <= results["ecb"].keys()
        assert results["ecb"]["urls_moved_to_url_field"] > 0  # the URL never stays in the text


def test_boilerplate_bench_smoke(tmp_path):
    proc, results = _smoke("boilerplate_bench", tmp_path)
    if "skipped: no benchmark data" in proc.stdout:
        return
    for part in ("aeb", "trafilatura-eval"):
        assert part in results or f"{part}: skipped" in proc.stdout
    if "aeb" in results:
        assert results["aeb"]["cleaner"]["docs"] == 10


def test_rules_bench_smoke(tmp_path):
    proc, results = _smoke("rules_bench", tmp_path)
    assert "audit: " in proc.stdout  # raw/ and generated articles need no shared data
    if results:  # the lingua sentences are there
        assert results["documents"] == 100 and results["median_rules_us_per_line"] > 0


def test_report_bench_smoke(tmp_path):
    proc, results = _smoke("report_bench", tmp_path)  # generated records: needs no shared data
    row = results["sizes"][0]
    assert row["documents"] == 500 and row["page_files"] >= 1 and row["page_bytes"] > row["report_html_bytes"] > 0
    assert row.get("open_seconds", 0) > 0 or "browser figures: skipped" in proc.stdout


def test_generator_clutter_is_not_the_rule_examples():
    """bench/generate.py's clutter is written apart from the rules: a copy's clutter must
    not be stripped just because a rule lists that very line as its example (#14)."""
    import random
    import tomllib

    sys.path.insert(0, str(ROOT / "bench"))
    from generate import CLUTTER, clutter_line

    examples = []
    for path in sorted((ROOT / "configs" / "rules").glob("*.toml")):
        for rule in tomllib.loads(path.read_text(encoding="utf-8")).get("rule", []):
            examples += [e.casefold() for e in rule.get("examples", {}).get("match", [])]
    rng = random.Random(0)
    assert len(examples) > 100
    lines = {clutter_line(lang, rng).casefold() for lang in CLUTTER for _ in range(200)}
    overlaps = [(line, ex) for line in lines for ex in examples
                if line in ex or (len(ex) >= 12 and ex in line)]
    assert not overlaps, overlaps[:5]


def test_language_bench_smoke(tmp_path):
    proc, results = _smoke("language_bench", tmp_path)
    if "skipped" in proc.stdout:
        return
    assert {"tune", "held-out", "3-sentence snippets (held-out)"} <= results.keys()


def test_throughput_bench_smoke(tmp_path):
    proc, results = _smoke("throughput_bench", tmp_path)
    assert {"signatures", "pipeline", "memory"} <= results.keys()  # these need no data
    # The subprocess ran this checkout's package, not whichever one is installed.
    assert results["pipeline"]["workers_1"]["package"].startswith(str(ROOT))
    # cleaner byte-compiled once first, as pip install would, and the output says so.
    assert "cleaner runs: cleaner's .pyc compiled as pip install would" in proc.stdout
    assert results["pipeline"]["workers_1"]["pyc"] == "cleaner's .pyc compiled as pip install would"
    if "references: skipped" in proc.stdout:
        return
    refs = results["references"]
    for name in REFERENCES:  # measured, or skipped with a reason (rensa/datatrove are optional)
        assert name in refs["systems"] or name in refs["skipped"], name
    for name in ("cleaner, 1 worker", "cleaner, 2 workers", "strong"):
        assert refs["systems"][name]["copy_recall"] > 0.9
        assert refs["systems"][name]["docs_per_s"] > 0


def test_throughput_bench_runs_read_the_compiled_pyc():
    # --pyc compiled: every module of cleaner compiled into a folder of its own, which a run's
    # interpreter reads (PYTHONPYCACHEPREFIX) instead of compiling the sources again.
    import os

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import throughput_bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    prefix = throughput_bench.use_compiled_pyc()
    sources = sorted((ROOT / "cleaner").rglob("*.py"))
    # cleaner's own .pyc: the prefix holds what an untimed run imported too (numpy, the
    # standard library: serial-18k), under their own paths.
    compiled = list((Path(prefix) / str((ROOT / "cleaner").resolve()).lstrip("/")).rglob("*.pyc"))
    assert len(compiled) == len(sources) > 50
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": prefix, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-v", "-c", "import cleaner.cli"], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert f"code object from '{prefix}" in proc.stderr
    assert f"code object from {ROOT / 'cleaner' / 'cli.py'}" not in proc.stderr


def _dedup_refs():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import dedup_refs
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return dedup_refs


@pytest.mark.parametrize("module, system", [("rensa", "rensa"), ("rensa", "rensa_langdetect"),
                                            ("datatrove", "datatrove")])
def test_missing_reference_is_skipped_not_raised(monkeypatch, module, system):
    """The bench must run where the optional references are not installed."""
    dedup_refs = _dedup_refs()
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # None in sys.modules: import raises ImportError
    res = getattr(dedup_refs, system)([{"id": "a", "text": "one two three four five six"}])
    assert "skipped" in res and "pip install" in res["skipped"]


def test_rensa_langdetect_detects_languages_and_groups_copies():
    """rensa + langdetect (#18 point 1) is a whole pipeline: it detects each text's language
    and groups a near copy with its original, as the strong reference does, and nothing else."""
    pytest.importorskip("rensa")
    dedup_refs = _dedup_refs()
    english = ("The river rose overnight and the town council met at dawn to decide which roads to close. "
               "Volunteers filled sandbags by the old mill while the mayor spoke to reporters outside. ") * 3
    german = ("Der Zug nach Hamburg fiel am Morgen aus, weil ein Baum auf die Gleise gestürzt war. "
              "Die Fahrgäste warteten lange am Bahnsteig und tranken Kaffee aus dem kleinen Laden. ") * 3
    copy = english.replace("old mill", "new bridge", 1)
    items = [{"id": k, "text": t} for k, t in enumerate([english, german, copy])]
    res = dedup_refs.rensa_langdetect(items)
    assert res["languages"] == ["de", "en"]
    assert res["roots"][0] == res["roots"][2] != res["roots"][1]
    assert 0 < res["langdetect_seconds"] <= res["seconds"]
    assert res["roots"] == dedup_refs.strong(items)["roots"]  # the same groups as the strong reference


def test_worst_case_bench_smoke(tmp_path):
    _, results = _smoke("worst_case_bench", tmp_path)
    # Every adversarial document came through: none timed out, failed or was lost.
    statuses = {name: res.get("status") for name, res in results.items()}
    assert len(statuses) == 7 and set(statuses.values()) == {"kept"}, statuses


def test_state_bench_probes_follow_each_state():
    """state_bench's probe batches (#16 point 9): by default one batch dated to follow each
    size's state as it follows the largest (same documents, dates moved by whole days: the
    largest size's unchanged); "last", the old single probe; "next", the stream's next
    documents after each size."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import state_bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    days = [0, 0, 1, 1, 3, 3, 7, 8, 8, 9]  # a stream's days, in order; sizes 4 and 8, probes of 2
    items = [{"id": f"d{k}", "date": f"2025-01-{d + 1:02d}"} for k, d in enumerate(days)]
    each = state_bench.probe_batches(items, [4, 8], 2, "each")
    last = state_bench.probe_batches(items, [4, 8], 2, "last")
    assert last == {4: items[8:10], 8: items[8:10]}
    assert each[8] == items[8:10]  # the largest size's probe is as the stream has it
    # Size 4's state ends on day 1, seven days before size 8's (day 8): its probe, moved by -7.
    assert [i["id"] for i in each[4]] == ["d8", "d9"] and [i["date"] for i in each[4]] == ["2025-01-02", "2025-01-03"]
    assert items[8]["date"] == "2025-01-09"  # shifted() copies; the stream is left as it was
    assert state_bench.probe_batches(items, [4, 8], 2, "next") == {4: items[4:6], 8: items[8:10]}


def test_state_bench_smoke(tmp_path):
    """bench/state_bench.py --smoke: a state built by streaming, a probe batch against it."""
    proc, results = _smoke("state_bench", tmp_path)
    row = results["sizes"]["300"]
    assert row["bytes_per_document"] > 0 and row["probe"]["seconds"] > 0
    # The probe's copies of the history's bases are found through the state.
    assert row["probe"]["duplicates"] > row["empty_state"]["duplicates"]
    # Where memory goes as the state grows: -v's note after each batch, read back.
    assert 0 < row["build_phase"]["rss_after_batch_mib"]["last"] <= row["build_phase"]["peak_rss_mib"]
    tables = row["bytes_per_document_by_table"]  # empty where SQLite lacks dbstat
    assert not tables or {"docs", "groups", "bands"} <= tables.keys()
    # What the story window loads, and the records it could grow with (#16 point 9).
    assert len(row["window_groups"]) == 1 and row["window_groups"][0] > 0  # one probe batch
    assert row["window_groups"] == row["probe"]["window_groups"]
    largest = row["largest_records_groups"]
    assert 0 < len(largest) <= 5 and largest == sorted(largest, reverse=True) and largest[0] >= 1
    # Its runs derive their tables in a cache folder of the bench's own, not one another
    # checkout writes to (a table derived again left ~9-13 MiB in the probe: bimodal peaks).
    from cleaner.dedup.zipf_cache import cache_dir

    for probe in (row["probe"], row["empty_state"]):
        assert Path(probe["cache_dir"]).name == "cache" and Path(probe["cache_dir"]) != cache_dir()
        assert len(probe["peak_rss_mib_runs"]) == 1 and probe["peak_rss_mib"] in probe["peak_rss_mib_runs"]


def test_engine_bench_smoke(tmp_path):
    """bench/engine_bench.py --smoke: local and Dask engines on one corpus, byte-identical."""
    pytest.importorskip("distributed")
    proc, results = _smoke("engine_bench", tmp_path)
    assert results["byte_identical"] is True and results["dask"]["seconds"] > 0


def test_generated_pseudo_words_are_said_and_recorded(tmp_path, capsys):
    """Without lingua-sentences, generated articles fall back to pseudo-words: shorter, far
    fewer distinct words. That must show on stderr and in every bench's JSON, or figures
    measured on them pass for real-sentence figures."""
    sys.path.insert(0, str(ROOT / "bench"))
    import generate
    from results_file import save_json

    earlier = set(generate.PSEUDO_WORDS)  # other tests may have generated without ../shared
    generate.PSEUDO_WORDS.clear()
    try:
        items = generate.generate(4, data=tmp_path)
        assert len(items) == 4
        assert "pseudo-words" in capsys.readouterr().err
        save_json(tmp_path / "r.json", {"figure": 1})
        saved = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
        assert saved["figure"] == 1 and str(tmp_path) in saved["generated_text"]
        generate.PSEUDO_WORDS.clear()
        save_json(tmp_path / "q.json", {"figure": 2})
        assert "generated_text" not in json.loads((tmp_path / "q.json").read_text(encoding="utf-8"))
    finally:
        generate.PSEUDO_WORDS.clear()
        generate.PSEUDO_WORDS.update(earlier)


def test_rules_bench_says_when_it_skips_stages(tmp_path):
    """`rules_bench.py --stages` with no lingua sentences printed nothing and exited 0 (seen
    when run from a copy outside the repository, where ../shared/data is not beside it)."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "rules_bench.py"), "--stages", "--data",
                           str(tmp_path / "none")], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0
    assert f"stages: skipped (no {tmp_path / 'none' / 'lingua-sentences'}" in proc.stdout
