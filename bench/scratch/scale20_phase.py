"""lead, session 20: does the per-document part keep scaling with workers (#18 point 3)?

    python3 bench/scratch/scale20_phase.py INPUT ROUNDS CHECKOUT [WORKERS ...]   (default 1 2 4)

Runs serial18i_timeline's hooked `cleaner run INPUT --workers N` (its own cache folder and
bytecode prefix per checkout), worker counts alternated within each round, and prints for
each count the median [range] of: the whole run's wall and CPU; the per-document phase, from
the executor's map starting (before its setup and fork) to its last result, which the 1-worker
run (a loop in the main process, no pool) has too; and the rest of the run (serial). Then each
count's phase against 1 worker's. Wall clock: run it on a quiet machine and read the load.
"""

from __future__ import annotations

import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serial18i_timeline as tl  # noqa: E402


def main() -> None:
    data, rounds, checkout = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    counts = sys.argv[4:] or ["1", "2", "4"]
    got: dict[str, dict[str, list[float]]] = {w: {} for w in counts}
    for r in range(rounds):
        for w in (counts if r % 2 == 0 else counts[::-1]):
            load = os.getloadavg()[0]
            events, wall, cpu = tl.one_run(checkout, data, w)
            at = {n: t for t, _, n in events}
            phase = at["< map"] - at["> map"]
            for key, value in (("wall", wall), ("cpu", cpu), ("per-document phase", phase),
                               ("rest (serial)", wall - phase), ("load", load)):
                got[w].setdefault(key, []).append(value)
            print(f"round {r} workers {w}: load {load:5.2f} wall {wall:6.3f} cpu {cpu:6.3f} "
                  f"phase {phase:6.3f} rest {wall - phase:6.3f}", flush=True)
    print("medians [min-max], seconds:")
    base = statistics.median(got[counts[0]]["per-document phase"])
    for w in counts:
        cells = "  ".join(f"{k} {statistics.median(v):.3f} [{min(v):.3f}-{max(v):.3f}]" for k, v in got[w].items())
        ratio = base / statistics.median(got[w]["per-document phase"])
        print(f"  workers {w}: {cells}  phase {counts[0]}w/{w}w {ratio:.2f}x")


if __name__ == "__main__":
    main()
