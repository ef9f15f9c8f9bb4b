"""serial-18b's A/B: `cleaner run input.jsonl --out OUT -q --workers N` in two or more
checkouts, alternated (order flipped each round), on the references bench's corpus
(cluster_bench.chance_items(data, DOCS, seed=12), one JSON line {"id", "text"} each).
Prints, per checkout and worker count, median [range] of the main process's CPU seconds
(RUSAGE_SELF), the workers' (RUSAGE_CHILDREN), their sum, and wall seconds.

    python3 bench/scratch/serial_ab18b.py --rounds 4 --workers 1,2,4 main=/tmp/main-X branch=.

A checkout is run with PYTHONPATH set to it and as its working directory.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

RUNNER = """
import resource, sys
from cleaner.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print("CPU", s.ru_utime + s.ru_stime, c.ru_utime + c.ru_stime, file=sys.stderr)
"""


def one(checkout: str, inp: Path, out: Path, workers: int) -> tuple[float, float, float]:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RUNNER, "run", str(inp), "--out", str(out), "-q", "--workers",
                           str(workers)], cwd=checkout, env={**os.environ, "PYTHONPATH": checkout},
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    line = [x for x in proc.stderr.splitlines() if x.startswith("CPU ")][-1].split()
    return wall, float(line[1]), float(line[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkouts", nargs="+", help="NAME=PATH")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    from cluster_bench import chance_items

    checkouts = dict(c.split("=", 1) for c in args.checkouts)
    checkouts = {k: str(Path(v).resolve()) for k, v in checkouts.items()}
    items, _ = chance_items(args.data, args.docs, seed=12)
    res: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "input.jsonl"
        inp.write_text("".join(json.dumps({"id": i["id"], "text": i["text"]}, ensure_ascii=False) + "\n"
                               for i in items), encoding="utf-8")
        for r in range(args.rounds):
            names = list(checkouts) if r % 2 == 0 else list(checkouts)[::-1]
            for w in map(int, args.workers.split(",")):
                for n in names:
                    loads.append(os.getloadavg()[0])
                    res.setdefault((n, w), []).append(one(checkouts[n], inp, Path(tmp) / f"out-{n}-{w}", w))
            print(f"round {r} done {time.strftime('%H:%M:%S', time.gmtime())} UTC, load {os.getloadavg()[0]:.2f}",
                  file=sys.stderr, flush=True)

    def f(v: list[float]) -> str:
        return f"{statistics.median(v):.2f} [{min(v):.2f}-{max(v):.2f}]"

    print(f"1-minute load while measuring: {min(loads):.2f}-{max(loads):.2f}, median {statistics.median(loads):.2f}")
    print("| workers | checkout | main process CPU s | workers CPU s | total CPU s | wall s |")
    print("|---|---|---|---|---|---|")
    for (n, w), v in sorted(res.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"| {w} | {n} | {f([x[1] for x in v])} | {f([x[2] for x in v])} | {f([x[1] + x[2] for x in v])} "
              f"| {f([x[0] for x in v])} |")


if __name__ == "__main__":
    main()
