"""serial-18k: why the references bench times `cleaner run --workers 2` above the timeline.
Runs the same input several ways, alternated, and prints each one's wall (unrounded) and
CPU (the run and its workers: RUSAGE_CHILDREN):

  old-bench    the bench's command before serial-18k (throughput_bench._RUNNER: main(argv);
               cleaner compiled into a PYTHONPYCACHEPREFIX folder and nothing else, so every
               run compiles numpy, click, the standard library; the shared cache folder)
  bench        the same, the prefix filled by one untimed run (throughput_bench now)
  bench+cache  the same with a cache folder of its own (no other checkout's setup tables)
  cli+cache    `python -m cleaner run` (main(): gc.freeze before the exit), as bench+cache

    python3 bench/scratch/serial18k_benchgap.py CHECKOUT INPUT ROUNDS
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


def main() -> None:
    checkout, inp, rounds = os.path.abspath(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    sys.path.insert(0, os.path.join(checkout, "bench"))
    import throughput_bench as tb

    pyc = tempfile.mkdtemp(prefix="s18k-pyc-")
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(checkout, "cleaner")], check=True,
                   env=dict(os.environ, PYTHONPYCACHEPREFIX=pyc))
    tb.ROOT = type(tb.ROOT)(checkout)
    warm = tb.use_compiled_pyc()
    own = tempfile.mkdtemp(prefix="s18k-cache-")
    shutil.rmtree(own)
    shutil.copytree(os.path.expanduser("~/.cache/cleaner"), own)
    base = dict(os.environ, PYTHONPATH=checkout)
    runner = [sys.executable, "-c", tb._RUNNER]
    cli = [sys.executable, "-m", "cleaner"]
    ways = {"old-bench": (runner, dict(base, PYTHONPYCACHEPREFIX=pyc)),
            "bench": (runner, dict(base, PYTHONPYCACHEPREFIX=warm)),
            "bench+cache": (runner, dict(base, PYTHONPYCACHEPREFIX=warm, CLEANER_CACHE_DIR=own)),
            "cli+cache": (cli, dict(base, PYTHONPYCACHEPREFIX=warm, CLEANER_CACHE_DIR=own))}
    got: dict[str, list[tuple[float, float, float]]] = {k: [] for k in ways}
    for r in range(rounds):
        for name in (list(ways) if r % 2 == 0 else list(ways)[::-1]):
            command, env = ways[name]
            out = tempfile.mkdtemp(prefix="s18k-out-")
            load = os.getloadavg()[0]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command + ["run", inp, "--out", os.path.join(out, "o"), "-q", "--workers", "2"],
                           env=env, cwd=checkout, capture_output=True, check=True)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            shutil.rmtree(out)
            got[name].append((wall, cpu, load))
            print(f"round {r} {name:13s} load {load:5.2f} wall {wall:6.3f} cpu {cpu:6.3f}", flush=True)
    print("medians [min-max]:")
    for name, rows in got.items():
        w, c = [x[0] for x in rows], [x[1] for x in rows]
        print(f"  {name:13s} wall {statistics.median(w):6.3f} [{min(w):.3f}-{max(w):.3f}]  "
              f"cpu {statistics.median(c):6.3f} [{min(c):.3f}-{max(c):.3f}]")
    shutil.rmtree(pyc)
    shutil.rmtree(own)


if __name__ == "__main__":
    main()
