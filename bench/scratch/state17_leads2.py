"""state-17: State.lead_window of the probe batch (arguments captured by state17_leads.py capture)
as one join (main) and as two index reads intersected here (the branch), timed alternately on a
state opened read-only; the same groups? Usage: SRC=TREE python3 bench/scratch/state17_leads2.py STATE ARGS.json"""
import json, os, sqlite3, sys, time
sys.path.insert(0, os.environ["SRC"])
from cleaner.store import state as st
names, first, last, since = json.load(open(sys.argv[2]))
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
keys = st._list([st.term_key(t) for t in names])
def joined():
    return [g for (g,) in con.execute(f"SELECT DISTINCT leads.g FROM leads JOIN groups ON groups.g = leads.g WHERE leads.key IN {st._LIST} "
                                      f"AND {st._IN_WINDOW} ORDER BY leads.g", (keys, first, last, since))]
def apart():
    held = {g for (g,) in con.execute(f"SELECT g FROM leads WHERE key IN {st._LIST}", (keys,))}
    window = set()
    if first is not None:
        window.update(g for (g,) in con.execute("SELECT g FROM groups WHERE day BETWEEN ? AND ?", (first, last)))
    window.update(g for (g,) in con.execute("SELECT g FROM groups WHERE created >= ?", (since,)))
    return sorted(held & window)
res = {"joined": [], "apart": [], "load1": os.getloadavg()[0]}
for _ in range(5):
    for name, f in (("joined", joined), ("apart", apart)):
        t = time.process_time(); rows = f(); res[name].append(round(time.process_time() - t, 3)); res[name + "_rows"] = hash(tuple(rows)), len(rows)
print(json.dumps(res))
# The whole window query (_window): record_window(lead_window(...)) against the branch's reads.
def whole_main():
    return con.execute(f"SELECT g FROM groups WHERE root IN (SELECT root FROM groups WHERE g IN {st._LIST}) "
                       f"AND {st._IN_WINDOW} ORDER BY g", (st._list(joined()), first, last, since)).fetchall()
def whole_branch():
    window = set()
    if first is not None:
        window.update(g for (g,) in con.execute("SELECT g FROM groups WHERE day BETWEEN ? AND ?", (first, last)))
    window.update(g for (g,) in con.execute("SELECT g FROM groups WHERE created >= ?", (since,)))
    held = {g for (g,) in con.execute(f"SELECT g FROM leads WHERE key IN {st._LIST}", (keys,))}
    rec = {g for (g,) in con.execute(f"SELECT g FROM groups WHERE root IN (SELECT root FROM groups WHERE g IN {st._LIST})",
                                     (st._list(sorted(held & window)),))}
    return [(g,) for g in sorted(rec & window)]
res = {"whole_main": [], "whole_branch": []}
for _ in range(5):
    for name, f in (("whole_main", whole_main), ("whole_branch", whole_branch)):
        t = time.process_time(); rows = f(); res[name].append(round(time.process_time() - t, 3)); res[name + "_rows"] = hash(tuple(rows)), len(rows)
print(json.dumps(res))
