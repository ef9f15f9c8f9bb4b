"""state-23: state22_ab.py with a cache folder of each tree's own ($CLEANER_CACHE_DIR = TMPDIR/cache-DIGEST
of the tree's path). The tables a process derives at setup (core/table_cache.py) are stamped with the
module that derived them: two trees sharing one cache folder re-derived them whenever the other tree had
run last (~0.28 s of the stages, in whichever probe followed the other tree's: in state22_ab.py's order,
3 of 5 of one tree's state probes against 1 of 5 of the other's).
Usage: python3 bench/scratch/state23_ab.py [--rt] ROUNDS PROBE TMPDIR name=TREE:STATE ... > ab.jsonl"""
import hashlib, os, runpy, subprocess
from pathlib import Path

real_run = subprocess.run


def run(cmd, **kwargs):  # state22_ab.py's call: [..., phases, TREE, STATE, PROBE, TMPDIR]
    tree, tmp = cmd[-4], cmd[-1]
    folder = Path(tmp, "cache-" + hashlib.sha1(str(Path(tree).resolve()).encode()).hexdigest()[:12])
    return real_run(cmd, **kwargs, env={**os.environ, "CLEANER_CACHE_DIR": str(folder)})


subprocess.run = run
runpy.run_path(str(Path(__file__).with_name("state22_ab.py")), run_name="__main__")
