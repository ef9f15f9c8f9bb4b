"""par-18g's timeline of `cleaner run`: when each process starts, works, idles and ends
(wall clock, time.perf_counter: CLOCK_MONOTONIC, the same in every process on Linux),
with each process's CPU at each event:

    cd CHECKOUT && PYTHONPATH=$PWD python3 PATH/TO/timeline18g.py input.jsonl WORKERS [--events]

Prints the main process's phases (wall and CPU), each worker's start, busy time, idle
gaps and end, relative to the interpreter's start (from /proc/self/stat).
"""

import functools
import os
import shutil
import sys
import tempfile
import time

LOG = tempfile.mktemp(prefix="tl18g-")
_fd = os.open(LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def ev(name: str) -> None:
    os.write(_fd, f"{os.getpid()} {time.perf_counter():.6f} {time.process_time():.6f} {name}\n".encode())


def _boot() -> float:
    """This process's start, on perf_counter's clock (CLOCK_MONOTONIC; /proc's starttime is
    CLOCK_BOOTTIME-based, the same unless the machine slept)."""
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    return start_ticks / os.sysconf("SC_CLK_TCK")


BOOT = _boot()
ev("script")

import cleaner.cli as cli  # noqa: E402
import cleaner.dedup.cluster  # noqa: E402,F401
import cleaner.exec.flow as flow  # noqa: E402
import cleaner.exec.local as local  # noqa: E402
import cleaner.stages.build as build  # noqa: E402
import cleaner.store.output as output  # noqa: E402

ev("imports")


def around(mod: object, name: str, enter: str | None, leave: str) -> None:
    """Log `enter` (the first argument's length in place of {n}) and `leave` around mod.name."""
    fn = getattr(mod, name)

    @functools.wraps(fn)
    def logged(*a: object, **k: object) -> object:
        if enter:
            ev(enter.format(n=len(a[0]) if a and hasattr(a[0], "__len__") else 0))
        try:
            return fn(*a, **k)
        finally:
            ev(leave)

    setattr(mod, name, logged)


for mod, name in [(build, "build_stages"), (flow, "process_documents"), (flow, "cluster"),
                  (flow, "make_ids_unique"), (output, "write_outputs")]:
    around(mod, name, f"> {name}", f"< {name}")
around(local, "process_finished", "> batch {n}", "< batch")  # a worker's batch: stages, then storing
around(local, "process_batch", None, "stages done")
around(local, "_init_worker", "> init", "< init")
import multiprocessing.queues as mpq  # noqa: E402

_put, _get = mpq.SimpleQueue.put, mpq.SimpleQueue.get


def put(self, obj):  # type: ignore[no-untyped-def]
    if os.getpid() == MAIN:
        return _put(self, obj)
    import fcntl, termios, array as _a
    buf = _a.array("i", [0])
    fcntl.ioctl(self._writer.fileno(), termios.FIONREAD, buf)
    queued = buf[0]
    t = time.perf_counter()
    from multiprocessing.reduction import ForkingPickler
    data = ForkingPickler.dumps(obj)
    t1 = time.perf_counter()
    self._wlock.acquire()
    t2 = time.perf_counter()
    try:
        self._writer.send_bytes(data)
    finally:
        self._wlock.release()
    t3 = time.perf_counter()
    import fcntl
    ev(f"put {t3 - t:.6f} {t1 - t:.6f} {t2 - t1:.6f} {t3 - t2:.6f} {len(data)} {queued}")


def get(self):  # type: ignore[no-untyped-def]
    if os.getpid() == MAIN:
        return _get(self)
    t = time.perf_counter()
    try:
        return _get(self)
    finally:
        ev(f"get {time.perf_counter() - t:.6f}")


MAIN = os.getpid()
mpq.SimpleQueue.put, mpq.SimpleQueue.get = put, get
real_map = local.LocalExecutor.map


def timed_map(self, *a, **k):  # type: ignore[no-untyped-def]
    ev("> map")
    results = iter(real_map(self, *a, **k))
    for item in results:  # the first result: setup, the pool's start, one batch
        ev("map first result")
        yield item
        break
    yield from results
    ev("< map")


local.LocalExecutor.map = timed_map  # type: ignore[method-assign]


def run_once(folder: str) -> None:
    args = ["run", sys.argv[1], "--out", os.path.join(folder, "out"), "-q", "--workers", sys.argv[2]]
    try:
        cli.main(args)
    except SystemExit:
        pass
    finally:
        ev("end")
        shutil.rmtree(folder, ignore_errors=True)


run_once(tempfile.mkdtemp())
os.close(_fd)

rows = [line.split(" ", 3) for line in open(LOG).read().splitlines()]
os.unlink(LOG)
me = os.getpid()
first = next(float(r[1]) for r in rows if int(r[0]) == me)
# The start is in CLOCK_BOOTTIME seconds, perf_counter in CLOCK_MONOTONIC: one offset between them.
t0 = BOOT - (time.clock_gettime(time.CLOCK_BOOTTIME) - time.perf_counter())
print(f"interpreter start -> script: {first - t0:.3f} s wall")
if "--events" in sys.argv:
    for pid, t, cpu, name in rows:
        print(f"{'main' if int(pid) == me else pid:>8} {float(t) - t0:7.3f} cpu {float(cpu):6.3f} {name}")
main = [(float(t) - t0, float(c), n) for p, t, c, n in rows if int(p) == me]
print("main process:")
for (t1, c1, n1), (t2, c2, n2) in zip(main, main[1:]):
    print(f"  {t1:6.3f} -> {t2:6.3f}  wall {t2 - t1:6.3f}  cpu {c2 - c1:6.3f}  {n1} .. {n2}")
for pid in sorted({p for p, _, _, n in rows if "batch" in n}, key=int):
    puts = sum(float(n.split()[1]) for p, t, c, n in rows if p == pid and n.startswith("put "))
    gets = sum(float(n.split()[1]) for p, t, c, n in rows if p == pid and n.startswith("get "))
    pp = [list(map(float, n.split()[1:])) for p, t, c, n in rows if p == pid and n.startswith("put ")]
    if pp:  # a worker's (the 1-worker loop sends nothing)
        print("   put: pickle %.3f lock %.3f send %.3f, bytes/put %.0f" % tuple(sum(x[i] for x in pp) / (len(pp) if i == 4 else 1) for i in (1, 2, 3, 4)))
        print(f"worker {pid}: blocked sending results {puts:.3f} s, getting tasks {gets:.3f} s (wall)")
    evs = [(float(t) - t0, float(c), n) for p, t, c, n in rows if p == pid and ("batch" in n or n in ("stages done", "> init", "< init"))]
    stages = sum(b[1] - a[1] for a, b in zip(evs, evs[1:]) if a[2].startswith("> batch") and b[2] == "stages done")
    packs = sum(b[1] - a[1] for a, b in zip(evs, evs[1:]) if a[2] == "stages done")
    other = evs[-1][1] - evs[0][1] - stages - packs
    busy = sum(b[0] - a[0] for a, b in zip(evs, evs[1:]) if a[2] != "< batch")
    cpu = sum(b[1] - a[1] for a, b in zip(evs, evs[1:]) if a[2] != "< batch")
    idle = [(a[0], b[0] - a[0]) for a, b in zip(evs, evs[1:]) if a[2] == "< batch" and b[2].startswith("> batch")]
    init_at = [e[0] for e in evs if e[2] == "> init"]
    batches = sum(1 for e in evs if e[2].startswith("> batch"))
    first_batch = next(e[0] for e in evs if e[2].startswith("> batch"))
    print(f"worker {pid}: init {init_at[0] if init_at else float('nan'):.3f}, first batch {first_batch:.3f}, "
          f"last end {evs[-1][0]:.3f}, {batches} batches, busy {busy:.3f} wall / {cpu:.3f} cpu, "
          f"cpu: stages {stages:.3f} finish {packs:.3f} other {other:.3f}; idle between batches {sum(i for _, i in idle):.3f} (max {max([i for _, i in idle] or [0]):.3f})")
