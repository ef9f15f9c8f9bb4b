"""state-16d: wall and CPU seconds of a probe batch's phases (wrapped functions), workers as given.
Usage: SRC=TREE python3 bench/scratch/state16d_phases.py STATE_COPY PROBE.json WORKERS"""
import json, sys, time, os
sys.path.insert(0, os.environ["SRC"])
from cleaner import Deduplicator
from cleaner.dedup import incremental, cluster
T = {}
def wrap(obj, name, label):
    f = getattr(obj, name)
    def w(*a, **k):
        t, c = time.perf_counter(), time.process_time()
        try: return f(*a, **k)
        finally:
            w0, c0 = T.get(label, (0, 0)); T[label] = (w0 + time.perf_counter() - t, c0 + time.process_time() - c)
    setattr(obj, name, w)
wrap(cluster.Clusterer, "_near", "near")
wrap(incremental.StateGroups, "restore", "restore")
wrap(incremental.StateIndex, "query", "bandquery")
wrap(incremental, "sign_ahead", "sign_ahead")
wrap(incremental, "story_links", "story_links")
wrap(incremental.IncrementalClusterer, "_window", "window")
wrap(incremental.IncrementalClusterer, "_link_stories", "link_stories")
wrap(incremental.IncrementalClusterer, "add", "state_add")
wrap(incremental.IncrementalClusterer, "_rows", "rows")
if hasattr(incremental.StateGroups, "read_ahead"): wrap(incremental.StateGroups, "read_ahead", "read_ahead")
items = json.load(open(sys.argv[2]))
with Deduplicator(state=sys.argv[1], batch_size=len(items), workers=int(sys.argv[3])) as dedup:
    t = time.perf_counter(); c = time.process_time(); rows = list(dedup.add(items)); T["total"] = (time.perf_counter() - t, time.process_time() - c)
print(json.dumps({k: [round(v[0], 2), round(v[1], 2)] for k, v in T.items()}))
