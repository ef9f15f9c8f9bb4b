"""state-17: state16e_timeline.py (its line: the probe batch's phases as wall / main-process CPU /
children's CPU, s) and a second line for what state-17 added or split out: `_window_ahead` (the
window read and its texts sent to the batch's children before the writes), the copy tier's
`Clusterer.add` and the term weights' `observe` (wordfreq look-ups), same columns.
Usage: SRC=TREE python3 bench/scratch/state17_timeline.py STATE_COPY PROBE.json WORKERS"""
import json, os, resource, runpy, sys, time
sys.path.insert(0, os.environ["SRC"])
from cleaner.dedup import cluster, incremental, term_weights
T = {}
def kids():
    r = resource.getrusage(resource.RUSAGE_CHILDREN); return r.ru_utime + r.ru_stime
def wrap(obj, name, label):
    f = getattr(obj, name)
    def w(*a, **k):
        t, c, k0 = time.perf_counter(), time.process_time(), kids()
        try: return f(*a, **k)
        finally:
            v = T.get(label, (0, 0, 0, 0))
            T[label] = (v[0] + time.perf_counter() - t, v[1] + time.process_time() - c, v[2] + kids() - k0, v[3] + 1)
    setattr(obj, name, w)
if hasattr(incremental.IncrementalClusterer, "_window_ahead"):
    wrap(incremental.IncrementalClusterer, "_window_ahead", "window_ahead")
wrap(cluster.Clusterer, "add", "copy_add")
wrap(term_weights.TermWeights, "observe", "observe")
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "state16e_timeline.py"), run_name="__main__")
print(json.dumps({k: [round(x, 2) for x in v[:3]] + [v[3]] for k, v in T.items()}))
