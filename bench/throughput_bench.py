"""Throughput and memory benchmark (#5).

    python3 bench/throughput_bench.py [--only signatures,language,pipeline,memory]
                                      [--docs 2000] [--memory 10000,50000,200000]
                                      [--json bench/results/throughput.json]

- signatures: docs/s of MinHash signatures over word 3-gram shingles of ~500-word articles:
  datasketch per-shingle `update`, datasketch `MinHash.bulk`, cleaner, and rensa when
  installed (`pip install rensa`), all from text, one core.
- language: langdetect accuracy on ../shared/data/lingua-sentences for the languages it
  supports, as cleaner calls it; docs/s on whole ~3 KB articles vs cleaner's sample.
- pipeline: `cleaner run` on N generated articles (bench/generate.py) with 1 and 2
  workers: docs/s, seconds per stage, peak RSS; and a naive pipeline in the same run
  (langdetect on the whole text, datasketch per-shingle updates, MinHashLSH).
- memory: peak RSS of `cleaner run --workers 2` at each size.
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import DATA, generate  # noqa: E402

# Runs `cleaner run` and prints peak RSS (MiB) of itself and of its worker processes.
# The main process's peak is VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so
# it would report the size of the (large) benchmark process that started this one.
_RUNNER = """
import re, resource, sys
from cleaner.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
with open("/proc/self/status") as fh:
    self_mb = int(re.search(r"VmHWM:\\s+(\\d+)", fh.read()).group(1)) / 1024
kids_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"RSS {self_mb:.0f} {kids_mb:.0f}", file=sys.stderr)
sys.exit(code)
"""


def articles(n: int, seed: int = 0) -> list[dict]:
    """~3 KB multilingual articles with clutter and near copies."""
    return generate(n, seed=seed, sentences=30)


def bench_signatures(n: int = 2000) -> dict:
    import numpy as np
    from datasketch import MinHash

    from cleaner.shingles import shingle_set, shingles
    from cleaner.signatures import minhash_values

    texts = [a["text"] for a in articles(n, seed=3) if a["lang"] != "zh"]
    results = {}

    def timed(name, per_text=None, batch=None):
        run = batch or (lambda batch_texts: [per_text(t) for t in batch_texts])
        run(texts[:5])  # warm up: imports, permutations, lookup tables, for every system alike
        best = float("inf")
        for _ in range(3):  # best of three: a shared machine's noise only ever slows a run down
            start = time.perf_counter()
            run(texts)
            best = min(best, time.perf_counter() - start)
        results[name] = round(len(texts) / best, 1)

    def per_shingle(t):
        m = MinHash(num_perm=128, seed=1)
        for s in shingles(t, 3, 3):
            m.update(s.encode("utf-8"))

    timed("datasketch update (per shingle)", per_shingle)
    timed("datasketch MinHash.bulk", batch=lambda ts: MinHash.bulk(
        [[s.encode("utf-8") for s in shingles(t, 3, 3)] for t in ts], num_perm=128, seed=1))
    timed("cleaner", lambda t: minhash_values(shingle_set(t, 3, 3), 128, 1))
    try:
        from rensa import RMinHash

        def rensa(t):
            m = RMinHash(num_perm=128, seed=1)
            m.update(list(shingles(t, 3, 3)))
            m.digest()

        timed("rensa", rensa)
    except ImportError:
        results["rensa"] = "not installed (pip install rensa)"
    base = results["datasketch update (per shingle)"]
    words = np.mean([len(t.split()) for t in texts])
    return {"documents": len(texts), "mean_words": round(float(words)), "docs_per_s": results,
            "cleaner_vs_datasketch_update": round(results["cleaner"] / base, 1),
            "cleaner_vs_rensa": (round(results["cleaner"] / results["rensa"], 2)
                                 if isinstance(results.get("rensa"), float) else None)}


def bench_language(per_language: int = 200) -> dict | None:
    if not DATA.exists():
        return None
    from langdetect import detector_factory

    from cleaner.document import Document
    from cleaner.language import DetectLanguage

    from cleaner.config import load_config

    detector_factory.init_factory()
    supported = {c.split("-")[0] for c in detector_factory._factory.get_lang_list()}
    settings = load_config()["language"]
    stage = DetectLanguage(**settings)
    right = total = 0
    by_lang = {}
    for path in sorted(DATA.glob("*.txt")):
        lang = {"nb": "no"}.get(path.stem, path.stem)  # langdetect calls Norwegian Bokmål "no"
        if lang not in supported:
            continue
        lines = [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()][:per_language]
        ok = sum(stage.process(Document(id="s", source="s", text=s)).lang == lang for s in lines)
        by_lang[lang] = round(ok / len(lines), 3)
        right, total = right + ok, total + len(lines)
    texts = [a["text"] for a in articles(300, seed=5)]
    speed = {}
    for name, chars in (("whole text", 10**9), (f"first {settings['sample_chars']} characters (default)", settings["sample_chars"])):
        det = DetectLanguage(**{**settings, "sample_chars": chars})
        start = time.perf_counter()
        for t in texts:
            det.process(Document(id="x", source="x", text=t))
        speed[name] = round(len(texts) / (time.perf_counter() - start), 1)
    return {"languages": len(by_lang), "sentences": total, "accuracy": round(right / total, 4),
            "worst": dict(sorted(by_lang.items(), key=lambda kv: kv[1])[:8]),
            "docs_per_s_on_3kb_articles": speed}


def _write_input(n: int, folder: Path) -> Path:
    path = folder / "input.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for a in articles(n):
            fh.write(json.dumps({"id": a["id"], "text": a["text"]}, ensure_ascii=False) + "\n")
    return path


def run_cleaner(inp: Path, out: Path, workers: int) -> dict:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _RUNNER, "run", str(inp), "--out", str(out), "-q",
                           "--workers", str(workers)], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    rss = [line for line in proc.stderr.splitlines() if line.startswith("RSS ")][-1].split()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    n = manifest["counts"]["inputs"]
    return {"documents": n, "seconds": round(seconds, 1), "docs_per_s": round(n / seconds, 1),
            "peak_rss_mib": {"main": int(rss[1]), "largest_worker": int(rss[2])},
            "seconds_per_stage": manifest["seconds_per_stage"]}


def naive(items: list[dict]) -> dict:
    """The pipeline a first version would write: whole-text langdetect, per-shingle MinHash."""
    from datasketch import MinHash, MinHashLSH
    from langdetect import DetectorFactory, detect

    from cleaner.shingles import shingles

    DetectorFactory.seed = 0
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    start = time.perf_counter()
    for item in items:
        detect(item["text"])
        m = MinHash(num_perm=128, seed=1)
        for s in shingles(item["text"], 5, 5):
            m.update(s.encode("utf-8"))
        lsh.query(m)
        lsh.insert(item["id"], m)
    seconds = time.perf_counter() - start
    return {"documents": len(items), "seconds": round(seconds, 1), "docs_per_s": round(len(items) / seconds, 1)}


def _best(runs: list[dict]) -> dict:
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "runs_seconds": [r["seconds"] for r in runs]} if len(runs) > 1 else best


def bench_pipeline(n: int, repeat: int = 1) -> dict:
    """Each system `repeat` times, alternating, the fastest run kept: a shared machine's
    noise only ever slows a run down (single runs moved the 2-vs-1 ratio by +-0.1)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inp = _write_input(n, tmp)
        items = [json.loads(line) for line in inp.read_text(encoding="utf-8").splitlines()]
        ones, twos, bases = [], [], []
        for _ in range(repeat):
            ones.append(run_cleaner(inp, tmp / "w1", 1))
            twos.append(run_cleaner(inp, tmp / "w2", 2))
            bases.append(naive(items))
        one, two, base = _best(ones), _best(twos), _best(bases)
        same = all((tmp / "w1" / f).read_bytes() == (tmp / "w2" / f).read_bytes()
                   for f in ("documents.jsonl", "records.jsonl"))
    stories = {f"workers_{k}": round(r["seconds_per_stage"].get("cluster.stories", 0.0) / r["seconds"], 4)
               for k, r in (("1", one), ("2", two))}
    return {"workers_1": one, "workers_2": two, "naive_1_process": base,
            # The same-story tier's share of the whole run's wall time (issue #12: under 10%).
            "story_tier_share_of_run": stories,
            "speedup_2_workers_vs_1": round(two["docs_per_s"] / one["docs_per_s"], 2),
            "speedup_2_workers_vs_naive": round(two["docs_per_s"] / base["docs_per_s"], 2),
            # Rounds run back to back: the ratio within a round shares the machine's mood.
            "speedup_2_workers_vs_1_per_round": [round(a["seconds"] / b["seconds"], 2) for a, b in zip(ones, twos)],
            "outputs_identical_1_vs_2_workers": same}


def bench_memory(sizes: list[int]) -> dict:
    out = {}
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            inp = _write_input(n, tmp)
            res = run_cleaner(inp, tmp / "out", 2)
            res["input_mib"] = round(inp.stat().st_size / 2**20, 1)
            out[str(n)] = res
            print(f"  memory {n}: {res['peak_rss_mib']} MiB, {res['docs_per_s']} docs/s", file=sys.stderr, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="signatures,language,pipeline,memory")
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--memory", default="10000,50000,200000")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="pipeline: runs per system, fastest kept")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the bench runs (under a minute)")
    args = parser.parse_args()
    if args.smoke:
        args.docs, args.memory, args.repeat = 200, "500", 1
    results = {}
    for name in args.only.split(","):
        start = time.perf_counter()
        if name == "signatures":
            res = bench_signatures(200 if args.smoke else 2000)
        elif name == "language":
            res = bench_language(20 if args.smoke else 200)
        elif name == "pipeline":
            res = bench_pipeline(args.docs, args.repeat)
        else:
            res = bench_memory([int(x) for x in args.memory.split(",")])
        if res is None:
            print(f"{name}: skipped (no data)")
            continue
        results[name] = {**res, "bench_seconds": round(time.perf_counter() - start, 1)}
        print(f"== {name}\n{json.dumps(results[name], indent=1)}", flush=True)
        if args.json:  # written after each section: a long run keeps what it measured
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
