"""state-20: what a batch writes into a state's WAL. The probe (state20_probe.py) into a copy of STATE,
with COMMIT timed and the WAL saved just after it; then the WAL's frames mapped to the tables and
indexes whose pages they are (dbstat on STATE). Usage:
    python3 bench/scratch/state20_wal.py TREE STATE PROBE TMPDIR
(base 936e82a: COMMIT includes SQLite's automatic checkpoint; state-20: the checkpoint runs behind it)."""
import collections, os, runpy, shutil, sqlite3, struct, sys, time
tree, state, probe, tmp = sys.argv[1:5]
sys.path.insert(0, tree)
from cleaner.store import state as state_module  # noqa: E402
saved = os.path.join(tmp, "batch.wal")
commit = state_module.State.commit
def timed_commit(self, *args):
    wal = str(self.path) + "-wal"
    started, cpu = time.perf_counter(), time.process_time()
    commit(self, *args)
    print(f"COMMIT {time.perf_counter() - started:.3f} s wall, {time.process_time() - cpu:.3f} CPU s; "
          f"WAL {os.path.getsize(wal)} bytes", file=sys.stderr)
    shutil.copy(wal, saved)
state_module.State.commit = timed_commit
sys.argv = ["state20_probe.py", tree, state, probe, tmp]
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "state20_probe.py"), run_name="__main__")
data = open(saved, "rb").read()
size = struct.unpack(">I", data[8:12])[0]
pages = {struct.unpack(">I", data[at:at + 4])[0] for at in range(32, len(data) - 24 - size + 1, 24 + size)}
db = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
owner = dict((page, name) for name, page in db.execute("SELECT name, pageno FROM dbstat"))
total = collections.Counter(owner.values())
print(f"page size {size}; {len(pages)} distinct pages in the WAL", file=sys.stderr)
for name, n in collections.Counter(owner.get(p, "(new pages)") for p in pages).most_common():
    print(f"  {name:28s} {n:6d} of {total.get(name, 0):6d} pages", file=sys.stderr)
