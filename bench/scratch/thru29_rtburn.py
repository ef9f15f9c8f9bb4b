"""thru-29: how much of each core a SCHED_FIFO process gets here (Linux's RT throttling:
/proc/sys/kernel/sched_rt_runtime_us of sched_rt_period_us, 950,000 of 1,000,000 by default).

    flock /tmp/s29/rt.lock chrt -f 1 python3 bench/scratch/thru29_rtburn.py PROCESSES SECONDS

Forks PROCESSES busy loops of SECONDS wall each and prints each one's CPU / wall. Session 29,
12:08 UTC, load 9.4: 1 process 0.966; 2 processes 0.966 / 0.948 (without chrt, 0.22 each).
So under `chrt -f 1` a 2-worker run's phase loses ~4-5% of both cores to the other tasks of
the machine: that, not pipe waits, is most of the "idle" that thru29_busy.py finds there.
"""

from __future__ import annotations

import os
import sys
import time


def main() -> None:
    count, seconds = int(sys.argv[1]), float(sys.argv[2])
    read, write = os.pipe()
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            start, cpu = time.perf_counter(), time.process_time()
            while time.perf_counter() - start < seconds:
                pass
            os.write(write, f"{(time.process_time() - cpu) / (time.perf_counter() - start):.4f}\n".encode())
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    os.close(write)
    print(f"{count} processes, CPU / wall each:", " ".join(os.read(read, 4096).decode().split()))


if __name__ == "__main__":
    main()
