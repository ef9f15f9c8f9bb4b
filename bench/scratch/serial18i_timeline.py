"""serial-18i: where the main process's wall goes in `cleaner run`, from the parent's spawn to
the child's exit (both on CLOCK_MONOTONIC), with the main process's CPU at each event.

    python3 bench/scratch/serial18i_timeline.py CHECKOUT INPUT WORKERS [ROUNDS]

Runs `python3 HOOK run INPUT --out TMP -q --workers N` with PYTHONPATH=CHECKOUT, where HOOK
(this file, as --child) patches a few functions to log events, then runs cleaner's __main__.
Prints each phase's wall (and the main process's CPU) for each round, then medians.
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

    for obj, name in [(build, "build_stages"), (output, "run_fingerprint"), (flow, "cluster"),
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
        results = iter(real_map(self, *a, **k))
        for item in results:
            ev("first result")
            yield item
            break
        yield from results
        ev("< map")
    local.LocalExecutor.map = timed_map  # type: ignore[method-assign]
    import atexit
    atexit.register(ev, "atexit")  # registered first: runs last
    sys.argv = ["cleaner"] + sys.argv[2:]
    try:
        runpy.run_module("cleaner", run_name="__main__", alter_sys=True)
    finally:
        ev("main returned")


def parent() -> None:
    checkout, data, workers = sys.argv[1], sys.argv[2], sys.argv[3]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    all_rows: dict[str, list[float]] = {}
    for r in range(rounds):
        folder = tempfile.mkdtemp(prefix="s18i-")
        logpath = os.path.join(folder, "log")
        open(logpath, "w").close()
        env = dict(os.environ, PYTHONPATH=checkout, S18I_LOG=logpath)
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "run", data, "--out",
                        os.path.join(folder, "out"), "-q", "--workers", workers], env=env, check=True)
        t_end = time.perf_counter()
        rows = [line.split(" ", 3) for line in open(logpath).read().splitlines()]
        subprocess.run(["rm", "-rf", folder])
        pid = rows[0][0]
        main = [(float(t) - t0, float(c), n) for p, t, c, n in rows if p == pid] + [(t_end - t0, float("nan"), "exit")]
        print(f"round {r} ({checkout}), load {load:.2f}: total {t_end - t0:.3f} s")
        prev = (0.0, 0.0, "spawn")
        for t, c, n in main:
            name = f"{prev[2]} .. {n}"
            print(f"  {prev[0]:6.3f} -> {t:6.3f}  wall {t - prev[0]:6.3f}  cpu {c - prev[1]:6.3f}  {name}")
            all_rows.setdefault(name, []).append(t - prev[0])
            prev = (t, c if c == c else prev[1], n)
        all_rows.setdefault("TOTAL", []).append(t_end - t0)
    if rounds > 1:
        print("medians [min-max] over rounds:")
        for name, v in all_rows.items():
            if len(v) == rounds:
                print(f"  {statistics.median(v):6.3f} [{min(v):.3f}-{max(v):.3f}]  {name}")


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child()
    else:
        parent()
