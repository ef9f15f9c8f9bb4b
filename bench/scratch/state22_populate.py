"""state-22: give a state built before schema 6 the terms rows a build with schema 6 would hold after its
last batch B (IncrementalClusterer._keep_terms): every group whose canonical was set in a batch >= B -
window_batches, or whose canonical's day is on or after B's window's first day (min day of the canonicals
of the groups B placed documents in, minus window_days); each signed from its canonical's stored text.
Usage: python3 bench/scratch/state22_populate.py TREE STATE (writes STATE: give a copy of a state built before
schema 6, e.g. /tmp/s19/st/state-200000.db; the rows kept within TERMS_BUDGET, earliest batches dropped first)"""
import sys, time
tree, path = sys.argv[1:3]
sys.path.insert(0, tree)
from cleaner.store.state import State
from cleaner.stages.sign import Sign
from cleaner.core.config import load_config
from cleaner.dedup.incremental import day_number
cfg = load_config(); story = cfg["story"]
st = State(path)
sign = Sign.from_config(cfg)
B = st.db.execute("SELECT max(batch) FROM docs").fetchone()[0]
fresh = [g for (g,) in st.db.execute("SELECT DISTINCT g FROM docs WHERE batch = ?", (B,))]
days = [d for (d,) in st.db.execute(f"SELECT day FROM groups WHERE g IN (SELECT value FROM json_each(?)) AND day IS NOT NULL", (str(fresh),))]
first = min(days) - story["window_days"] if days else None
rows = st.db.execute("SELECT groups.g, groups.canonical, groups.day, docs.batch FROM groups JOIN docs ON docs.n = groups.canonical "
                     "WHERE docs.batch >= ? OR (groups.day IS NOT NULL AND groups.day >= ?)", (B - story["window_batches"], first if first is not None else 1 << 40)).fetchall()
t = time.time()
st.begin()
out = []
for g, n, day, batch in rows:
    member, slim, text = st.doc(n)
    terms, lead, tl, dl, words = sign.salient(text, slim.date, slim.title, slim.lang)
    out.append((g, n, day, batch, (terms, lead, tl, dl, words)))
# What trim_terms would leave (the earliest batches dropped first), inserted alone: a build's table never
# held more than a batch above its budget, so its file did not grow past it.
from cleaner.dedup.incremental import TERMS_BUDGET
budget = TERMS_BUDGET * st.db.execute("SELECT coalesce(max(n), 0) FROM docs").fetchone()[0]
sizes = {r[0]: len(st.packer.pack(r[4])) for r in out}
held = sum(sizes.values())
for r in sorted(out, key=lambda r: (r[3], r[0])):
    if held <= budget: break
    held -= sizes[r[0]]; out = [x for x in out if x[0] != r[0]]
st.add_terms(out)
st.trim_terms(TERMS_BUDGET)
st.db.execute("COMMIT")
st.close()
print("B", B, "first", first, "rows", len(out), "s", round(time.time() - t, 1))
