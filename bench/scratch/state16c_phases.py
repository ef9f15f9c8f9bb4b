"""state-16c: CPU seconds (process_time) of the state's phases for one probe batch, workers as given,
in one process (no forked pool with 1). Usage: SRC=TREE python3 state16c_phases.py STATE_COPY PROBE.json WORKERS
(STATE_COPY is modified: copy the kept state first; a missing file = an empty state)."""
import json, sys, time, os
sys.path.insert(0, os.environ.get("SRC", "/work/wt-state"))
from cleaner import Deduplicator
from cleaner.dedup import incremental, cluster
import cleaner.exec.forked as fk
T = {}
def wrap(obj, name, label):
    f = getattr(obj, name)
    def w(*a, **k):
        t = time.process_time()
        try: return f(*a, **k)
        finally: T[label] = T.get(label, 0) + time.process_time() - t
    setattr(obj, name, w)
wrap(cluster.Clusterer, "_near", "near")
wrap(incremental.StateGroups, "restore", "restore")
wrap(incremental.StateGroups, "screen", "screen")
wrap(incremental.StateIndex, "query", "bandquery")
wrap(incremental, "sign_ahead", "sign_ahead")
wrap(incremental, "story_links", "story_links")
wrap(incremental.IncrementalClusterer, "_window", "window")
wrap(incremental.IncrementalClusterer, "_link_stories", "link_stories")
wrap(incremental.IncrementalClusterer, "add", "state_add")
from cleaner.stages.sign import Sign
from cleaner.store.state import State
wrap(Sign, "near_shingles", "near_shingles"); wrap(Sign, "near_signature", "near_signature"); wrap(State, "doc", "state_doc"); wrap(State, "band_screens", "band_screens_sql"); wrap(cluster, "jaccard", "jaccard"); wrap(cluster, "_estimate", "estimate"); wrap(incremental.IncrementalClusterer, "_rows", "rows")
items = json.load(open(sys.argv[2]))
with Deduplicator(state=sys.argv[1], batch_size=len(items), workers=int(sys.argv[3])) as dedup:
    t = time.process_time(); rows = list(dedup.add(items)); T["total"] = time.process_time() - t
print(json.dumps({k: round(v, 2) for k, v in T.items()}))
