"""state-18: how many of the probe batch's read-ahead candidates pass the screen (1 low byte of each
MinHash value) against how many would pass with 2 low bytes, and with the values themselves (the
exact estimate the copy tier requires >= floor). Usage:
    SRC=TREE python3 bench/scratch/state18_screen.py STATE_COPY PROBE.json"""
import json, os, sys
sys.path.insert(0, os.environ["SRC"])
import numpy as np
from cleaner import Deduplicator
from cleaner.dedup import incremental as inc

pairs = []  # (group, signature) the read-ahead's screen let through
orig_screen = inc.StateGroups.screen
def screen(self, g, signature, floor):
    ok = orig_screen(self, g, signature, floor)
    if ok and g not in self.loaded:
        pairs.append((g, signature.copy(), floor))
    return ok
inc.StateGroups.screen = screen
stats = {}
orig_ra = inc.StateGroups.read_ahead
def read_ahead(self, docs, floor, workers, helpers=None):
    orig_ra(self, docs, floor, workers, helpers)
    best = {}
    for g, sig, fl in pairs:
        if g not in self.ahead:
            continue
        theirs = self.signature(g)
        a, b = np.asarray(sig, dtype=np.uint32), np.asarray(theirs, dtype=np.uint32)
        e1 = np.count_nonzero((a & 0xFF) == (b & 0xFF)) / len(a)
        e2 = np.count_nonzero((a & 0xFFFF) == (b & 0xFFFF)) / len(a)
        e4 = np.count_nonzero(a == b) / len(a)
        prev = best.get(g, (0, 0, 0))
        best[g] = (max(prev[0], e1 >= fl), max(prev[1], e2 >= fl), max(prev[2], e4 >= fl))
    pairs.clear()
    for i, k in enumerate(("byte1", "byte2", "exact")):
        stats[k] = stats.get(k, 0) + sum(v[i] for v in best.values())
    stats["loaded"] = stats.get("loaded", 0) + len(best)
inc.StateGroups.read_ahead = read_ahead
items = json.load(open(sys.argv[2]))
with Deduplicator(state=sys.argv[1], batch_size=len(items), workers=2) as dedup:
    rows = list(dedup.add(items))
print(json.dumps({k: int(v) for k, v in stats.items()}))
