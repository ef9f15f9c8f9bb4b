"""state-19: the probe through the API (W workers, default 2) into a copy of STATE with TREE: hashes of its rows and of the state's tables, to compare trees. Usage: python3 bench/scratch/state19_rows.py TREE STATE|empty PROBE TMPDIR"""
import hashlib, json, os, shutil, sqlite3, sys, time, resource
tree, state, probe, tmp = sys.argv[1:5]
sys.path.insert(0, tree)
from pathlib import Path
copy = Path(tmp) / f"pr-{os.getpid()}.db"
if state != "empty": shutil.copy(state, copy)
from cleaner import Deduplicator
items = json.load(open(probe, encoding="utf-8"))
with Deduplicator(state=str(copy), batch_size=len(items), workers=int(os.environ.get("W", "2"))) as dedup:
    rows = list(dedup.add(items))
con = sqlite3.connect(copy)
def digest(table):
    return hashlib.sha256(b"".join(repr(r).encode() for r in con.execute(f"SELECT * FROM {table} ORDER BY 1, 2"))).hexdigest()[:12]
tabs = {t: digest(t) for t in ("groups", "docs", "bands", "exact", "leads", "events")}
con.close()
for p in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm"), Path(f"{copy}.lock")):
    p.unlink(missing_ok=True)
print(json.dumps({"tree": tree, "rows": len(rows), "dup": sum(r["status"] == "duplicate" for r in rows),
                  "rows_hash": hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:12], **tabs}))
