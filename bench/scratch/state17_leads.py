"""state-17: the story window's lead-name query (State.lead_window) of the probe batch, timed on a
state opened read-only, as main asks it and alternatives. First run captures the arguments:
  SRC=TREE python3 bench/scratch/state17_leads.py capture STATE_COPY PROBE.json ARGS.json
  SRC=TREE python3 bench/scratch/state17_leads.py time STATE ARGS.json"""
import json, os, sqlite3, sys, time
sys.path.insert(0, os.environ["SRC"])
from cleaner.store import state as st
if sys.argv[1] == "capture":
    from cleaner import Deduplicator
    real = st.State.lead_window
    def lw(self, names, first, last, since):
        json.dump([names, first, last, since], open(sys.argv[4], "w"))
        return real(self, names, first, last, since)
    st.State.lead_window = lw
    items = json.load(open(sys.argv[3]))
    with Deduplicator(state=sys.argv[2], batch_size=len(items), workers=1) as dedup:
        list(dedup.add(items))
    sys.exit()
names, first, last, since = json.load(open(sys.argv[3]))
con = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True)
keys = st._list([st.term_key(t) for t in names])
Q = {"main": (f"SELECT DISTINCT leads.g FROM leads JOIN groups ON groups.g = leads.g WHERE leads.key IN {st._LIST} "
              f"AND {st._IN_WINDOW} ORDER BY leads.g", (keys, first, last, since)),
     "window_first": (f"SELECT DISTINCT leads.g FROM groups CROSS JOIN leads ON leads.g = groups.g WHERE "
                      f"groups.g IN (SELECT g FROM groups WHERE day BETWEEN ? AND ? UNION SELECT g FROM groups WHERE created >= ?) "
                      f"AND leads.key IN {st._LIST} ORDER BY leads.g", (first, last, since, keys))}
print(json.dumps({"names": len(names), "first": first, "last": last, "since": since,
                  "lead_rows": con.execute(f"SELECT count(*) FROM leads WHERE key IN {st._LIST}", (keys,)).fetchone()[0],
                  "window_groups": con.execute("SELECT count(*) FROM groups WHERE day BETWEEN ? AND ? OR created >= ?",
                                               (first, last, since)).fetchone()[0]}))
res = {}
for rnd in range(3):
    for name, (sql, args) in Q.items():
        t = time.perf_counter(); rows = con.execute(sql, args).fetchall(); dt = time.perf_counter() - t
        res.setdefault(name, []).append(round(dt, 3)); res[name + "_n"] = len(rows); res[name + "_h"] = hash(tuple(rows))
print(json.dumps(res))
