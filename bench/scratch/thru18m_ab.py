"""thru-18m: whole `cleaner run`s of two checkouts alternated, CPU (the run and its workers)
and wall, each checkout with its own cache folder and filled bytecode prefix (those
bench/scratch/serial18i_timeline.py made: /tmp/s18k/cache-HASH, pyc-HASH; run it once first):

    python3 bench/scratch/thru18m_ab.py INPUT WORKERS ROUNDS name=CHECKOUT name=CHECKOUT        (python -m cleaner)
    python3 bench/scratch/thru18m_ab.py --bench INPUT WORKERS ROUNDS name=CHECKOUT name=CHECKOUT
        (each checkout's own throughput_bench.run_cleaner: its runner, its compiled prefix)
"""
import hashlib
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

bench = sys.argv[1] == "--bench"
args = sys.argv[2:] if bench else sys.argv[1:]
inp, workers, rounds = args[0], int(args[1]), int(args[2])
checkouts = [a.split("=", 1) for a in args[3:]]


def cache_of(checkout: str) -> tuple[str, str]:
    h = hashlib.sha1(os.path.realpath(checkout).encode()).hexdigest()[:10]
    return f"/tmp/s18k/cache-{h}", f"/tmp/s18k/pyc-{h}"


runners = {}
if bench:
    for name, checkout in checkouts:
        sys.path.insert(0, checkout + "/bench")
        spec = importlib.util.spec_from_file_location(f"tb_{name}", checkout + "/bench/throughput_bench.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.path.remove(checkout + "/bench")
        for shared in ("generate", "dedup_refs", "results_file", "cluster_bench"):
            sys.modules.pop(shared, None)
        os.environ["CLEANER_CACHE_DIR"] = cache_of(checkout)[0]
        module.use_compiled_pyc()
        runners[name] = module


def one(name: str, checkout: str) -> tuple[float, float]:
    cache, pyc = cache_of(checkout)
    out = Path(tempfile.mkdtemp(prefix="t18m-ab-")) / "o"
    try:
        if bench:
            os.environ["CLEANER_CACHE_DIR"] = cache
            res = runners[name].run_cleaner(Path(inp), out, workers)
            return res["cpu_seconds"], res["seconds"]
        env = dict(os.environ, PYTHONPATH=checkout, CLEANER_CACHE_DIR=cache, PYTHONPYCACHEPREFIX=pyc)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cleaner", "run", inp, "--out", str(out), "-q", "--workers",
                        str(workers)], env=env, check=True, cwd=checkout)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall
    finally:
        shutil.rmtree(out.parent)


got: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in checkouts}
for r in range(rounds):
    for name, checkout in (checkouts if r % 2 == 0 else checkouts[::-1]):
        load = os.getloadavg()[0]
        cpu, wall = one(name, checkout)
        got[name].append((cpu, wall))
        print(f"round {r} {name:6s} load {load:5.2f} cpu {cpu:6.3f} wall {wall:6.3f}", flush=True)
for name, rows in got.items():
    c, w = [x[0] for x in rows], [x[1] for x in rows]
    print(f"{name:6s} cpu median {statistics.median(c):.3f} [{min(c):.3f}-{max(c):.3f}]  "
          f"wall median {statistics.median(w):.3f} [{min(w):.3f}-{max(w):.3f}]")
