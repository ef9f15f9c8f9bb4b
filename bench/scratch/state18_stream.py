"""state-18: a streaming run's memory against a large state: the CLI stream (state_bench.stream: `run - --out -
--state S --batch-size 1000 --workers 2 -v`) of the N batches of generated news that follow the kept 200k
state's history (the probe's day first), into a copy of it; peak RSS and RSS after each batch. Usage:
    python3 bench/scratch/state18_stream.py TREE STATE N TMPDIR   (TREE: an export with `shared` beside it)"""
import json, os, shutil, sys
from pathlib import Path
tree, state, n, tmp = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
sys.path.insert(0, os.path.join(tree, "bench")); sys.path.insert(0, tree)
os.environ["PYTHONPATH"] = tree
os.chdir(tree)
import state_bench as sb
tmp.mkdir(parents=True, exist_ok=True)
src = tmp / f"next-{n}.json"
if not src.exists():
    src.write_text(json.dumps(sb.dated_items(200_000 + n * 1000, 7)[200_000:]))
items = json.loads(src.read_text())
copy = tmp / "stream.db"
for p in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
    p.unlink(missing_ok=True)
shutil.copy(state, copy)
print(json.dumps({"tree": tree, "documents": len(items), **sb.stream(items, copy, 2)}))
