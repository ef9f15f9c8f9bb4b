"""state-23: state20_probe.py with the main process's phases of IncrementalClusterer._add (copy pass,
writes, terms, rows, COMMIT), RSS at the start of the story tier, and the process's whole peak (VmHWM,
never reset: `hwm`). Env TRIM=1: release_free_memory() after the copy tier's groups are released
(an experiment). Usage: python3 bench/scratch/state23_probe.py TREE STATE|empty PROBE TMPDIR"""
import json, os, sys, time, resource
from pathlib import Path
TREE, STATE, PROBE, TMP = sys.argv[1:5]
sys.path[:0] = [TREE, TREE + "/bench"]
import state_bench  # noqa: E402  (the tree's copy_state: a state with its WAL)
copy = Path(TMP, "probe23.db")
for suffix in ("", "-wal", "-shm", ".lock"):
    Path(f"{copy}{suffix}").unlink(missing_ok=True)
STATE == "empty" or state_bench.copy_state(Path(STATE), copy)
from cleaner import Deduplicator  # noqa: E402
from cleaner.dedup import incremental as inc, cluster as cl  # noqa: E402
from cleaner.store import state as stm  # noqa: E402
from cleaner.exec.memory import status_kib, release_free_memory  # noqa: E402
T, COUNT = {}, {}
def kids():
    r = resource.getrusage(resource.RUSAGE_CHILDREN); return r.ru_utime + r.ru_stime
def timed(name, f):
    def g(*a, **k):
        w, c, ch = time.perf_counter(), time.process_time(), kids()
        try: return f(*a, **k)
        finally:
            t = T.setdefault(name, [0, 0, 0]); t[0] += time.perf_counter() - w; t[1] += time.process_time() - c; t[2] += kids() - ch
    return g
for cls, name in [(inc.IncrementalClusterer, "add"), (inc.IncrementalClusterer, "_add"), (inc.StateGroups, "read_ahead"),
                  (inc.IncrementalClusterer, "_window_ahead"), (inc.IncrementalClusterer, "_link_stories"),
                  (inc.IncrementalClusterer, "_keep_terms"), (inc.IncrementalClusterer, "_rows"), (inc.StateIndex, "write"),
                  (cl.Clusterer, "add"), (stm.State, "add_doc"), (stm.State, "add_group"), (stm.State, "add_leads"),
                  (stm.State, "commit"), (stm.State, "add_events"), (stm.State, "band_screens_all"),
                  (stm.State, "canonical_texts"), (stm.State, "canonicals")]:
    setattr(cls, name, timed(f"{cls.__name__}.{name}", getattr(cls, name)))
rel = inc.StateGroups.release
def release(self, keep):
    COUNT["read_ahead_groups"] = len(self.loaded) + len(self.shingled)
    COUNT["rss_before_release"] = round(status_kib()["VmRSS"] / 1024, 1)
    try: return rel(self, keep)
    finally:
        if os.environ.get("TRIM"): release_free_memory()
        COUNT["rss_after_release"] = round(status_kib()["VmRSS"] / 1024, 1)
inc.StateGroups.release = release
sl = inc.story_links
def story_links(*a, **k):
    COUNT["rss_story_start"] = round(status_kib()["VmRSS"] / 1024, 1)
    try: return sl(*a, **k)
    finally: COUNT["hwm_after_story"] = round(status_kib()["VmHWM"] / 1024, 1)
inc.story_links = story_links
win = inc.IncrementalClusterer._window
def counted(self, *a, **k):
    found = win(self, *a, **k); COUNT["window_groups"] = len(found); return found
inc.IncrementalClusterer._window = counted
with open(PROBE, encoding="utf-8") as fh:
    items = json.load(fh)
with Deduplicator(state=str(copy), batch_size=len(items), workers=2) as dedup:
    started = (time.perf_counter(), time.process_time())
    list(dedup.add(items))
    ended = (time.perf_counter(), time.process_time())
reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
out = {"state": STATE, "wall": ended[0] - started[0], "main_cpu": ended[1] - started[1],
       "children_cpu": reaped.ru_utime + reaped.ru_stime, "hwm": status_kib()["VmHWM"] / 1024, **COUNT,
       "load": os.getloadavg()[0], "utc": time.strftime("%H:%M:%S", time.gmtime())}
out = {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}
out.update({k: [round(x, 3) for x in v] for k, v in T.items()})
print(json.dumps(out))
