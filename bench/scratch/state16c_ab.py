"""The state bench's probe (state_bench.probe_once, --workers 2) into a copy of a kept 200k
state and into an empty one, checkouts alternated; CPU of each probe's process tree (state-16c;
state-16d and state-16e ran it with their own paths). A main export needs a `shared` symlink
beside it. Usage:
    STATE=/tmp/st16c/base200k.db PROBE=/tmp/st16c/probe.json RUN=/tmp/abrun \
        python3 bench/scratch/state16c_ab.py ROUNDS main=DIR branch=DIR > ab.jsonl"""
import json, os, resource, subprocess, sys, time
from pathlib import Path
trees = dict(arg.split("=", 1) for arg in sys.argv[2:]) or {"main": "/work/main"}
tmp = Path(os.environ.get("RUN", "/tmp/st16c/abrun")); tmp.mkdir(parents=True, exist_ok=True)
STATE = Path(os.environ.get("STATE", "/tmp/st16c/base200k.db"))
PROBE = Path(os.environ.get("PROBE", "/tmp/st16c/probe.json"))
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN); return r.ru_utime + r.ru_stime
code = """
import json, os, sys
sys.path.insert(0, sys.argv[1] + '/bench'); sys.path.insert(0, sys.argv[1])
os.chdir(sys.argv[1]); os.environ['PYTHONPATH'] = sys.argv[1]
import state_bench as sb
from pathlib import Path
print(json.dumps(sb.probe_once(None if sys.argv[2] == 'empty' else Path(sys.argv[2]), Path(sys.argv[3]), 2, Path(sys.argv[4]))))
"""
for rnd in range(int(sys.argv[1])):
    order = list(trees) if rnd % 2 == 0 else list(reversed(trees))
    for tree in order:
        for state in (["empty", str(STATE)] if rnd % 2 == 0 else [str(STATE), "empty"]):
            load = os.getloadavg()[0]; c = cpu()
            out = subprocess.run([sys.executable, "-c", code, trees[tree], state, str(PROBE), str(tmp)],
                                 capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": trees[tree]})
            d = json.loads(out.stdout)
            print(json.dumps({"round": rnd, "tree": tree, "state": "empty" if state == "empty" else "200k",
                              "cpu": round(cpu() - c, 2), "load1": round(load, 2), "utc": time.strftime("%H:%M:%S", time.gmtime()),
                              **{k: d[k] for k in ("seconds", "state_seconds", "peak_rss_mib", "duplicates")}}), flush=True)
