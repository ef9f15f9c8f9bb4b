"""state-20: the probe (a JSON list of items) into a copy of STATE (or "empty") through the API with 2
workers: each phase's wall / this process's CPU / reaped children's CPU, story_links' own steps
(TermWeights.observe, may_link, doc_terms, the story pool's steps), and the main process's peak RSS
per phase (VmHWM reset at each phase's start by /proc/self/clear_refs "5"), with the story window's
group count and the copy tier's candidate count.
Usage: python3 bench/scratch/state20_probe.py TREE STATE|empty PROBE TMPDIR"""
import json, os, sys, time, resource
tree, state, probe, tmp = sys.argv[1:5]
sys.path[:0] = [tree, tree + "/bench"]
from pathlib import Path
import state_bench  # noqa: E402  (the tree's: its copy_state copies a state with its WAL)
target = Path(tmp) / "probe20.db"
for leftover in (target, *(Path(f"{target}{s}") for s in ("-wal", "-shm", ".lock"))):
    leftover.unlink(missing_ok=True)
if state != "empty":
    state_bench.copy_state(Path(state), target)
from cleaner import Deduplicator
from cleaner.dedup import incremental as inc, cluster as cl, stories as st
from cleaner.exec import forked as fk
from cleaner.exec.memory import status_kib
T, PEAK, COUNT = {}, {}, {}
def kids():
    r = resource.getrusage(resource.RUSAGE_CHILDREN); return r.ru_utime + r.ru_stime
def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as fh: fh.write("5")
    except OSError: pass
def timed(name, f, peak=False):
    def g(*a, **k):
        if peak: reset_hwm()
        w, c, ch = time.perf_counter(), time.process_time(), kids()
        try: return f(*a, **k)
        finally:
            t = T.setdefault(name, [0, 0, 0]); t[0] += time.perf_counter() - w; t[1] += time.process_time() - c; t[2] += kids() - ch
            if peak: PEAK[name] = max(PEAK.get(name, 0), round(status_kib()["VmHWM"] / 1024, 1))
    return g
for cls, name, pk in [(inc.IncrementalClusterer, "add", False), (inc.StateGroups, "read_ahead", True),
                      (inc.IncrementalClusterer, "_window_ahead", True), (inc.IncrementalClusterer, "_link_stories", False),
                      (inc.StateIndex, "look_ahead", False)]:
    setattr(cls, name, timed(f"{cls.__name__}.{name}", getattr(cls, name), pk))
ra = inc.StateGroups.read_ahead
def read_ahead(self, *a, **k):
    try: return ra(self, *a, **k)
    finally:  # state-21: a candidate read ahead is kept as its shingles alone (StateGroups.shingled)
        COUNT["read_ahead_groups"] = len(self.loaded) + len(getattr(self, "shingled", ())); COUNT["rss_after_read_ahead"] = round(status_kib()["VmRSS"] / 1024, 1)
inc.StateGroups.read_ahead = read_ahead
win = inc.IncrementalClusterer._window
def counted(self, *a, **k):
    found = win(self, *a, **k); COUNT["window_groups"] = len(found); return found
inc.IncrementalClusterer._window = counted
inc.story_links = timed("story_links", cl.story_links, True)
cl.TermWeights.observe = timed("observe", cl.TermWeights.observe)
cl.may_link = timed("may_link", cl.may_link)
cl.doc_terms = timed("doc_terms", cl.doc_terms)
cl.link_stories = timed("link_stories", cl.link_stories)
fk.ForkedStories.share = timed("fork_share", fk.ForkedStories.share)
fk.ForkedStories.edges = timed("edges", fk.ForkedStories.edges)
fk.ForkedStories.release = timed("release", fk.ForkedStories.release)
st.story_components = timed("story_components", st.story_components)
items = json.load(open(probe, encoding="utf-8"))
with Deduplicator(state=str(target), batch_size=len(items), workers=2) as dedup:
    w0, c0 = time.perf_counter(), time.process_time()
    rows = list(dedup.add(items))
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
ch = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"state": state, "wall": round(wall, 2), "main_cpu": round(cpu, 2), "children_cpu": round(ch.ru_utime + ch.ru_stime, 2),
                  "hwm_last_phase": round(status_kib()["VmHWM"] / 1024, 1), "peaks": PEAK, **COUNT,
                  "load": round(os.getloadavg()[0], 1), "utc": time.strftime("%H:%M:%S", time.gmtime()),
                  **{k: [round(v[0], 3), round(v[1], 3), round(v[2], 3)] for k, v in T.items()}}))
