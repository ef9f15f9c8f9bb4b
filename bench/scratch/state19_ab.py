"""state-19: state19_phases.py for each tree, into STATE and into an empty state, trees and states
alternated each round; `--rt`: each probe under SCHED_FIFO (chrt -f 1, root), so a loaded
machine's other processes wait while it runs (wall figures close to a quiet machine's).
Usage: python3 bench/scratch/state19_ab.py [--rt] ROUNDS STATE PROBE TMPDIR name=TREE ... > ab.jsonl
Snapshot of a state being built (a consistent copy, from a reader): sqlite3's backup API, as
bench/scratch/state19_snapshot.py does; its probe is dated_items(201000, 7)[N:N+1000]."""
import json, os, resource, subprocess, sys, time
from pathlib import Path
rt = "--rt" in sys.argv
args = [a for a in sys.argv[1:] if a != "--rt"]
rounds, state, probe, tmp = int(args[0]), args[1], args[2], args[3]
trees = dict(a.split("=", 1) for a in args[4:])
phases = str(Path(__file__).with_name("state19_phases.py"))
prefix = ["chrt", "-f", "1"] if rt else []
def kids():
    r = resource.getrusage(resource.RUSAGE_CHILDREN); return r.ru_utime + r.ru_stime
for rnd in range(rounds):
    order = list(trees) if rnd % 2 == 0 else list(reversed(trees))
    for name in order:
        for st in ([state, "empty"] if rnd % 2 == 0 else ["empty", state]):
            load = os.getloadavg()[0]; c = kids()
            out = subprocess.run([*prefix, sys.executable, phases, trees[name], st, probe, tmp],
                                 capture_output=True, text=True, check=True)
            d = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps({"round": rnd, "tree": name, "state": "empty" if st == "empty" else "state", "cpu_tree": round(kids() - c, 2),
                              "wall": d["wall"], "hwm": d["hwm"], "add_wall": d["IncrementalClusterer.add"][0],
                              "add_main_cpu": d["IncrementalClusterer.add"][1], "add_kids_cpu": d["IncrementalClusterer.add"][2],
                              "load": round(load, 1), "utc": time.strftime("%H:%M:%S", time.gmtime())}), flush=True)
