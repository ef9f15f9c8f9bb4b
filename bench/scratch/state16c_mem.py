"""state-16c: the CLI stream (`run FILE --out - --state S --batch-size 1000 --workers W -q`) in process,
with, after each batch (after the CLI's malloc_trim), RSS, the [heap] and anonymous mappings' RSS,
pymalloc's arenas (sys._debugmallocstats), glibc mallinfo2 (arena, in use, free, mmapped), Python's
allocated blocks, SQLite's own memory and the collector's object count, one JSON line on stderr.
MEMX=zipf: term_weights' word memo cleared at every call; MEMX=lru: every lru_cache cleared after each batch.
Usage: python3 bench/scratch/state16c_mem.py TREE BATCHES WORKERS 2> log (input: dated_items(BATCHES*1000, 7))."""
import ctypes, gc, json, os, sys, time
tree, n_batches, workers = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, os.path.join(tree, "bench")); sys.path.insert(0, tree)
src = f"/tmp/state16c-in-{n_batches}.jsonl"
if not os.path.exists(src):
    from state_bench import dated_items
    with open(src + ".tmp", "w") as fh:
        for it in dated_items(n_batches * 1000, 7):
            fh.write(json.dumps(it, ensure_ascii=False) + "\n")
    os.rename(src + ".tmp", src)
import sqlite3, _sqlite3
libc = ctypes.CDLL("libc.so.6")
class MI2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena","ordblks","smblks","hblks","hblkhd","usmblks","fsmblks","uordblks","fordblks","keepcost")]
libc.mallinfo2.restype = MI2
lsq = ctypes.CDLL(_sqlite3.__file__)
try:
    lsq.sqlite3_memory_used.restype = ctypes.c_int64; sqmem = lsq.sqlite3_memory_used
except AttributeError:
    s = ctypes.CDLL("libsqlite3.so.0"); s.sqlite3_memory_used.restype = ctypes.c_int64; sqmem = s.sqlite3_memory_used
import cleaner.cli_stream as cs
from cleaner.cli import main
orig = cs.release_free_memory
count = [0]
def rss():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:")) // 1024
t0 = time.process_time()
def hook():
    orig()
    count[0] += 1
    mi = libc.mallinfo2()
    M = 1 << 20
    heap = anon = 0
    cur = None
    for line in open("/proc/self/smaps"):
        if line[0] in "0123456789abcdef" and "-" in line.split()[0]:
            cur = line.split()[-1] if len(line.split()) >= 6 else ""
        elif line.startswith("Rss:"):
            kb = int(line.split()[1])
            if cur == "[heap]": heap += kb
            elif cur == "": anon += kb
    r, w = os.pipe(); saved = os.dup(2); os.dup2(w, 2); sys._debugmallocstats(); os.dup2(saved, 2); os.close(w)
    txt = os.read(r, 1 << 20).decode(); os.close(r)
    arenas = next((l.split("=")[-1].strip() for l in txt.splitlines() if "arenas allocated current" in l), "?")
    print(json.dumps({"heap": heap // 1024, "anon": anon // 1024, "pyarenas": arenas, "b": count[0], "rss": rss(), "arena": round(mi.arena / M, 1), "inuse": round(mi.uordblks / M, 1),
          "free": round(mi.fordblks / M, 1), "mmap": round(mi.hblkhd / M, 1), "pyblocks": sys.getallocatedblocks(),
          "sqlite": round(sqmem() / M, 2), "gcobj": len(gc.get_objects()), "cpu": round(time.process_time() - t0, 1)}),
          file=sys.stderr, flush=True)
cs.release_free_memory = hook
X = os.environ.get("MEMX", "")
if "zipf" in X:
    from cleaner.dedup import term_weights
    term_weights._ZIPF_SEEN_MAX = 0
if "lru" in X:
    import functools
    def hook2(h=hook):
        for o in gc.get_objects():
            if isinstance(o, functools._lru_cache_wrapper):
                o.cache_clear()
        h()
    cs.release_free_memory = hook2
state = f"/tmp/state16c-cli-{os.getpid()}.db"
sys.stdout = open(os.devnull, "w")
try:
    main(["run", src, "--out", "-", "--state", state, "--batch-size", "1000", "--workers", workers, "-q"])
except SystemExit:
    pass
for suffix in ("", "-wal", "-shm", ".lock"):
    try: os.unlink(state + suffix)
    except FileNotFoundError: pass
