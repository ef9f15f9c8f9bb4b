"""#17 point 6: `--engine dask` (a 2-worker LocalCluster) against `--engine local
--workers 2` on the same generated corpus: wall time, the client's peak memory, and
byte-identity of documents.jsonl and records.jsonl.

    python3 bench/engine_bench.py --docs 10000 --json bench/results/engine.json
    python3 bench/engine_bench.py --smoke

Generated data (bench/generate.py); nothing is tuned here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402
from results_file import save_json  # noqa: E402


def _hwm_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return None


def run(corpus: Path, out: Path, engine: str, workers: int) -> dict:
    """One `cleaner run`; seconds and the client (main) process's peak RSS (VmHWM, polled)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", str(corpus), "--out", str(out), "-q",
                             "--workers", str(workers), "--engine", engine])
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _hwm_mib(proc.pid) or 0.0)
        time.sleep(0.2)
    if proc.returncode:
        raise SystemExit(f"cleaner run --engine {engine} failed ({proc.returncode})")
    return {"seconds": round(time.perf_counter() - start, 1), "client_peak_rss_mib": round(peak, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--smoke", action="store_true", help="200 documents")
    args = parser.parse_args()
    n = 200 if args.smoke else args.docs
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = tmp / "corpus.jsonl"
        with corpus.open("w", encoding="utf-8") as fh:
            for item in generate(n, seed=3):
                fh.write(json.dumps({"id": item["id"], "text": item["text"]}, ensure_ascii=False) + "\n")
        result = {"documents": n, "workers": args.workers}
        for engine in ("local", "dask"):
            result[engine] = run(corpus, tmp / engine, engine, args.workers)
            print(engine, result[engine], flush=True)
        result["dask_vs_local"] = round(result["dask"]["seconds"] / result["local"]["seconds"], 2)
        result["byte_identical"] = all((tmp / "local" / f).read_bytes() == (tmp / "dask" / f).read_bytes()
                                       for f in ("documents.jsonl", "records.jsonl"))
    print(json.dumps(result, indent=1))
    if args.json:
        save_json(args.json, result)


if __name__ == "__main__":
    main()
