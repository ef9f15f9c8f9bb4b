"""thru-29 (#18 point 3): where the two cores go during a `cleaner run`'s per-document phase.

    flock /tmp/s29/rt.lock chrt -f 1 python3 bench/scratch/thru29_busy.py INPUT ROUNDS WORKERS name=CHECKOUT ...

Runs serial18i_timeline's `cleaner run INPUT --workers N` (each checkout its own cache folder
and bytecode), hooked: each pool worker logs every batch it runs (start and end on
CLOCK_MONOTONIC, its CPU), the main process the pool's start (forked) and its last result (the
pool's terminate, which follows it at once). Per run, per worker: `ramp` (pool started -> its first batch), `busy` (wall inside
batches) and `cpu` (CPU inside them: busy - cpu is time the worker was runnable but not running,
or waiting on a page), `between` (wall between its batches: pickling and sending a result,
waiting for the next task; `get`/`put`: the pool's queue calls), `tail` (its last batch's end -> the map's end); and the phase's
`idle core-s`: 2 x (map end - pool start) less every process's CPU meanwhile (the workers'
in and out of batches, read from /proc at the pool's terminate, and the main process's). Medians
over the runs and the workers.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serial18i_timeline as tl  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def child() -> None:
    import functools
    import runpy

    import multiprocessing.pool as mpool

    import cleaner.exec.local as local

    log = os.open(os.environ["T29_LOG"], os.O_WRONLY | os.O_APPEND)
    main = os.getpid()

    def ev(*fields: object) -> None:
        os.write(log, (" ".join(map(str, (os.getpid(), f"{time.perf_counter():.6f}", f"{time.process_time():.6f}",
                                         *fields))) + "\n").encode())

    real_call = local._Worker.__call__

    def call(self, docs):  # type: ignore[no-untyped-def]
        t, c = time.perf_counter(), time.process_time()
        try:
            return real_call(self, docs)
        finally:
            os.write(log, f"{os.getpid()} batch {t:.6f} {time.perf_counter():.6f} {time.process_time() - c:.6f} "
                          f"{len(docs)}\n".encode())
    local._Worker.__call__ = call  # type: ignore[method-assign]

    import multiprocessing.queues as mq
    spent = {"get": [0.0, 0.0], "put": [0.0, 0.0]}

    def queue_timed(name: str) -> None:
        real = getattr(mq.SimpleQueue, name)

        def timed(self, *a, **k):  # type: ignore[no-untyped-def]
            if os.getpid() == main:
                return real(self, *a, **k)
            t, c = time.perf_counter(), time.process_time()
            try:
                return real(self, *a, **k)
            finally:
                spent[name][0] += time.perf_counter() - t
                spent[name][1] += time.process_time() - c
                os.write(log, f"{os.getpid()} queue {spent['get'][0]:.6f} {spent['get'][1]:.6f} "
                              f"{spent['put'][0]:.6f} {spent['put'][1]:.6f}\n".encode())
        setattr(mq.SimpleQueue, name, timed)
    queue_timed("get")
    queue_timed("put")

    real_init = mpool.Pool.__init__

    @functools.wraps(real_init)
    def init(self, *a, **k):  # type: ignore[no-untyped-def]
        real_init(self, *a, **k)
        ev("forked")
    mpool.Pool.__init__ = init  # type: ignore[method-assign]

    real_terminate = mpool.Pool.terminate

    def terminate(self):  # type: ignore[no-untyped-def]
        ev("map_end")  # end_pool, right after the map's last result
        import threading
        for thread in threading.enumerate():  # the main process's threads' CPU so far, by job
            target = getattr(thread, "_target", None)
            job = getattr(target, "__name__", "main" if thread is threading.main_thread() else thread.name)
            try:
                fields = open(f"/proc/self/task/{thread.native_id}/stat").read().rsplit(")", 1)[1].split()
                ev("thread_cpu", job, (int(fields[11]) + int(fields[12])) / TICK)
            except OSError:
                pass
        for p in list(self._pool):
            try:
                fields = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
                ev("worker_cpu", p.pid, (int(fields[11]) + int(fields[12])) / TICK)
            except OSError:
                pass
        return real_terminate(self)
    mpool.Pool.terminate = terminate  # type: ignore[method-assign]

    sys.argv = ["cleaner"] + sys.argv[2:]
    runpy.run_module("cleaner", run_name="__main__", alter_sys=True)


def one_run(checkout: str, data: str, workers: str) -> dict[str, list[float]]:
    folder = tempfile.mkdtemp(prefix="t29-")
    logpath = os.path.join(folder, "log")
    open(logpath, "w").close()
    env = dict(os.environ, PYTHONPATH=checkout, T29_LOG=logpath, **tl._own_env(checkout))
    subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "run", data, "--out",
                    os.path.join(folder, "out"), "-q", "--workers", workers], env=env, check=True)
    rows = [line.split() for line in open(logpath).read().splitlines()]
    subprocess.run(["rm", "-rf", folder])
    at: dict[str, tuple[float, float]] = {}
    worker_cpu: dict[str, float] = {}
    batches: dict[str, list[tuple[float, float, float]]] = {}
    queues: dict[str, list[float]] = {}
    threads: dict[str, float] = {}
    for row in rows:
        if row[1] == "queue":
            queues[row[0]] = [float(x) for x in row[2:6]]  # the last line: the totals
        elif row[1] == "batch":
            batches.setdefault(row[0], []).append((float(row[2]), float(row[3]), float(row[4])))
        elif row[3] == "worker_cpu":
            worker_cpu[row[4]] = float(row[5])
        elif row[3] == "thread_cpu":
            threads[row[4]] = float(row[5])
        else:
            at[row[3]] = (float(row[1]), float(row[2]))
    forked, end = at["forked"][0], at["map_end"][0]
    out: dict[str, list[float]] = {"phase": [end - forked], "main cpu": [at["map_end"][1] - at["forked"][1]]}
    for job, cpu in threads.items():  # from the process's start: the main thread's includes imports and setup
        out[f"thread {job}"] = [cpu]
    total = out["main cpu"][0]
    for pid, got in batches.items():
        got.sort()
        busy = sum(b - a for a, b, _ in got)
        cpu = sum(c for _, _, c in got)
        for key, value in (("ramp", got[0][0] - forked), ("busy", busy), ("cpu in batches", cpu),
                           ("busy - cpu", busy - cpu), ("between", got[-1][1] - got[0][0] - busy),
                           ("tail", end - got[-1][1]), ("batches", len(got)),
                           ("worker cpu", worker_cpu.get(pid, float("nan"))),
                           ("get wall", queues.get(pid, [float("nan")] * 4)[0]),
                           ("get cpu", queues.get(pid, [float("nan")] * 4)[1]),
                           ("put wall", queues.get(pid, [float("nan")] * 4)[2]),
                           ("put cpu", queues.get(pid, [float("nan")] * 4)[3])):
            out.setdefault(key, []).append(value)
        total += worker_cpu.get(pid, cpu)
    out["idle core-s"] = [int(workers) * (end - forked) - total] if int(workers) <= (os.cpu_count() or 1) else []
    return out


def main() -> None:
    data, rounds, workers = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    checkouts = [arg.split("=", 1) for arg in sys.argv[4:]]
    got: dict[str, dict[str, list[float]]] = {name: {} for name, _ in checkouts}
    for r in range(rounds):
        for name, checkout in (checkouts if r % 2 == 0 else checkouts[::-1]):
            load = os.getloadavg()[0]
            run = one_run(checkout, data, workers)
            for key, values in run.items():
                got[name].setdefault(key, []).extend(values)
            got[name].setdefault("load", []).append(load)
            print(f"round {r} {name}: load {load:.2f} " + " ".join(
                f"{k} {'/'.join(f'{v:.3f}' for v in vs)}" for k, vs in run.items()), flush=True)
    print("medians [min-max] (per worker where per worker), seconds:")
    for name, _ in checkouts:
        print(f"  {name}: " + "  ".join(f"{k} {statistics.median(v):.3f} [{min(v):.3f}-{max(v):.3f}]"
                                        for k, v in got[name].items() if v))


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child()
    else:
        main()
