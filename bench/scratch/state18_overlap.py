"""state-18: how many of a batch's copy-tier candidates (the state's groups it loaded: their canonicals read
and shingled again) the batch before had loaded too: what a cache of signed canonicals across batches
(keyed by group and canonical row) could save. The probe split into K consecutive batches, into a copy of
a state. Usage: SRC=TREE python3 bench/scratch/state18_overlap.py STATE_COPY PROBE.json K"""
import json, os, sys
sys.path.insert(0, os.environ["SRC"])
from cleaner import Deduplicator
from cleaner.dedup import incremental as inc

batches: list[set] = []
orig = inc.StateGroups.release
def release(self, keep):
    batches.append({(g, self.number.get(id(r.members[0].doc))) for g, r in self.loaded.items() if g not in keep})
    return orig(self, keep)
inc.StateGroups.release = release
items = json.load(open(sys.argv[2]))
k = int(sys.argv[3])
size = -(-len(items) // k)
with Deduplicator(state=sys.argv[1], batch_size=size, workers=2) as dedup:
    rows = list(dedup.add(items))
out = []
for i, loaded in enumerate(batches):
    seen = set().union(*batches[:i]) if i else set()
    out.append({"batch": i + 1, "loaded": len(loaded), "loaded_by_the_last": len(loaded & batches[i - 1]) if i else 0,
                "loaded_by_any_earlier": len(loaded & seen)})
print(json.dumps(out))
