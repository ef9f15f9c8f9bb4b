"""state-16c: hashes of a probe batch's rows and events and of the state's tables after it, for the tree SRC.
Usage: SRC=TREE python3 state16c_ident.py STATE_COPY PROBE.json WORKERS (compare main's and the branch's lines)."""
import hashlib, json, sys, os
sys.path.insert(0, os.environ["SRC"])
from cleaner import Deduplicator
import sqlite3
items = json.load(open(sys.argv[2]))
with Deduplicator(state=sys.argv[1], batch_size=len(items), workers=int(sys.argv[3])) as dedup:
    rows = list(dedup.add(items))
    events = dedup.batch_events if hasattr(dedup, "batch_events") else []
con = sqlite3.connect(sys.argv[1])
tabs = {}
for t in ("groups", "docs", "bands", "exact", "leads", "events"):
    h = hashlib.sha256()
    for r in con.execute(f"SELECT * FROM {t} ORDER BY 1, 2"):
        h.update(repr(r).encode())
    tabs[t] = h.hexdigest()[:12]
print(json.dumps({"rows": hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()[:12],
                  "n": len(rows), "dups": sum(r["status"] == "duplicate" for r in rows),
                  "events": hashlib.sha256(json.dumps(events, sort_keys=True, default=str).encode()).hexdigest()[:12],
                  "nevents": len(events), **tabs}))
