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
top = {}  # group -> its best exact estimate against the batch's documents that screened it
orig_ra = inc.StateGroups.read_ahead
def read_ahead(self, docs, floor, workers, helpers=None):
    orig_ra(self, docs, floor, workers, helpers)
    from cleaner.dedup.cluster import array_of
    from cleaner.dedup.signatures import jaccard
    near = {array_of(d, "near_mh", self.store).tobytes(): array_of(d, "near", self.store) for d in docs if d.features is not None}
    best = {}
    for g, sig, fl in pairs:
        if g not in self.ahead:
            continue
        theirs = self.signature(g)
        a, b = np.asarray(sig, dtype=np.uint32), np.asarray(theirs, dtype=np.uint32)
        e1 = np.count_nonzero((a & 0xFF) == (b & 0xFF)) / len(a)
        e2 = np.count_nonzero((a & 0xFFFF) == (b & 0xFFFF)) / len(a)
        e10 = np.count_nonzero((a & 0x3FF) == (b & 0x3FF)) / len(a)
        e12 = np.count_nonzero((a & 0xFFF) == (b & 0xFFF)) / len(a)
        e4 = np.count_nonzero(a == b) / len(a)
        j = jaccard(near[sig.tobytes()], self[g].canonical.features.near)
        hist = stats.setdefault("pairs_by_estimate_and_jaccard", {})
        k = f"est{min(int(e4 * 10), 5) / 10:.1f}+ j{min(int(j * 10), 5) / 10:.1f}+"
        hist[k] = hist.get(k, 0) + 1
        top[g] = max(top.get(g, 0.0), e4)
        prev = best.get(g, (0, 0, 0, 0, 0))
        best[g] = tuple(max(p, e >= fl) for p, e in zip(prev, (e1, e10, e12, e2, e4)))
    pairs.clear()
    for i, k in enumerate(("bits8", "bits10", "bits12", "bits16", "exact")):
        stats[k] = stats.get(k, 0) + sum(v[i] for v in best.values())
    stats["loaded"] = stats.get("loaded", 0) + len(best)
inc.StateGroups.read_ahead = read_ahead
released: set = set()
reread = [0]
if hasattr(inc.StateGroups, "release"):
    orig_release = inc.StateGroups.release
    def release(self, keep):
        released.update(g for g in self.loaded if g not in keep)
        return orig_release(self, keep)
    inc.StateGroups.release = release
from cleaner.store import state as st
orig_can = st.State.canonicals
def canonicals(self, groups):
    reread[0] += len(set(groups) & released)
    return orig_can(self, groups)
st.State.canonicals = canonicals
items = json.load(open(sys.argv[2]))
with Deduplicator(state=sys.argv[1], batch_size=len(items), workers=2) as dedup:
    rows = list(dedup.add(items))
stats["groups_with_estimate_at_least"] = {f: sum(e >= f for e in top.values()) for f in (0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.18, 0.2)}
print(json.dumps(default=int, obj={**{k: v if isinstance(v, dict) else int(v) for k, v in stats.items()}, "released": len(released), "read_again": reread[0]}))
