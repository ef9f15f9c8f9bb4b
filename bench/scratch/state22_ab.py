"""state-22: state19_phases.py for each tree, each into its own state (a copy) and into an empty state, trees and
states alternated, as state19_ab.py does but with a state per tree (schema 6's carries its terms table:
state22_populate.py); `--rt`: each probe under SCHED_FIFO (chrt -f 1; hold /tmp/s22/rt.lock with flock).
Usage: python3 bench/scratch/state22_ab.py [--rt] ROUNDS PROBE TMPDIR name=TREE:STATE ... > ab.jsonl"""
import json, os, resource, subprocess, sys, time
rt = "--rt" in sys.argv
sys.argv = [a for a in sys.argv if a != "--rt"]
rounds, probe, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3]
trees = {a.split("=", 1)[0]: a.split("=", 1)[1].split(":") for a in sys.argv[4:]}
phases = str(__import__("pathlib").Path(__file__).with_name("state19_phases.py"))
def kids():
    r = resource.getrusage(resource.RUSAGE_CHILDREN); return r.ru_utime + r.ru_stime
for rnd in range(rounds):
    order = list(trees) if rnd % 2 == 0 else list(reversed(trees))
    for name in order:
        tree, state = trees[name]
        for st in ([state, "empty"] if rnd % 2 == 0 else ["empty", state]):
            load = os.getloadavg()[0]; c = kids()
            out = subprocess.run([*(["chrt", "-f", "1"] if rt else []), sys.executable, phases, tree, st, probe, tmp], capture_output=True, text=True, check=True)
            d = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps({"round": rnd, "tree": name, "state": "empty" if st == "empty" else "state", "cpu_tree": round(kids() - c, 2),
                              "wall": d["wall"], "hwm": d["hwm"], "add_wall": d["IncrementalClusterer.add"][0],
                              "add_main_cpu": d["IncrementalClusterer.add"][1], "add_kids_cpu": d["IncrementalClusterer.add"][2],
                              "link_wall": d["IncrementalClusterer._link_stories"][0],
                              "load": round(load, 1), "utc": time.strftime("%H:%M:%S", time.gmtime())}), flush=True)
