"""serial-18i: where the main process's wall goes in `cleaner run`, from the parent's spawn to
the child's exit (both on CLOCK_MONOTONIC), with the main process's CPU at each event.

    python3 bench/scratch/serial18i_timeline.py INPUT WORKERS ROUNDS name=CHECKOUT [name=CHECKOUT ...]

Runs `python3 HOOK run INPUT --out TMP -q --workers N` with PYTHONPATH=CHECKOUT, where HOOK
(this file, as --child) patches a few functions to log events, then runs cleaner's __main__;
the checkouts alternate (ABBA...). Prints each run's wall, CPU (main process and workers)
and serial wall (the run less the workers' phase: from the pool's start to its last
result), then each phase's median [range] per checkout (S18I_VERBOSE=1: every event).

serial-18k changed three things: (1) clustering is timed from the flow's `make_ids_unique`
to its `release_free_memory` (the calls just before and after it), so a checkout whose
flow imports `cluster` lazily is timed as one that does not; (2) each checkout gets its own
cache folder (CLEANER_CACHE_DIR=/tmp/s18k/cache-HASH, a copy of ~/.cache/cleaner made once):
two checkouts in turn would otherwise overwrite each other's setup tables
(core/table_cache.py stamps them with the deriving module's path) and both derive them
every run; (3) each checkout's bytecode is compiled once into /tmp/s18k/pyc-HASH
(PYTHONPYCACHEPREFIX), as the throughput bench and pip install do, then filled by one
untimed run with every module a run imports (under a prefix Python reads no __pycache__, so
numpy and the standard library would be compiled every run): this machine sets
PYTHONDONTWRITEBYTECODE, so otherwise every run compiles cleaner again (S18K_SOURCE=1: as
the checkout is, the 18i behaviour).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time


def child() -> None:
    import functools
    import runpy

    log = os.open(os.environ["S18I_LOG"], os.O_WRONLY | os.O_APPEND)

    def ev(name: str) -> None:
        os.write(log, f"{os.getpid()} {time.perf_counter():.6f} {time.process_time():.6f} {name}\n".encode())

    ev("hook")
    import cleaner.cli as cli
    import cleaner.exec.flow as flow
    import cleaner.exec.local as local
    import cleaner.stages.build as build
    import cleaner.store.output as output
    try:  # run_fingerprint's module since session 23 (the checkout measured may be older)
        import cleaner.core.provenance as provenance
    except ImportError:
        provenance = output
    import multiprocessing.pool as mpool
    ev("imports")
    main = os.getpid()

    def around(obj: object, name: str, label: str) -> None:
        fn = getattr(obj, name)

        @functools.wraps(fn)
        def logged(*a: object, **k: object) -> object:
            if os.getpid() != main:
                return fn(*a, **k)
            ev("> " + label)
            try:
                return fn(*a, **k)
            finally:
                ev("< " + label)
        setattr(obj, name, logged)

    for obj, name in [(build, "build_stages"), (provenance, "run_fingerprint"), (flow, "make_ids_unique"),
                      (flow, "release_free_memory"),
                      (output, "write_outputs"), (flow.RunResult, "close"), (cli, "_finish"),
                      (mpool.Pool, "__init__"), (mpool.Pool, "terminate"), (output, "build_manifest")]:
        around(obj, name, name)
    import cleaner.inspect.report as report
    real_files = report.report_files

    def files(*a: object, **k: object):  # type: ignore[no-untyped-def]
        ev("> report_files")
        yield from real_files(*a, **k)
        ev("< report_files")
    output.report_files = files
    real_map = local.LocalExecutor.map

    def timed_map(self, *a, **k):  # type: ignore[no-untyped-def]
        ev("> map")
        yield from real_map(self, *a, **k)
        ev("< map")
    local.LocalExecutor.map = timed_map  # type: ignore[method-assign]
    import atexit
    atexit.register(ev, "atexit")  # registered first: runs last
    sys.argv = ["cleaner"] + sys.argv[2:]
    try:
        runpy.run_module("cleaner", run_name="__main__", alter_sys=True)
    finally:
        ev("main returned")


def _own_env(checkout: str) -> dict[str, str]:
    import hashlib
    import shutil

    name = hashlib.sha1(os.path.realpath(checkout).encode()).hexdigest()[:10]
    cache = f"/tmp/s18k/cache-{name}"
    if not os.path.isdir(cache):
        shutil.copytree(os.path.expanduser("~/.cache/cleaner"), cache)
    env = {"CLEANER_CACHE_DIR": cache}
    if not os.environ.get("S18K_SOURCE"):
        pyc = f"/tmp/s18k/pyc-{name}"
        if not os.path.isdir(pyc):
            warm = dict(os.environ, PYTHONPYCACHEPREFIX=pyc, PYTHONPATH=checkout, CLEANER_CACHE_DIR=cache)
            subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(checkout, "cleaner")], check=True,
                           env=warm)
            # Under a prefix Python looks for no other bytecode (numpy, the standard library):
            # one run with writing allowed fills it (throughput_bench.use_compiled_pyc).
            warm.pop("PYTHONDONTWRITEBYTECODE", None)
            with tempfile.TemporaryDirectory() as tmp:
                small = os.path.join(tmp, "in.jsonl")
                with open(sys.argv[1], encoding="utf-8") as src, open(small, "w", encoding="utf-8") as dst:
                    dst.writelines(line for _, line in zip(range(40), src))
                subprocess.run([sys.executable, "-m", "cleaner", "run", small, "--out", os.path.join(tmp, "o"), "-q",
                                "--workers", "2"], check=True, env=warm, capture_output=True)
        env["PYTHONPYCACHEPREFIX"] = pyc
    return env


def one_run(checkout: str, data: str, workers: str) -> tuple[list[tuple[float, float, str]], float, float]:
    """One run: the main process's events (seconds from the spawn, its CPU, name), the
    whole run's wall and CPU (user + system of the main process and its workers)."""
    import resource

    folder = tempfile.mkdtemp(prefix="s18i-")
    logpath = os.path.join(folder, "log")
    open(logpath, "w").close()
    env = dict(os.environ, PYTHONPATH=checkout, S18I_LOG=logpath, **_own_env(checkout))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "run", data, "--out",
                    os.path.join(folder, "out"), "-q", "--workers", workers], env=env, check=True)
    t_end = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rows = [line.split(" ", 3) for line in open(logpath).read().splitlines()]
    subprocess.run(["rm", "-rf", folder])
    pid = rows[0][0]
    events = [(float(t) - t0, float(c), n) for p, t, c, n in rows if p == pid] + [(t_end - t0, float("nan"), "exit")]
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return events, t_end - t0, cpu


# The serial phases, summed from the events (name: (from event, to event)).
PHASES = {
    "start+imports": ("spawn", "imports"),
    "build_stages": ("imports", "< build_stages"),
    "to map": ("< build_stages", "> map"),
    "setup+fork": ("> map", "< __init__"),
    "workers' phase": ("< __init__", "< map"),
    "map to cluster": ("< map", "< make_ids_unique"),
    "cluster": ("< make_ids_unique", "> release_free_memory"),
    "write": ("> release_free_memory", "< write_outputs"),
    "after write": ("< write_outputs", "main returned"),
    "exit": ("main returned", "exit"),
}


def parent() -> None:
    data, workers, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    checkouts = [arg.split("=", 1) for arg in sys.argv[4:]]
    verbose = os.environ.get("S18I_VERBOSE")
    got: dict[str, dict[str, list[float]]] = {name: {} for name, _ in checkouts}
    for r in range(rounds):
        for name, checkout in (checkouts if r % 2 == 0 else checkouts[::-1]):
            load = os.getloadavg()[0]
            events, wall, cpu = one_run(checkout, data, workers)
            at = {n: (t, c) for t, c, n in events}
            at["spawn"] = (0.0, 0.0)
            # A process ended by os._exit (cli.command, serial-30) never returns from its
            # __main__: its end is its last atexit handler's, this hook's "atexit".
            at.setdefault("main returned", at["atexit"])
            row = got[name]
            for phase, (a, b) in PHASES.items():
                row.setdefault(phase, []).append(at[b][0] - at[a][0])
                if b != "exit":
                    row.setdefault(phase + " cpu", []).append(at[b][1] - at[a][1])
            serial = wall - (at["< map"][0] - at["< __init__"][0])
            for key, value in (("serial wall", serial), ("TOTAL wall", wall), ("TOTAL cpu", cpu), ("load", load)):
                row.setdefault(key, []).append(value)
            print(f"round {r} {name:8s} load {load:5.2f} wall {wall:6.3f} cpu {cpu:6.3f} serial {serial:6.3f} "
                  f"workers' phase {at['< map'][0] - at['< __init__'][0]:6.3f}", flush=True)
            if verbose:
                prev = (0.0, 0.0, "spawn")
                for t, c, n in events:
                    print(f"  {prev[0]:6.3f} -> {t:6.3f}  wall {t - prev[0]:6.3f}  cpu {c - prev[1]:6.3f}  {prev[2]} .. {n}")
                    prev = (t, c if c == c else prev[1], n)
    print("medians [min-max], seconds:")
    keys = list(next(iter(got.values())))
    print(f"  {'phase':22s}" + "".join(f"{name:>26s}" for name, _ in checkouts))
    for key in keys:
        cells = []
        for name, _ in checkouts:
            v = got[name][key]
            cells.append(f"{statistics.median(v):8.3f} [{min(v):.3f}-{max(v):.3f}]")
        print(f"  {key:22s}" + "".join(f"{c:>26s}" for c in cells))


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child()
    else:
        parent()
