"""Scratch (copy-16): where the copy tier's state candidates come from in a probe batch.

python3 bench/scratch/copy16_diag.py STATE_COPY.db PROBE.json
(STATE_COPY.db: a copy of a kept state, e.g. /tmp/state200k/state-200000.db; it is written to.)
Counts, per batch document's language: candidates screened, screen passes, estimates >= the
floor, Jaccards >= threshold, canonicals restored; and candidates by shared band keys."""
import collections, json, sys
import numpy as np
from cleaner import Deduplicator
from cleaner.dedup import cluster, incremental
from cleaner.store.state import _band

C = collections.Counter()
cur = {"lang": None, "bands": {}}
first_seen: dict = {}
near = cluster.Clusterer._near
def _near(self, doc, signature):
    cur["lang"] = doc.lang
    cur["doc"] = doc
    C[("batch docs reaching the near tier", doc.lang)] += 1
    return near(self, doc, signature)
cluster.Clusterer._near = _near
query = incremental.StateIndex.query
def q(self, signature):
    keys = self.bands.band_keys(signature)
    marks = ",".join("?" * len(keys))
    cur["bands"] = dict(self.state.db.execute(
        f"SELECT g, count(*) FROM bands WHERE key IN ({marks}) GROUP BY g",
        [_band(k) for k in keys]).fetchall())
    return query(self, signature)
incremental.StateIndex.query = q
screen = incremental.StateGroups.screen
def sc(self, g, signature, floor):
    loaded = g in self.loaded
    ok = screen(self, g, signature, floor)
    nb = cur["bands"].get(g, 0)
    L = cur["lang"]
    C[(L, "screened")] += 1
    C[("bands", min(nb, 5), "screened")] += 1
    if ok:
        C[(L, "pass_loaded" if loaded else "pass_new")] += 1
        C[("bands", min(nb, 5), "pass")] += 1
        if not loaded:
            rec = self[g]
            est = cluster._estimate(signature, cluster.array_of(rec.canonical, "near_mh", None))
            C[(L, "restored")] += 1
            C[(L, "canon_lang", rec.canonical.lang)] += 1
            C[(L, "restored_est_ge_floor" if est >= floor else "restored_est_lt_floor")] += 1
            C[("bands", min(nb, 5), "restored_est_ge" if est >= floor else "restored_est_lt")] += 1
            a = len(cluster.array_of(cur["doc"], "near", None)); b = len(rec.canonical.features.near)
            C[("restored: size ratio bounds Jaccard below 0.3", min(a, b) < 0.3 * max(a, b))] += 1
            C[("restored: canonical words - 2 >= its shingles", (rec.canonical.features.words or 0) - 2 >= b)] += 1
            C[("restored by estimate /128", min(round(est * 128) // 4 * 4, 40))] += 1
            low = np.frombuffer(self.screens().get(g) or self.state.screen(g), dtype=np.uint8)
            if est < floor:
                C[("lt_floor: screen eq, est eq", int(np.count_nonzero(low == incremental.screen_bytes(signature))), round(est*128))] += 1
    return ok
incremental.StateGroups.screen = sc
jac = cluster.jaccard
def j(a, b):
    s = jac(a, b)
    C[(cur["lang"], "jaccard")] += 1
    C[(cur["lang"], "jaccard_ge_0.3")] += s >= 0.3
    C[("jaccard max", cur["lang"])] = max(C[("jaccard max", cur["lang"])], round(s, 3))
    return s
cluster.jaccard = j

items = json.load(open(sys.argv[2]))
with Deduplicator(state=sys.argv[1], batch_size=len(items), workers=1) as dedup:
    rows = list(dedup.add(items))
for k, v in sorted(C.items(), key=lambda kv: str(kv[0])):
    print(k, v)
