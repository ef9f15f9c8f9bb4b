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



def test_worst_case_bench_smoke(tmp_path):
    out = tmp_path / "worst_case.json"
    args = [sys.executable, str(ROOT / "bench" / "worst_case_bench.py"), "--smoke", "--json", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    # Every adversarial document came through: none timed out, failed or was lost.
    statuses = {name: res.get("status") for name, res in json.loads(out.read_text(encoding="utf-8")).items()}
    assert len(statuses) == 7 and set(statuses.values()) == {"kept"}, statuses
