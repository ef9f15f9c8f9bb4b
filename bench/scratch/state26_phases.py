"""state-26: where the main process's RSS goes in one probe batch against a state, phase by
phase: RSS at each wrapped function's entry (NAME>) and exit (<NAME), and the highest RSS a
2 ms sampler saw inside each (innermost two) phase. Runs bench/scratch/state23_probe.py (the
same probe and peak). Usage: python3 bench/scratch/state26_phases.py TREE STATE PROBE TMPDIR
Pin $CLEANER_CACHE_DIR to a warmed folder of the tree's own: a cold cache leaves ~9-13 MiB more
in the process (state-26-benchmarks.md)."""
import contextlib, io, json, runpy, sys, threading, time
TREE = sys.argv[1]
sys.path[:0] = [TREE]
from cleaner.dedup import cluster as cl, incremental as inc, stories as st, term_weights as tw  # noqa: E402
from cleaner.exec import forked as fk  # noqa: E402
from cleaner.store import state as stm  # noqa: E402
PH, PEAK, CK = ["start"], {}, []
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20
def sampler():
    while True:
        r, p = rss(), "/".join(PH[-2:])
        if r > PEAK.get(p, 0):
            PEAK[p] = round(r, 1)
        time.sleep(0.002)
threading.Thread(target=sampler, daemon=True).start()
def phased(name, f):
    def g(*a, **k):
        PH.append(name); CK.append((name + ">", round(rss(), 1)))
        try: return f(*a, **k)
        finally: PH.pop(); CK.append(("<" + name, round(rss(), 1)))
    return g
for owner, name in [(inc.IncrementalClusterer, "_add"), (inc.IncrementalClusterer, "_window_ahead"),
                    (inc.IncrementalClusterer, "_keep_terms"), (inc.IncrementalClusterer, "_link_stories"),
                    (inc.IncrementalClusterer, "_rows"), (inc, "story_links"), (cl, "link_stories"),
                    (tw.TermWeights, "observe"), (fk.ForkedStories, "share"), (fk.ForkedStories, "edges")]:
    setattr(owner, name, phased(name, getattr(owner, name)))
cl.doc_terms = phased("doc_terms", cl.doc_terms)
_link = fk.ForkedStories.link
def link(self, shared, components):  # a generator: its phase is the time it is iterated
    PH.append("link"); CK.append(("link>", round(rss(), 1)))
    try: yield from _link(self, shared, components)
    finally: PH.pop(); CK.append(("<link", round(rss(), 1)))
fk.ForkedStories.link = link
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    runpy.run_path(TREE + "/bench/scratch/state23_probe.py", run_name="__main__")
d = json.loads(buf.getvalue())
seen, ck = set(), []
for name, v in CK:  # the first entry and exit of each phase (doc_terms: once a canonical, left out)
    if name.strip("<>") != "doc_terms" and name not in seen:
        seen.add(name); ck.append(f"{name}:{v}")
print(json.dumps({k: d[k] for k in ("state", "hwm", "rss_story_start", "window_groups", "load", "utc")}))
print(" ".join(ck))
print(json.dumps(dict(sorted(PEAK.items(), key=lambda kv: -kv[1])[:10])))
