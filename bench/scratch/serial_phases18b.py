"""serial-18b's phase split of `cleaner run`'s main process, in CPU seconds
(time.process_time at the entry and exit of a few functions), and the workers' CPU:

    cd CHECKOUT && PYTHONPATH=. python3 PATH/TO/serial_phases18b.py input.jsonl 2

imports | build_stages | map() to its first result (stages' setup: langdetect's profiles,
the word-character table; the pool's start) | the rest of map (receiving) | clustering |
writing the outputs. The input as serial_ab18b.py writes it (or any JSONL).
"""

import functools
import resource
import shutil
import sys
import tempfile
import time

T0 = time.process_time()
marks = [("start", T0)]


def mark(name: str) -> None:
    marks.append((name, time.process_time()))


import cleaner.cli as cli  # noqa: E402
import cleaner.dedup.cluster  # noqa: E402,F401
import cleaner.exec.flow as flow  # noqa: E402
import cleaner.exec.local as local  # noqa: E402
import cleaner.stages.build as build  # noqa: E402
import cleaner.store.output as output  # noqa: E402

mark("imports")


def wrap(mod: object, name: str) -> None:
    fn = getattr(mod, name)

    @functools.wraps(fn)
    def timed(*a: object, **k: object) -> object:
        mark(f"before {name}")
        try:
            return fn(*a, **k)
        finally:
            mark(name)

    setattr(mod, name, timed)


wrap(build, "build_stages")
wrap(flow, "cluster")
wrap(output, "write_outputs")
real_map = local.LocalExecutor.map


def timed_map(self, *a, **k):  # type: ignore[no-untyped-def]
    mark("before map")
    first = True
    for item in real_map(self, *a, **k):
        if first:
            mark("map: setup and first result")
            first = False
        yield item
    mark("map: the rest (receiving)")


local.LocalExecutor.map = timed_map  # type: ignore[method-assign]
out = tempfile.mkdtemp()
try:
    cli.main(["run", sys.argv[1], "--out", out + "/out", "-q", "--workers", sys.argv[2]])
except SystemExit:
    pass
mark("end")
shutil.rmtree(out, ignore_errors=True)
for (_, before), (name, at) in zip(marks, marks[1:]):
    print(f"{name:32s} {at - before:6.3f}")
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{'main process, all':32s} {marks[-1][1] - T0:6.3f}\n{'workers':32s} {kids.ru_utime + kids.ru_stime:6.3f}")
