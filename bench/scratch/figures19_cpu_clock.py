"""Run a bench with its clock reading CPU seconds: time.perf_counter replaced by time.process_time.

    python3 bench/scratch/figures19_cpu_clock.py cluster_bench.py --only scale
    python3 bench/scratch/figures19_cpu_clock.py throughput_bench.py --only signatures

For the in-process parts of a bench (one process: no forked workers, whose CPU this clock
would miss), on a shared machine: a wall-clock figure under load is an upper bound, the
CPU-second figure holds whatever else runs (figures-19, session 19: `cluster_bench.py --only
scale` took 247.6 s of wall clustering at load 9-12, ~10% of a core). Every reading of
time.perf_counter in the process, cleaner's own stage timings included, reads CPU seconds.
"""

from __future__ import annotations

import runpy
import sys
import time
from pathlib import Path

bench = Path(__file__).resolve().parent.parent / sys.argv[1]
sys.argv = [str(bench), *sys.argv[2:]]
time.perf_counter = time.process_time  # type: ignore[assignment]
print("clock: process_time (CPU seconds of this process)", flush=True)
runpy.run_path(str(bench), run_name="__main__")
