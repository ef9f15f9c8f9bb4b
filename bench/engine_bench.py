"""#17 point 6: `--engine dask` (a 2-worker LocalCluster) against `--engine local
--workers 2` on the same generated corpus: wall time, the client's peak memory (and the
whole process tree's, workers included), and byte-identity of documents.jsonl and
records.jsonl when both engines ran.

    python3 bench/engine_bench.py --docs 10000 --json bench/results/engine.json
    python3 bench/engine_bench.py --docs 200000 --engines dask,local --json bench/results/engine_200k.json
    python3 bench/engine_bench.py --smoke
    python3 bench/engine_bench.py --identity --json bench/results/engine_identity.json
    python3 bench/engine_bench.py --shipped --json bench/results/engine_shipped.json

--identity (#17 point 2): documents.jsonl and records.jsonl of `--engine dask` with 1, 2
and 3 workers against `--engine local --workers 2`, on ECB+ dev (../shared/data, as JSONL
with its URL in `url`, as bench/identity_check.py builds it) and raw/; skipped, with a
line saying so, when ECB+ dev is absent; with --smoke, raw/ alone.

--shipped (#17 point 7): what the story tier's cluster job (exec/dask_stories.py) moves
between the client and the workers, in pickled bytes a document, per step: the canonicals
broadcast once, the edges back, the components out and their clusters back. Counted in
one process (the same runs of the same functions, pickled instead of sent), on the
generated corpus of --docs documents and on ECB+ dev (news retold by several outlets, so
many more story edges), when present.

Generated data (bench/generate.py); nothing is tuned here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate, use_data  # noqa: E402
from results_file import save_json  # noqa: E402


def _hwm_mib(pid: int) -> float | None:
    from cleaner.exec.memory import status_kib

    hwm = status_kib(pid).get("VmHWM")
    return None if hwm is None else hwm / 1024


def _tree_rss_mib(pid: int) -> float:
    """The current RSS of `pid` and all its descendants (the executor's workers, a
    LocalCluster's nannies and workers), summed; 0 for processes gone meanwhile."""
    import psutil  # a dependency of distributed; only this figure needs it

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def run(corpus: Path, out: Path, engine: str, workers: int) -> dict[str, object]:
    """One `cleaner run`; seconds, the client (main) process's peak RSS (VmHWM, polled)
    and the peak of the process tree's summed RSS (polled every 0.2 s, so a lower bound).
    `cpu_seconds`: user + system time of the run and every process it waited for (its
    workers: a LocalCluster's nannies wait for theirs), which the load of other processes
    on the machine changes far less than wall time."""
    import resource

    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", str(corpus), "--out", str(out), "-q",
                             "--workers", str(workers), "--engine", engine])
    peak = tree_peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _hwm_mib(proc.pid) or 0.0)
        tree_peak = max(tree_peak, _tree_rss_mib(proc.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):  # 1: some inputs rejected, which a corpus may hold
        raise SystemExit(f"cleaner run --engine {engine} failed ({proc.returncode})")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "client_peak_rss_mib": round(peak, 1),
            "tree_peak_rss_mib": round(tree_peak, 1),
            "load_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def _same_file(a: Path, b: Path) -> bool:
    """Byte equality read in 1 MiB blocks (at 200k documents the files are large)."""
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            block_a, block_b = fa.read(1 << 20), fb.read(1 << 20)
            if block_a != block_b:
                return False
            if not block_a:
                return True


def identity(data: Path, smoke: bool) -> dict[str, dict[str, Any]]:
    """#17 point 2: dask with 1, 2, 3 workers against local, byte for byte, per corpus."""
    result: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpora = {"raw": ROOT / "raw"}
        ecb = data / "ecbplus-dev" / "ECB+"
        if not smoke:
            if ecb.is_dir():
                from cluster_bench import load_ecb

                items, _ = load_ecb(ecb)
                path = tmp / "ecbplus-dev.jsonl"
                path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
                corpora = {"ecbplus-dev": path, **corpora}
            else:
                print(f"skipped ecbplus-dev: {ecb} is absent", file=sys.stderr)
        for name, inp in corpora.items():
            runs = {"local workers=2": run(inp, tmp / name / "local", "local", 2)}
            same = {}
            for workers in (1, 2, 3):
                out = tmp / name / f"dask-{workers}"
                runs[f"dask workers={workers}"] = run(inp, out, "dask", workers)
                same[f"dask workers={workers}"] = all(_same_file(tmp / name / "local" / f, out / f)
                                                      for f in ("documents.jsonl", "records.jsonl"))
                print(name, workers, "workers:", "byte-identical" if same[f"dask workers={workers}"] else "DIFFERENT",
                      flush=True)
            result[name] = {"runs": runs, "byte_identical_to_local": same}
    return result


def _corpus(path: Path, n: int) -> Path:
    """The generated corpus (ids and texts) as JSONL at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for item in generate(n, seed=3):
            fh.write(json.dumps({"id": item["id"], "text": item["text"]}, ensure_ascii=False) + "\n")
    return path


STEPS = ("canonicals broadcast (client to one worker)", "edges back (i, j, similarity)",
         "components out (documents, edges)", "clusters back (clusters, edges)")


def shipped(corpora: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Pickled bytes a document for each step of the story job, per corpus."""
    import pickle
    from collections import Counter

    from cleaner.core.config import load_config
    from cleaner.dedup import stories
    from cleaner.exec.dask_stories import _pack
    from cleaner.exec.flow import run_documents
    from cleaner.exec.local import LocalExecutor
    from cleaner.input.read import read_inputs

    class Counting(stories.InProcess):
        """The in-process runner, counting what ClusterStories would send and receive."""

        def __init__(self) -> None:
            # Every step listed, 0 when it sent nothing (a corpus with no story component).
            self.bytes: Counter[str] = Counter(dict.fromkeys(STEPS, 0))
            self.docs = 0

        def share(self, shared: stories.Shared) -> object:
            reps, weights, story = shared
            self.docs += len(reps)
            self.bytes[STEPS[0]] += len(pickle.dumps(
                [_pack(d, w) for d, w in zip(reps, weights)], protocol=pickle.HIGHEST_PROTOCOL))
            return shared

        def edges(self, shared: object, n: int) -> stories.EdgeArrays:
            found = super().edges(shared, n)
            self.bytes[STEPS[1]] += sum(a.nbytes for a in found)
            return found

        def link(self, shared: object, components: Any) -> Any:
            for component in components:
                self.bytes[STEPS[2]] += len(pickle.dumps(component, protocol=5))
                linked = stories.link_component(shared, *component)  # type: ignore[arg-type]
                self.bytes[STEPS[3]] += len(pickle.dumps(linked, protocol=5))
                yield linked

    class Measured(LocalExecutor):
        def story_runner(self) -> Counting:
            return counting

    cfg = load_config()
    result: dict[str, dict[str, Any]] = {}
    for name, path in corpora.items():
        counting = Counting()
        run = run_documents(read_inputs(path.parent, [".jsonl"], 1 << 30), cfg, executor=Measured(1))
        canonicals = counting.docs
        result[name] = {"documents": len(run.documents), "canonicals": canonicals,
                        "bytes_per_document": {k: round(v / len(run.documents), 1)
                                               for k, v in counting.bytes.items()},
                        "bytes_per_canonical": {k: round(v / max(1, canonicals), 1)
                                                for k, v in counting.bytes.items()}}
        print(name, result[name], flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--engines", default="local,dask",
                        help="comma-separated, run in this order (default local,dask)")
    parser.add_argument("--smoke", action="store_true", help="200 documents (with --identity: raw/ only)")
    parser.add_argument("--identity", action="store_true",
                        help="byte-identity of dask with 1, 2, 3 workers on ECB+ dev and raw/ (#17 point 2)")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder (ECB+ dev)")
    parser.add_argument("--shipped", action="store_true",
                        help="bytes a document the story job moves, per step (#17 point 7)")
    args = parser.parse_args()
    use_data(args.data, args.smoke)
    if args.shipped:
        with tempfile.TemporaryDirectory() as tmp_name:
            corpora = {"generated": _corpus(Path(tmp_name) / "generated" / "corpus.jsonl",
                                            200 if args.smoke else args.docs)}
            ecb = args.data / "ecbplus-dev" / "ECB+"
            if not args.smoke and ecb.is_dir():
                from cluster_bench import load_ecb

                items, _ = load_ecb(ecb)
                path = Path(tmp_name) / "ecb" / "ecbplus-dev.jsonl"
                path.parent.mkdir()
                path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
                corpora["ecbplus-dev"] = path
            elif not args.smoke:
                print(f"skipped ecbplus-dev: {ecb} is absent", file=sys.stderr)
            found = shipped(corpora)
        print(json.dumps(found, indent=1))
        if args.json:
            save_json(args.json, found)
        return
    if args.identity:
        found = identity(args.data, args.smoke)
        print(json.dumps(found, indent=1))
        if args.json:
            save_json(args.json, found)
        bad = [f"{name} {k}" for name, r in found.items() for k, ok in r["byte_identical_to_local"].items() if not ok]
        raise SystemExit(f"DIFFERENT from local: {', '.join(bad)}" if bad else 0)
    n = 200 if args.smoke else args.docs
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not engines or set(engines) - {"local", "dask"}:
        parser.error(f"--engines: local and/or dask, not {args.engines!r}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = _corpus(tmp / "corpus.jsonl", n)
        result: dict = {"documents": n, "workers": args.workers}
        for engine in engines:
            result[engine] = run(corpus, tmp / engine, engine, args.workers)
            print(engine, result[engine], flush=True)
        if len(engines) == 2:
            result["dask_vs_local"] = round(result["dask"]["seconds"] / result["local"]["seconds"], 2)
            result["dask_vs_local_cpu"] = round(result["dask"]["cpu_seconds"] / result["local"]["cpu_seconds"], 2)
            result["byte_identical"] = all(_same_file(tmp / "local" / f, tmp / "dask" / f)
                                           for f in ("documents.jsonl", "records.jsonl"))
    print(json.dumps(result, indent=1))
    if args.json:
        save_json(args.json, result)


if __name__ == "__main__":
    main()
