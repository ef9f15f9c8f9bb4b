"""state-17: a probe batch's phases as wall, main-process CPU and children's CPU (RUSAGE_CHILDREN:
forked pools, reaped at each step's end), workers as given; plus sizes (window, texts signed).
Usage: SRC=TREE python3 bench/scratch/state17_timeline.py STATE_COPY PROBE.json WORKERS"""
import json, os, resource, sys, time
sys.path.insert(0, os.environ["SRC"])
from cleaner import Deduplicator
from cleaner.dedup import incremental, cluster
from cleaner.exec import forked
T = {}; N = {}
def kids():
    r = resource.getrusage(resource.RUSAGE_CHILDREN); return r.ru_utime + r.ru_stime
def wrap(obj, name, label, size=None):
    f = getattr(obj, name)
    def w(*a, **k):
        t, c, k0 = time.perf_counter(), time.process_time(), kids()
        if size: N[label] = N.get(label, 0) + size(a, k)
        try: return f(*a, **k)
        finally:
            v = T.get(label, (0, 0, 0, 0))
            T[label] = (v[0] + time.perf_counter() - t, v[1] + time.process_time() - c, v[2] + kids() - k0, v[3] + 1)
    setattr(obj, name, w)
wrap(incremental.StateGroups, "read_ahead", "read_ahead")
wrap(cluster.Clusterer, "_near", "near")
wrap(incremental.IncrementalClusterer, "_window", "window")
wrap(incremental, "sign_ahead", "sign_ahead", lambda a, k: len(a[1]))
wrap(incremental, "story_links", "story_links", lambda a, k: len(a[0]))
wrap(incremental.IncrementalClusterer, "_link_stories", "link_stories")
if hasattr(incremental.IncrementalClusterer, "_window_ahead"):  # state-17
    wrap(incremental.IncrementalClusterer, "_window_ahead", "window_ahead")
wrap(cluster.Clusterer, "add", "copy_add")
from cleaner.dedup import term_weights
wrap(term_weights.TermWeights, "observe", "observe")
wrap(incremental.IncrementalClusterer, "_rows", "rows")
wrap(incremental.IncrementalClusterer, "add", "state_add")
wrap(incremental.IncrementalClusterer, "commit", "commit")
items = json.load(open(sys.argv[2]))
t0 = time.perf_counter()
with Deduplicator(state=sys.argv[1], batch_size=len(items), workers=int(sys.argv[3])) as dedup:
    t = time.perf_counter(); c = time.process_time(); k0 = kids(); rows = list(dedup.add(items))
    T["add_total"] = (time.perf_counter() - t, time.process_time() - c, kids() - k0, 1)
T["open_to_close"] = (time.perf_counter() - t0, time.process_time(), kids(), 1)
print(json.dumps({"load1": os.getloadavg()[0], **{k: [round(x, 2) for x in v[:3]] + [v[3]] for k, v in T.items()}, "sizes": N}))
