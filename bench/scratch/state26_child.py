"""state-26 prototype (refused, state-26-benchmarks.md): state23_probe.py with the story tier
(story_links: observe, doc_terms, its forked steps) run in a forked child (os.fork), the clusters
back through a pipe, so none of the tier's memory is the main process's; the child reports its
VmHWM and smaps_rollup. TREE=1: a thread sums the Pss of the process and all its descendants
every 10 ms (`tree_pss_peak`: the run's memory, children included). NOCHILD=1: the tier in the
main process as the code has it (the baseline for tree_pss_peak).
Usage: [TREE=1] [NOCHILD=1] python3 bench/scratch/state26_child.py TREE STATE PROBE TMPDIR"""
import os, sys, pickle, json, runpy
TREE = sys.argv[1]
sys.path[:0] = [TREE]
from cleaner.dedup import incremental as inc
from cleaner.exec.memory import status_kib
sl = inc.story_links
CHILD = {}
def rollup(pid):
    out = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        k, _, v = line.partition(":")
        if k in ("Rss", "Pss", "Private_Dirty", "Private_Clean", "Shared_Dirty", "Shared_Clean"):
            out[k] = round(int(v.split()[0]) / 1024, 1)
    return out
def story_links(records, cfg, runner=None, store=None):
    if os.environ.get("NOCHILD"):
        return sl(records, cfg, runner, store)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            import gc; gc.freeze()
            clusters, _, _, _ = sl(records, cfg, runner, store)
            st = status_kib()
            info = {"child_hwm": round(st["VmHWM"] / 1024, 1), **{"child_" + k: v for k, v in rollup(os.getpid()).items()}}
            data = pickle.dumps((clusters, info))
            with os.fdopen(w, "wb") as fh:
                fh.write(data)
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        clusters, info = pickle.loads(fh.read())
    os.waitpid(pid, 0)
    CHILD.update(info)
    return clusters, {}, None, None
inc.story_links = story_links
import threading, time
TREE_PEAK = [0.0, 0]
def descendants(root):
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except OSError:
                pass
    out, todo = [], [root]
    while todo:
        x = todo.pop(); out.append(x); todo.extend(kids.get(x, []))
    return out
def pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return 0.0
    return 0.0
def sampler():
    me = os.getpid()
    while True:
        ps = descendants(me)
        tot = sum(pss(p) for p in ps)
        if tot > TREE_PEAK[0]:
            TREE_PEAK[0] = tot; TREE_PEAK[1] = len(ps)
        time.sleep(0.01)
if os.environ.get("TREE"):
    threading.Thread(target=sampler, daemon=True).start()
import atexit, io, contextlib
buf = io.StringIO()
sys.argv = [sys.argv[0]] + sys.argv[1:]
with contextlib.redirect_stdout(buf):
    runpy.run_path(TREE + "/bench/scratch/state23_probe.py", run_name="__main__")
d = json.loads(buf.getvalue())
d.update(CHILD); d['tree_pss_peak'] = round(TREE_PEAK[0], 1); d['tree_n'] = TREE_PEAK[1]
print(json.dumps(d))
