"""Throughput and memory benchmark (#5), and cleaner against the strongest references (#14).

    python3 bench/throughput_bench.py [--only signatures,language,pipeline,references,memory]
                                      [--docs 2000] [--refs-docs 3000] [--repeat 1]
                                      [--memory 10000,50000,200000] [--data ../shared/data]
                                      [--json bench/results/throughput.json] [--pyc compiled|source] [--smoke]

The references rensa and datatrove are optional, never cleaner dependencies:
    python3 -m pip install -e '.[bench]'     # rensa, datatrove, xxhash<4, tokenizers
A reference that is not installed (or fails) is reported as skipped, with the reason.

- signatures: docs/s of MinHash signatures over word 3-gram shingles of ~500-word articles:
  datasketch per-shingle `update`, datasketch `MinHash.bulk`, cleaner, and rensa when
  installed, all from text, one core.
- language: langdetect accuracy on ../shared/data/lingua-sentences for the languages it
  supports, as cleaner calls it; docs/s on whole ~3 KB articles vs cleaner's sample.
- pipeline: `cleaner run` on N generated articles (bench/generate.py) with 1 and 2
  workers: docs/s, seconds per stage, peak RSS; and the naive pipeline in the same run
  (bench/dedup_refs.py: langdetect on the whole text, per-shingle updates, MinHashLSH).
- references: on --refs-docs documents of 25 lingua sentences (6 languages, 30% near
  copies with one line replaced: cluster_bench.chance_items, seed 12), in one run:
  `cleaner run` with 1 and 2 workers, the strong reference, rensa + langdetect (the strong
  reference with rensa's MinHash), rensa alone, datatrove's MinHash steps and the naive pipeline (bench/dedup_refs.py says what each does): docs/s, the
  ratio cleaner (2 workers) / system, and the known copies each one found. Nothing here
  is tuned on these documents (throughput settings were set in #5 on generated articles).
- memory: peak RSS of `cleaner run --workers 2` at each size.

`cleaner run` reads cleaner's bytecode compiled once before the runs (--pyc compiled, the
default, as `pip install` compiles a package: the references are installed, compiled
packages), in a temporary folder (PYTHONPYCACHEPREFIX), which one untimed run first fills
with the bytecode of every module a run imports (numpy, the standard library...: under a
prefix Python looks for no other); --pyc source runs the checkout as
it is (where PYTHONDONTWRITEBYTECODE is set, each run compiles cleaner: ~0.08 s CPU).
The output and the JSON say which ("cleaner_pyc").
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dedup_refs import naive  # noqa: E402
from generate import NoSentences, generate, use_data  # noqa: E402
from results_file import save_json  # noqa: E402

# Runs `cleaner run` and prints peak RSS (MiB) of itself (VmHWM: status_kib says why) and
# the largest ru_maxrss among the processes it forked. That second figure is not a worker's
# own memory: a forked child's resident set counts the pages it shares with the main process
# at the fork, so a child forked late reads as large as the main process.
_RUNNER = """
import atexit, resource, sys
import cleaner
print(f"CLEANER {cleaner.__file__}", file=sys.stderr)  # proves which checkout ran
from cleaner.exec.memory import status_kib
try:  # the installed `cleaner` command's entry point since session 30 (serial-30)
    from cleaner.cli import command
except ImportError:  # an older checkout: its command was main()
    from cleaner.cli import main as command
# As the installed `cleaner` command runs (no argv: the command line's own), not main(argv)
# as a caller inside a longer-lived process does: the command freezes what the run kept
# (cli._before_exit) and ends the process without the interpreter's teardown (cli.command),
# ~0.04-0.08 s of every run timed here (BENCHMARKS.md, thru-18m, serial-30). The peaks are
# printed by an atexit handler, which the command's end runs as the interpreter's would.
def peaks():
    self_mb = status_kib()["VmHWM"] / 1024
    kids_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"RSS {self_mb:.0f} {kids_mb:.0f}", file=sys.stderr)
atexit.register(peaks)
sys.argv = ["cleaner", *sys.argv[1:]]
command()
"""


def articles(n: int, seed: int = 0) -> list[dict]:
    """~3 KB multilingual articles with clutter and near copies."""
    return generate(n, seed=seed, sentences=30)


def bench_signatures(n: int = 2000) -> dict:
    import numpy as np
    from datasketch import MinHash

    from cleaner.dedup.shingles import shingle_set, shingles
    from cleaner.dedup.signatures import minhash_values

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


def bench_language(data: Path, per_language: int = 200, n_articles: int = 300) -> dict | None:
    if not data.exists():
        return None
    from cleaner.core.document import Document
    from cleaner.stages.language.detect import DetectLanguage

    from cleaner.core.config import load_config

    settings = load_config()["language"]
    stage = DetectLanguage(**settings)
    supported = {c.split("-")[0] for c in stage.languages()}
    right = total = 0
    by_lang = {}
    for path in sorted(data.glob("*.txt")):
        lang = {"nb": "no"}.get(path.stem, path.stem)  # langdetect calls Norwegian Bokmål "no"
        if lang not in supported:
            continue
        lines = [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()][:per_language]
        ok = sum(stage.process(Document(id="s", source="s", text=s)).lang == lang for s in lines)
        by_lang[lang] = round(ok / len(lines), 3)
        right, total = right + ok, total + len(lines)
    texts = [a["text"] for a in articles(n_articles, seed=5)]
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# How `cleaner run` finds cleaner's bytecode (--pyc). "compiled": cleaner's .py files are
# byte-compiled once, before any run, into a folder of their own (PYTHONPYCACHEPREFIX), as
# `pip install` compiles a package for its user: the references are installed packages,
# compiled, imported warm. "source": as the checkout is; where PYTHONDONTWRITEBYTECODE is
# set (this machine), every run compiles cleaner's modules again (~0.08 s of CPU).
PYC_LABELS = {"compiled": "cleaner's .pyc compiled as pip install would",
              "source": "cleaner from source, compiled by each run where PYTHONDONTWRITEBYTECODE is set"}
_pyc_prefix: str | None = None  # the compiled folder, once made


def use_compiled_pyc() -> str:
    """Byte-compile cleaner (as pip install would) into a temporary folder the runs then
    read (PYTHONPYCACHEPREFIX); returns the folder."""
    global _pyc_prefix
    if _pyc_prefix is None:
        _pyc_prefix = tempfile.mkdtemp(prefix="cleaner-pyc-")
        atexit.register(shutil.rmtree, _pyc_prefix, True)
        env = {**os.environ, "PYTHONPYCACHEPREFIX": _pyc_prefix}
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "cleaner")], check=True, env=env)
        # With PYTHONPYCACHEPREFIX set, *every* module's bytecode is looked for under the
        # prefix, not in its own __pycache__: numpy, click, langdetect, the standard library
        # were compiled from source again by every run (PYTHONDONTWRITEBYTECODE is set here),
        # ~0.3-0.4 s of the main process's serial CPU that neither a pip-installed cleaner
        # nor the references pay. One untimed run with writing allowed fills the prefix with
        # what a run imports (serial-18k).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
        with tempfile.TemporaryDirectory() as tmp:
            inp = _write_input(20, Path(tmp))
            for workers in (1, 2):
                subprocess.run([sys.executable, "-c", _RUNNER, "run", str(inp), "--out", str(Path(tmp) / f"w{workers}"),
                                "-q", "--workers", str(workers)], check=True, capture_output=True, cwd=ROOT, env=env)
    return _pyc_prefix


def run_cleaner(inp: Path, out: Path, workers: int) -> dict:
    cpu = _children_cpu()  # waited-for descendants: the run and its (reaped) workers
    start = time.perf_counter()
    # PYTHONPATH: the package may be installed editable from another checkout; this one runs.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    if _pyc_prefix is not None:
        env["PYTHONPYCACHEPREFIX"] = _pyc_prefix
    proc = subprocess.run([sys.executable, "-c", _RUNNER, "run", str(inp), "--out", str(out), "-q",
                           "--workers", str(workers)], capture_output=True, text=True, cwd=ROOT, env=env)
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    rss = [line for line in proc.stderr.splitlines() if line.startswith("RSS ")][-1].split()
    package = [line for line in proc.stderr.splitlines() if line.startswith("CLEANER ")][-1].split(" ", 1)[1]
    if not package.startswith(str(ROOT)):
        raise RuntimeError(f"cleaner run imported {package}, not this checkout ({ROOT})")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    n = manifest["counts"]["inputs"]
    return {"documents": n, "seconds": round(seconds, 1), "docs_per_s": round(n / seconds, 1),
            "pyc": PYC_LABELS["compiled" if _pyc_prefix is not None else "source"],
            "peak_rss_mib": {"main": int(rss[1]), "forked_children_ru_maxrss": int(rss[2])},
            "seconds_per_stage": manifest["seconds_per_stage"], "package": package, "cpu_seconds": round(cpu, 2)}


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
            bases.append({k: v for k, v in naive(items).items() if k != "roots"})
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


# What each system does and does not do, next to its figures (#14).
DOES = {
    "cleaner": "reads JSONL; extracts, strips boilerplate by rules, detects language (langdetect, first 500 "
               "characters), exact and near copies (word 3-grams, LSH then exact Jaccard >= 0.3), same-story "
               "records; writes documents, records, report.html and manifest. Time includes process start-up.",
    "strong": "langdetect (first 1,000 characters), datasketch MinHash.bulk on word 5-grams, MinHashLSH (16x8), "
              "union-find over unverified candidates; one process, texts in memory, no output. Dedup only: no "
              "extraction, boilerplate, stories.",
    "strong, dedup only": "the strong reference's run less its langdetect time (same run, derived).",
    "rensa + langdetect": "the strong reference with rensa in place of datasketch: langdetect (first 1,000 "
                          "characters), rensa RMinHash.from_token_sets on the same word 5-grams, RMinHashLSH (16x8), "
                          "union-find; one process, texts in memory, no output. Dedup only.",
    "rensa": "rensa 0.5 (Rust) RMinHash.from_token_sets on the same word 5-grams, RMinHashLSH (16x8), union-find; "
             "texts in memory. Dedup only, no language detection.",
    "datatrove": "datatrove's 4 MinHash steps (signatures, buckets, cluster, filter; 5-grams, 14x8), "
                 "LocalPipelineExecutor with 1 worker, files in a temp folder; whitespace words instead of its "
                 "spaCy default. Dedup only, no language detection.",
    "naive (per-shingle update)": "langdetect on the whole text, datasketch MinHash.update once per 5-gram, "
                                  "MinHashLSH (16x8): the slowest way to call datasketch, not a fair baseline.",
}


def _cleaner_roots(out: Path, items: list[dict]) -> list[str]:
    record = {}
    with open(out / "documents.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            record[row["id"]] = row["record_id"] or row["id"]
    return [record[i["id"]] for i in items]


def bench_references(data: Path, n: int, repeat: int = 1) -> dict | None:
    """cleaner and every reference on the same documents, `repeat` rounds, fastest kept."""
    if not (data / "lingua-sentences").exists():
        return None
    import dedup_refs
    from cluster_bench import chance_items

    items, copies = chance_items(data, n, seed=12)
    refs = {"strong": dedup_refs.strong, "rensa + langdetect": dedup_refs.rensa_langdetect,
            "rensa": dedup_refs.rensa, "datatrove": dedup_refs.datatrove,
            "naive (per-shingle update)": dedup_refs.naive}
    skipped = {}
    for name, fn in refs.items():  # warm-up: imports, langdetect's profiles, scipy; not timed
        res = fn(items[:10])
        if "skipped" in res:
            skipped[name] = res["skipped"]
            print(f"  {name}: skipped: {res['skipped']}", file=sys.stderr, flush=True)
    runs: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inp = tmp / "input.jsonl"
        inp.write_text("".join(json.dumps({"id": i["id"], "text": i["text"]}, ensure_ascii=False) + "\n"
                               for i in items), encoding="utf-8")
        for _ in range(repeat):  # systems alternate within a round: each round shares the machine's mood
            for workers in (1, 2):
                res = run_cleaner(inp, tmp / f"w{workers}", workers)
                runs.setdefault(f"cleaner, {workers} worker{'s' * (workers > 1)}", []).append(
                    {**res, "roots": _cleaner_roots(tmp / f"w{workers}", items)})
            for name, fn in refs.items():
                if name not in skipped:
                    cpu = time.process_time()  # all threads of this process (datatrove runs in it: 1 worker)
                    res = fn(items)
                    runs.setdefault(name, []).append({**res, "cpu_seconds": time.process_time() - cpu})
    systems = {}
    for name, rounds in runs.items():
        best = min(rounds, key=lambda r: r["seconds"])
        systems[name] = {"docs_per_s": round(n / best["seconds"], 1), "seconds": round(best["seconds"], 2),
                         "runs_seconds": [round(r["seconds"], 2) for r in rounds],
                         # CPU seconds (user + system, all processes): what a busy machine's wait does not inflate.
                         "cpu_seconds": round(min(r["cpu_seconds"] for r in rounds), 2),
                         **dedup_refs.copy_scores(items, copies, best["roots"]),
                         "does": DOES["cleaner" if name.startswith("cleaner") else name]}
        if "langdetect_seconds" in best:  # how much of the system's time is language detection
            systems[name]["langdetect_seconds"] = round(best["langdetect_seconds"], 2)
        if name == "strong":
            dedup = best["seconds"] - best["langdetect_seconds"]
            systems["strong, dedup only"] = {"docs_per_s": round(n / dedup, 1), "seconds": round(dedup, 2),
                                             "does": DOES["strong, dedup only"]}
        if name.startswith("cleaner"):
            systems[name].update({k: best[k] for k in ("package", "peak_rss_mib", "seconds_per_stage")})
            # The same-story tier's share of the whole run's wall time (issue #12 point 7: under 10%).
            systems[name]["story_tier_share_of_run"] = round(
                best["seconds_per_stage"].get("cluster.stories", 0.0) / best["seconds"], 4)
    top = systems["cleaner, 2 workers"]["docs_per_s"]
    for res in systems.values():
        res["cleaner_2_workers_over_system"] = round(top / res["docs_per_s"], 2)
        if "cpu_seconds" in res:  # > 1: the system needs more CPU per document than cleaner (1 worker)
            res["system_cpu_over_cleaner_1_worker_cpu"] = round(
                res["cpu_seconds"] / systems["cleaner, 1 worker"]["cpu_seconds"], 2)
    return {"documents": n, "copies": len(copies), "seed": 12, "repeat": repeat,
            "cleaner_pyc": PYC_LABELS["compiled" if _pyc_prefix is not None else "source"], "systems": systems,
            "skipped": skipped}


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
    parser.add_argument("--only", default="signatures,language,pipeline,references,memory")
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--refs-docs", type=int, default=3000, help="references: documents")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--memory", default="10000,50000,200000")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="pipeline: runs per system, fastest kept")
    parser.add_argument("--pyc", choices=("compiled", "source"), default="compiled",
                        help="compiled: cleaner byte-compiled once before the runs, as pip install "
                             "does (the references are installed and compiled); source: each run compiles it")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the bench runs (under a minute)")
    args = parser.parse_args()
    use_data(args.data, args.smoke)
    if args.smoke:
        args.docs, args.memory, args.repeat, args.refs_docs = 60, "100", 1, 60
    # Parts not run this time keep their last figures in --json (each part says when it was measured).
    results = json.loads(args.json.read_text(encoding="utf-8")) if args.json and args.json.exists() else {}
    if args.pyc == "compiled":
        use_compiled_pyc()
    print(f"cleaner runs: {PYC_LABELS[args.pyc]}", flush=True)
    for name in args.only.split(","):
        start = time.perf_counter()
        try:  # a part that generates articles, without sentences: skipped, said on stderr
            if name == "signatures":
                res = bench_signatures(40 if args.smoke else 2000)
            elif name == "language":
                sentences = args.data / "lingua-sentences"
                res = bench_language(sentences, 5, 30) if args.smoke else bench_language(sentences)
            elif name == "pipeline":
                res = bench_pipeline(args.docs, args.repeat)
            elif name == "references":
                res = bench_references(args.data, args.refs_docs, args.repeat)
            elif name == "memory":
                res = bench_memory([int(x) for x in args.memory.split(",")])
            else:
                parser.error(f"unknown part {name!r}")
        except NoSentences as exc:
            print(f"{name}: skipped: {exc}", file=sys.stderr)
            continue
        if res is None:
            print(f"{name}: skipped (no data under {args.data})")
            continue
        results[name] = {**res, "bench_seconds": round(time.perf_counter() - start, 1),
                         "measured_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
        print(f"== {name}\n{json.dumps(results[name], indent=1)}", flush=True)
        if args.json:  # written after each section: a long run keeps what it measured
            save_json(args.json, results)


if __name__ == "__main__":
    main()
