"""thru-29 (#18 point 3): the 2-over-1-worker ratio of checkouts, paired within each round.

    flock /tmp/s29/rt.lock chrt -f 1 python3 bench/scratch/thru29_ratio.py INPUT ROUNDS name=CHECKOUT ...

Each round runs every checkout at 1 and 2 workers (checkouts and worker counts in turn
alternated: ABBA, 1221), with serial18i_timeline's hooked `cleaner run` (each checkout its own
cache folder and bytecode). Per checkout and round: the whole run's wall and CPU at each count,
the per-document phase, the serial rest, and the ratios 1w/2w of wall and phase; then medians
[range], and each checkout's ratio against the first's in the same round (paired: the machine's
speed drifts by 20% between minutes here, much less within a round).
"""

from __future__ import annotations

import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serial18i_timeline as tl  # noqa: E402


def main() -> None:
    data, rounds = sys.argv[1], int(sys.argv[2])
    checkouts = [arg.split("=", 1) for arg in sys.argv[3:]]
    got: dict[str, dict[str, list[float]]] = {name: {} for name, _ in checkouts}
    for r in range(rounds):
        seen: dict[tuple[str, str], tuple[float, float, float]] = {}
        for name, checkout in (checkouts if r % 2 == 0 else checkouts[::-1]):
            for w in (("1", "2") if (r // 2) % 2 == 0 else ("2", "1")):
                events, wall, cpu = tl.one_run(checkout, data, w)
                at = {n: t for t, _, n in events}
                seen[name, w] = (wall, cpu, at["< map"] - at["> map"])
        for name, _ in checkouts:
            (w1, c1, p1), (w2, c2, p2) = seen[name, "1"], seen[name, "2"]
            row = got[name]
            for key, value in (("wall 1w", w1), ("wall 2w", w2), ("cpu 1w", c1), ("cpu 2w", c2),
                               ("phase 1w", p1), ("phase 2w", p2), ("rest 1w", w1 - p1), ("rest 2w", w2 - p2),
                               ("wall ratio", w1 / w2), ("phase ratio", p1 / p2), ("cpu 2w-1w", c2 - c1)):
                row.setdefault(key, []).append(value)
            first = checkouts[0][0]
            if name != first:
                row.setdefault("ratio - first's", []).append(w1 / w2 - got[first]["wall ratio"][-1])
        print(f"round {r} (load {os.getloadavg()[0]:.2f}): " + "  ".join(
            f"{name} {got[name]['wall ratio'][-1]:.3f}x ({got[name]['wall 1w'][-1]:.3f}/{got[name]['wall 2w'][-1]:.3f})"
            for name, _ in checkouts), flush=True)
    print("medians [min-max]:")
    for name, _ in checkouts:
        print(f"  {name}: " + "  ".join(f"{k} {statistics.median(v):.3f} [{min(v):.3f}-{max(v):.3f}]"
                                        for k, v in got[name].items()))


if __name__ == "__main__":
    main()
