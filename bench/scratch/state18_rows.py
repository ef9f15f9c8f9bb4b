"""state-18: the rows of the N batches after the kept 200k state's history (state18_stream.py's input),
streamed by the CLI into a copy of the state: their hash, duplicates, and the events' and tables'
hashes, to compare trees. Usage: python3 bench/scratch/state18_rows.py TREE STATE N TMPDIR"""
import hashlib, json, os, shutil, sqlite3, subprocess, sys
from pathlib import Path
tree, state, n, tmp = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
items = json.loads((tmp / f"next-{n}.json").read_text())
copy = tmp / f"rows-{os.getpid()}.db"
shutil.copy(state, copy)
payload = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items).encode()
out = subprocess.run([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state", str(copy), "--batch-size", "1000",
                      "--workers", "2", "-q"], input=payload, capture_output=True, check=True,
                     env={**os.environ, "PYTHONPATH": tree}, cwd=tree).stdout
rows = [json.loads(l) for l in out.splitlines()]
con = sqlite3.connect(copy)
def digest(table):  # as state16c_ident.py hashes a table
    return hashlib.sha256(b"".join(repr(r).encode() for r in con.execute(f"SELECT * FROM {table} ORDER BY 1, 2"))).hexdigest()[:12]
tabs = {t: digest(t) for t in ("groups", "docs", "bands", "exact", "leads", "events")}
con.close()
for p in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm"), Path(f"{copy}.lock")):
    p.unlink(missing_ok=True)
print(json.dumps({"tree": tree, "rows": len(rows), "duplicates": sum(r["status"] == "duplicate" for r in rows),
                  "rows_hash": hashlib.sha256(json.dumps([(r["id"], r["status"], r["record_id"]) for r in rows]).encode()).hexdigest()[:12],
                  **tabs}))
