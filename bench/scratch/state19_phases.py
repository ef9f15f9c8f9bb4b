"""state-19: the probe (a JSON list of items) into a copy of STATE (or "empty") through the API with 2 workers, timing the clusterer's phases (wall, this process's CPU, reaped children's CPU) and VmHWM.
Usage: python3 bench/scratch/state19_phases.py TREE STATE|empty PROBE TMPDIR [prof]"""
import json, os, sys, time, shutil, resource, cProfile, pstats
tree, state, probe, tmp = sys.argv[1:5]
prof = len(sys.argv) > 5
sys.path.insert(0, tree); sys.path.insert(0, tree + "/bench")
from pathlib import Path
target = Path(tmp) / "phase.db"
for s in ("", "-wal", "-shm", ".lock"):
    Path(str(target) + s).unlink(missing_ok=True)
if state != "empty":
    shutil.copy(state, target)
    if os.path.exists(state + "-wal"): shutil.copy(state + "-wal", str(target) + "-wal")
from cleaner import Deduplicator
from cleaner.dedup import incremental as inc
T = {}
def kids():
    r = resource.getrusage(resource.RUSAGE_CHILDREN); return r.ru_utime + r.ru_stime
def wrap(cls, name):
    f = getattr(cls, name)
    def g(*a, **k):
        w, c, ch = time.perf_counter(), time.process_time(), kids()
        try: return f(*a, **k)
        finally:
            t = T.setdefault(f"{cls.__name__}.{name}", [0, 0, 0]); t[0] += time.perf_counter() - w; t[1] += time.process_time() - c; t[2] += kids() - ch
    setattr(cls, name, g)
for cls, name in [(inc.IncrementalClusterer, "add"), (inc.StateGroups, "read_ahead"), (inc.IncrementalClusterer, "_window_ahead"),
                  (inc.IncrementalClusterer, "_link_stories"), (inc.IncrementalClusterer, "_rows"), (inc.StateIndex, "look_ahead"),
                  (inc.StateIndex, "write"), (inc.StateGroups, "release"), (inc.IncrementalClusterer, "_window")]:
    wrap(cls, name)
import cleaner.dedup.cluster as cl
orig = cl.story_links
def sl(*a, **k):
    w, c, ch = time.perf_counter(), time.process_time(), kids()
    try: return orig(*a, **k)
    finally:
        t = T.setdefault("story_links", [0, 0, 0]); t[0] += time.perf_counter() - w; t[1] += time.process_time() - c; t[2] += kids() - ch
inc.story_links = sl
items = json.load(open(probe, encoding="utf-8"))
pr = cProfile.Profile() if prof else None
with Deduplicator(state=str(target), batch_size=len(items), workers=2) as dedup:
    w0, c0 = time.perf_counter(), time.process_time()
    if pr: pr.enable()
    rows = list(dedup.add(items))
    if pr: pr.disable()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
ch = resource.getrusage(resource.RUSAGE_CHILDREN)
from cleaner.exec.memory import status_kib
print(json.dumps({"hwm": round(status_kib()["VmHWM"] / 1024, 1), "wall": round(wall, 2), "main_cpu": round(cpu, 2), "children_cpu": round(ch.ru_utime + ch.ru_stime, 2),
                  "load": os.getloadavg()[0], **{k: [round(v[0], 3), round(v[1], 3), round(v[2], 3)] for k, v in T.items()}}, indent=None))
if pr:
    pr.dump_stats(tmp + "/prof.out")
    pstats.Stats(pr).sort_stats("tottime").print_stats(35)
