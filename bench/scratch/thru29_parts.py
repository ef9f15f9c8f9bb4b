"""thru-29: the main process's clustering, by part (wall and CPU), in a hooked `cleaner run`.

    flock /tmp/s29/rt.lock chrt -f 1 python3 bench/scratch/thru29_parts.py INPUT WORKERS ROUNDS name=CHECKOUT [...]

Each wrapped function's wall and CPU summed over its calls in the main process (a call inside
another counts in both); `map`: the executor's map and the main process's CPU meanwhile.
PARTS_WARM=1: the story tier's TermWeights.look_up run twice, the second time with wordfreq's
look-ups already made (`look cold` / `look warm`: what looking them up while the workers run
could take off the serial tail at most); PARTS_PROF=FILE also profiles the cold one. Session 29
(base 95cc9a4, 2 workers, load 4-6): look_up 0.056 cold, 0.010 warm.
"""
from __future__ import annotations
import os, sys, time, json, subprocess, tempfile, statistics, functools
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

def child() -> None:
    import runpy
    out = os.environ["PARTS_LOG"]
    main = os.getpid()
    acc: dict[str, list[float]] = {}
    import cleaner.exec.flow as flow
    import cleaner.exec.local as local
    import cleaner.dedup.cluster as cl
    import cleaner.stages.templates as tp
    import cleaner.store.output as output
    def wrap(obj, name, label):
        fn = getattr(obj, name)
        @functools.wraps(fn)
        def w(*a, **k):
            if os.getpid() != main:
                return fn(*a, **k)
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                r = acc.setdefault(label, [0.0, 0.0, 0])
                r[0] += time.perf_counter() - t; r[1] += time.process_time() - c; r[2] += 1
        setattr(obj, name, w)
    for obj, name in [(local.LocalExecutor, "near_candidates"), (cl, "cluster"), (cl.Clusterer, "add"),
                      (cl.TermWeights, "observe"), (cl.TermWeights, "look_up"), (cl, "may_link"), (cl, "load_line_words"),
                      (cl, "doc_terms"), (cl, "link_stories"), (cl, "story_records"), (cl, "settle"),
                      (tp.Templates, "decide"), (flow, "make_ids_unique"), (flow, "release_free_memory"),
                      (output, "write_outputs"), (cl, "_merge_stories"), (cl, "preference_key"),
                      (flow, "share_strings"), (tp.Templates, "observe_keys")]:
        wrap(obj, name, f"{obj.__name__ if hasattr(obj,'__name__') else obj}.{name}")
    if os.environ.get("PARTS_WARM"):
        import cleaner.dedup.term_weights as tw
        real_look = tw.TermWeights.look_up
        def look(self, docs):
            docs = list(docs)
            t, c = time.perf_counter(), time.process_time()
            if os.environ.get("PARTS_PROF"):
                import cProfile, pstats
                pr = cProfile.Profile(); pr.enable(); real_look(self, docs); pr.disable()
                pstats.Stats(pr, stream=open(os.environ["PARTS_PROF"], "w")).sort_stats("tottime").print_stats(25)
            else:
                real_look(self, docs)
            acc["look cold"] = [time.perf_counter() - t, time.process_time() - c, 1]
            self._zipf, self._numbers = {}, {}
            t, c = time.perf_counter(), time.process_time()
            real_look(self, docs)
            acc["look warm"] = [time.perf_counter() - t, time.process_time() - c, 1]
            return self
        tw.TermWeights.look_up = look
    real_map = local.LocalExecutor.map
    def timed_map(self, *a, **k):
        t, c = time.perf_counter(), time.process_time()
        yield from real_map(self, *a, **k)
        acc["map"] = [time.perf_counter() - t, time.process_time() - c, 1]
    local.LocalExecutor.map = timed_map
    import atexit
    atexit.register(lambda: open(out, "w").write(json.dumps(acc)))
    sys.argv = ["cleaner"] + sys.argv[2:]
    runpy.run_module("cleaner", run_name="__main__", alter_sys=True)

def parent() -> None:
    import serial18i_timeline as tl
    data, workers, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    checkouts = [a.split("=", 1) for a in sys.argv[4:]]
    got: dict[str, dict[str, list[tuple[float, float]]]] = {n: {} for n, _ in checkouts}
    for r in range(rounds):
        for name, co in (checkouts if r % 2 == 0 else checkouts[::-1]):
            folder = tempfile.mkdtemp(prefix="parts-")
            log = os.path.join(folder, "log")
            env = dict(os.environ, PYTHONPATH=co, PARTS_LOG=log, **tl._own_env(co))
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "run", data, "--out",
                            os.path.join(folder, "out"), "-q", "--workers", workers], env=env, check=True)
            wall = time.perf_counter() - t0
            acc = json.load(open(log))
            subprocess.run(["rm", "-rf", folder])
            acc["TOTAL"] = [wall, 0, 1]; acc["load"] = [load, 0, 1]
            for k, v in acc.items():
                got[name].setdefault(k, []).append((v[0], v[1]))
            print(f"round {r} {name} load {load:.2f} wall {wall:.3f} cluster {acc['cleaner.dedup.cluster.cluster'][0]:.3f}", flush=True)
    for name, _ in checkouts:
        print(f"== {name}: median wall / cpu [min-max wall]")
        for k, v in sorted(got[name].items()):
            w = [a for a, _ in v]; c = [b for _, b in v]
            print(f"  {k:45s} {statistics.median(w):7.3f} / {statistics.median(c):7.3f}  [{min(w):.3f}-{max(w):.3f}]")

if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child()
    else:
        parent()
