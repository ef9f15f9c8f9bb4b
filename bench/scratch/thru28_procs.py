"""thru-28 (#18 point 3): whole `cleaner run` processes, checkouts and worker counts alternated,
each run's CPU split by process (the main one and each pool worker, read from /proc at the
pool's terminate), with their minor faults, and the main process's own share of the map.

    flock /tmp/s28/rt.lock python3 bench/scratch/thru28_procs.py INPUT ROUNDS 1,2 name=CHECKOUT ...

Each run goes under `chrt -f 1` (SCHED_FIFO: near-quiet CPU on a loaded machine; hold a lock
so that two helpers' real-time runs do not share the cores). A checkout gets its own cache
folder and bytecode (serial18i_timeline._own_env). Prints each run, then per checkout and
worker count the medians [range]; per checkout, the paired (same round) CPU difference of
each count against the first and the wall and phase ratios. `phase`: LocalExecutor.map's
wall; `here`: documents the main process ran itself and its thread's CPU for them (a
checkout where it runs batches); `wait`: the main process's wall waiting for a worker.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serial18i_timeline as tl  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> dict[str, float]:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return {"utime": int(fields[11]) / TICK, "stime": int(fields[12]) / TICK, "minflt": int(fields[7])}


def child() -> None:
    import atexit
    import multiprocessing.pool as mpool
    import resource
    import runpy

    import cleaner.exec.local as local

    out: dict = {"workers": [], "here_docs": 0, "here_cpu": 0.0, "wait": 0.0, "phase": 0.0}
    main = os.getpid()
    terminate = mpool.Pool.terminate

    def seen_terminate(self):  # type: ignore[no-untyped-def]
        for proc in self._pool:
            try:
                out["workers"].append(_stat(proc.pid))
            except OSError:
                pass
        return terminate(self)
    mpool.Pool.terminate = seen_terminate  # type: ignore[method-assign]
    finished = local.process_finished

    def here(docs, *a, **k):  # type: ignore[no-untyped-def]
        if os.getpid() != main:
            return finished(docs, *a, **k)
        start = time.thread_time()
        try:
            return finished(docs, *a, **k)
        finally:
            out["here_cpu"] += time.thread_time() - start
            out["here_docs"] += len(docs)
    local.process_finished = here
    live_wait = local._live_wait

    def waited(pool, wait):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return live_wait(pool, wait)
        finally:
            out["wait"] += time.perf_counter() - start
    local._live_wait = waited
    real_map = local.LocalExecutor.map

    def timed_map(self, *a, **k):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        yield from real_map(self, *a, **k)
        out["phase"] = time.perf_counter() - start
    local.LocalExecutor.map = timed_map  # type: ignore[method-assign]

    def done() -> None:
        use = resource.getrusage(resource.RUSAGE_SELF)
        out["main"] = {"utime": use.ru_utime, "stime": use.ru_stime, "minflt": use.ru_minflt}
        with open(os.environ["T28_LOG"], "a") as fh:
            fh.write(json.dumps(out) + "\n")
    atexit.register(done)
    sys.argv = ["cleaner"] + sys.argv[2:]
    runpy.run_module("cleaner", run_name="__main__", alter_sys=True)


def one_run(checkout: str, data: str, workers: str) -> dict[str, float]:
    folder = tempfile.mkdtemp(prefix="thru28-")
    log = os.path.join(folder, "log")
    env = dict(os.environ, PYTHONPATH=checkout, T28_LOG=log, **tl._own_env(checkout))
    start = time.perf_counter()
    subprocess.run(["chrt", "-f", "1", sys.executable, os.path.abspath(__file__), "--child", "run", data,
                    "--out", os.path.join(folder, "out"), "-q", "--workers", workers], env=env, check=True)
    wall = time.perf_counter() - start
    got = json.loads(open(log).read().splitlines()[-1])
    subprocess.run(["rm", "-rf", folder])
    main, workers_ = got["main"], got["workers"]
    row = {"wall": wall, "cpu": 0.0, "main cpu": main["utime"] + main["stime"], "main stime": main["stime"],
           "main minflt k": main["minflt"] / 1e3,
           "workers cpu": sum(w["utime"] + w["stime"] for w in workers_),
           "workers stime": sum(w["stime"] for w in workers_),
           "workers minflt k": sum(w["minflt"] for w in workers_) / 1e3,
           "phase": got["phase"], "rest": wall - got["phase"], "here docs": got["here_docs"],
           "here cpu": got["here_cpu"], "wait": got["wait"]}
    row["cpu"] = row["main cpu"] + row["workers cpu"]
    return row


def parent() -> None:
    data, rounds, counts = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
    checkouts = [arg.split("=", 1) for arg in sys.argv[4:]]
    got: dict[tuple[str, str], dict[str, list[float]]] = {}
    for r in range(rounds):
        for name, checkout in (checkouts if r % 2 == 0 else checkouts[::-1]):
            for w in (counts if r % 2 == 0 else counts[::-1]):
                load = os.getloadavg()[0]
                row = one_run(checkout, data, w)
                row["load"] = load
                for key, value in row.items():
                    got.setdefault((name, w), {}).setdefault(key, []).append(value)
                print(f"r{r} {name} w{w} " + " ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)
    print("medians [min-max]")
    for (name, w), cols in sorted(got.items()):
        print(f"{name} w{w}: " + "  ".join(f"{k} {statistics.median(v):.3f} [{min(v):.3f}-{max(v):.3f}]"
                                           for k, v in cols.items()))
    for name, _ in checkouts:
        first = got[(name, counts[0])]
        for w in counts[1:]:
            other = got[(name, w)]
            cpu = [b - a for a, b in zip(first["cpu"], other["cpu"])]
            print(f"{name}: paired cpu w{w}-w{counts[0]} {statistics.median(cpu):+.3f} [{min(cpu):+.3f}..{max(cpu):+.3f}]",
                  *(f"paired {k} w{counts[0]}/w{w} {statistics.median(a / b for a, b in zip(first[k], other[k])):.3f}"
                    for k in ("wall", "phase")))


if __name__ == "__main__":
    child() if sys.argv[1] == "--child" else parent()
