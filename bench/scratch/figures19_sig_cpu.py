"""The signatures part of throughput_bench.py (#5) timed in CPU seconds instead of wall seconds.

    python3 bench/scratch/figures19_sig_cpu.py                 # every system, as the bench
    python3 bench/scratch/figures19_sig_cpu.py --cleaner-only [--code OLD_CHECKOUT]

Same texts, same systems, same best-of-three as `throughput_bench.py --only signatures`; only
the clock differs: time.process_time (this process's CPU time) for time.perf_counter, so the
ratio holds on a shared machine, where a wall-clock pass is slowed by whatever else runs
(figures-19, session 19: under load 6 the wall-clock ratio read 14.1x). --cleaner-only times
cleaner's signatures alone (best of three, CPU), for an A/B of two checkouts under the same
load; an older checkout whose modules sat at cleaner/shingles.py and cleaner/signatures.py
(before cleaner/dedup/) is read through those names.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import throughput_bench  # noqa: E402

if "--code" in sys.argv[1:]:  # another checkout's cleaner (the bench put this one first on the path)
    sys.path.insert(0, sys.argv[sys.argv.index("--code") + 1])
    for _name in [m for m in sys.modules if m == "cleaner" or m.startswith("cleaner.")]:
        del sys.modules[_name]
import cleaner  # noqa: E402


class _CpuClock:
    """`time` as throughput_bench sees it, with perf_counter reading CPU seconds."""

    def __getattr__(self, name: str) -> object:
        return time.process_time if name == "perf_counter" else getattr(time, name)


def _old_layout() -> None:
    try:
        importlib.import_module("cleaner.dedup.signatures")
    except ImportError:  # a checkout from before cleaner/dedup/
        import types

        dedup = types.ModuleType("cleaner.dedup")
        sys.modules["cleaner.dedup"] = dedup
        for name in ("shingles", "signatures"):
            sys.modules[f"cleaner.dedup.{name}"] = importlib.import_module(f"cleaner.{name}")


def cleaner_only() -> dict:
    from cleaner.dedup.shingles import shingle_set
    from cleaner.dedup.signatures import minhash_values

    texts = [a["text"] for a in throughput_bench.articles(2000, seed=3) if a["lang"] != "zh"]
    for t in texts[:5]:
        minhash_values(shingle_set(t, 3, 3), 128, 1)
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for t in texts:
            minhash_values(shingle_set(t, 3, 3), 128, 1)
        best = min(best, time.process_time() - start)
    return {"documents": len(texts), "cleaner_cpu_docs_per_s": round(len(texts) / best, 1)}


_old_layout()
throughput_bench.time = _CpuClock()  # type: ignore[assignment]
res = cleaner_only() if "--cleaner-only" in sys.argv[1:] else throughput_bench.bench_signatures()
print(json.dumps({**res, "package": cleaner.__file__, "clock": "process_time (CPU s)",
                  "measured_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}, indent=1))
