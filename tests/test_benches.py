"""The benchmarks still run: each part of bench/cluster_bench.py and
bench/boilerplate_bench.py on a tiny sample (--smoke).

Parts that need ../shared/data are skipped by the bench itself when it is absent, so this
also checks that they skip cleanly."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_cluster_bench_smoke(tmp_path):
    out = tmp_path / "cluster.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "cluster_bench.py"), "--smoke", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["scale"]["documents"] == 2000  # needs no data
    for part in ("ecb", "chance", "synthetic", "ablations"):
        assert part in results or f"{part}: skipped" in proc.stdout
    if "ecb" in results:
        assert {"tune", "validate"} <= results["ecb"].keys()
        assert results["ecb"]["urls_moved_to_url_field"] > 0  # the URL never stays in the text


def test_boilerplate_bench_smoke(tmp_path):
    out = tmp_path / "boilerplate.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "boilerplate_bench.py"), "--smoke", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    if "skipped: no benchmark data" in proc.stdout:
        return
    results = json.loads(out.read_text(encoding="utf-8"))
    for part in ("aeb", "trafilatura-eval"):
        assert part in results or f"{part}: skipped" in proc.stdout
    if "aeb" in results:
        assert results["aeb"]["cleaner"]["docs"] == 10


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
    out = tmp_path / "language.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "language_bench.py"), "--smoke", "--json", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    if "skipped" in proc.stdout:
        return
    results = json.loads(out.read_text(encoding="utf-8"))
    assert {"tune", "held-out", "3-sentence snippets (held-out)"} <= results.keys()
