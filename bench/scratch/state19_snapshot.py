"""state-19: a consistent copy of a state being built (state_bench.py's temporary state.db), taken
by a reader when it holds N committed batches, and the probe that follows it (the next 1,000
items of the bench's history). Usage: python3 bench/scratch/state19_snapshot.py SOURCE.db N OUT.db PROBE.json"""
import json, sqlite3, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import state_bench as sb  # noqa: E402
source, batches, out, probe = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
while True:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    src.execute("BEGIN")
    done = src.execute("SELECT coalesce(max(batch), 0) FROM batches").fetchone()[0]
    if done >= batches:
        dst = sqlite3.connect(out); src.backup(dst)
        n = dst.execute("SELECT count(*) FROM docs").fetchone()[0]; dst.close(); break
    src.close(); time.sleep(1)
items = sb.dated_items(201000, 7)
json.dump(items[n:n + 1000], open(probe, "w", encoding="utf-8"), ensure_ascii=False)
print(n)
