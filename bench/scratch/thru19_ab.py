"""thru-19 (#18): CPU of whole `cleaner run` processes (the run and its workers), checkouts
alternated (ABBA...), each with its own bytecode and table cache folders (a changed module's
stamp would make two checkouts overwrite each other's tables, core/table_cache.py), one
untimed run of each first.

    python3 bench/scratch/thru19_ab.py IN.jsonl WORKERS ROUNDS name=CHECKOUT [name=CHECKOUT ...]

IN.jsonl: e.g. the references bench's 3,000 documents (/tmp/t18m/in.jsonl, written by
bench/throughput_bench.py). Prints each run (wall, CPU of the process tree), then per
checkout the median and range of each.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(checkout: str, src: str, workers: int, base: str) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=checkout, CLEANER_CACHE_DIR=f"{base}/cache",
               PYTHONPYCACHEPREFIX=f"{base}/pyc")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = tempfile.mkdtemp(prefix="t19ab-")
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cleaner", "run", src, "--out", f"{out}/o", "-q",
                        "--workers", str(workers)], env=env, check=True, cwd=out)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    src, workers, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    named = [arg.split("=", 1) for arg in sys.argv[4:]]
    root = tempfile.mkdtemp(prefix="t19ab-base-")
    bases = {name: f"{root}/{name}" for name, _ in named}
    for name, checkout in named:
        run_once(checkout, src, workers, bases[name])  # bytecode and tables in place
    got: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in named}
    for r in range(rounds):
        order = named if r % 2 == 0 else named[::-1]
        for name, checkout in order:
            wall, cpu = run_once(checkout, src, workers, bases[name])
            got[name].append((wall, cpu))
            print(f"round {r} {name:8s} wall {wall:6.3f} s  cpu {cpu:6.3f} s  load {os.getloadavg()[0]:.1f}",
                  flush=True)
    for name, runs in got.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(f"{name:8s} wall median {statistics.median(walls):.3f} [{min(walls):.3f}-{max(walls):.3f}]  "
              f"cpu median {statistics.median(cpus):.3f} [{min(cpus):.3f}-{max(cpus):.3f}]")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
