"""state-17: cProfile of one method of the state's batch (main process only), for the probe batch.
Usage: SRC=TREE python3 bench/scratch/state17_profile.py STATE_COPY PROBE.json WORKERS CLASS.METHOD [N_LINES [CALLERS_OF]]"""
import cProfile, io, json, os, pstats, sys
sys.path.insert(0, os.environ["SRC"])
from cleaner import Deduplicator
from cleaner.dedup import incremental
cls, name = sys.argv[4].split(".")
owner = getattr(incremental, cls)
prof = cProfile.Profile()
real = getattr(owner, name)
def wrapped(*a, **k):
    prof.enable()
    try: return real(*a, **k)
    finally: prof.disable()
setattr(owner, name, wrapped)
items = json.load(open(sys.argv[2]))
with Deduplicator(state=sys.argv[1], batch_size=len(items), workers=int(sys.argv[3])) as dedup:
    list(dedup.add(items))
out = io.StringIO(); pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(int(sys.argv[5]) if len(sys.argv) > 5 else 25)
if len(sys.argv) > 6:  # callers of the functions matching this pattern
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_callers(sys.argv[6])
print(out.getvalue())
