"""thru-21 (#18): where a whole 1-worker `cleaner run`'s CPU goes, function by function,
checkouts alternated.

    python3 bench/scratch/thru21_phases.py ROUNDS WORKERS name=CHECKOUT [name=CHECKOUT ...]

Runs `cleaner run IN --out TMP -q --workers N` (IN: $AB_IN, default /tmp/t18m/in.jsonl, the
references bench's 3,000 documents) under a hook (this file, --child) that wraps the run's
parts (imports, build_stages, the stages' batches, flow.pack and its pieces, the spool's
writes, clustering, each output file, fsync) and prints each one's CPU (process_time, a
nested call of the same part counted once) at exit. Each checkout gets its own bytecode and
table cache folders under /tmp/s21/thru (one untimed run first), ABBA order. Prints the
median [range] of each part per checkout, the whole process tree's CPU beside it. The hook
costs ~0.05 s; with 2+ workers only the main process's parts are seen.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

WORK = "/tmp/s21/thru"


def child() -> None:
    import atexit
    import functools
    import runpy

    start = time.process_time()
    spent: dict[str, float] = {}
    active: set[str] = set()

    def wrap(obj: object, name: str, label: str, gen: bool = False) -> None:
        fn = getattr(obj, name)

        def add(t0: float) -> None:
            spent[label] = spent.get(label, 0.0) + time.process_time() - t0

        @functools.wraps(fn)
        def each(*a: object, **k: object) -> object:
            it = fn(*a, **k)
            while True:
                t0 = time.process_time()
                try:
                    x = next(it)
                except StopIteration:
                    add(t0)
                    return
                add(t0)
                yield x

        @functools.wraps(fn)
        def once(*a: object, **k: object) -> object:
            if label in active:
                return fn(*a, **k)
            active.add(label)
            t0 = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                add(t0)
                active.discard(label)
        setattr(obj, name, each if gen else once)

    import cleaner.cli as cli
    import cleaner.core.document as document
    import cleaner.dedup.cluster as cluster
    import cleaner.exec.flow as flow
    import cleaner.exec.local as local
    import cleaner.stages.build as build
    import cleaner.stages.templates as templates
    import cleaner.store.output as output
    try:  # run_fingerprint's module since session 23 (the checkout measured may be older)
        import cleaner.core.provenance as provenance
    except ImportError:
        provenance = output
    import cleaner.store.spool as spool
    spent["A imports"] = time.process_time() - start
    wrap(build, "build_stages", "B build_stages")
    flow.build_stages = build.build_stages
    for obj, name, label in [
            (local, "process_batch", "C stages (process_batch)"), (flow, "pack", "D pack"),
            (flow.Templates, "line_keys", "D.1 templates.line_keys"), (templates, "_line_keys", "D.1.1 _line_keys"),
            (spool.Spool, "put", "D.2 spool.put"), (document.Document, "json_parts", "D.2.1 json_parts"),
            (spool, "text_apart", "D.2.2 text_apart"), (spool._Segment, "put", "D.2.3 segment.put"),
            (spool.Spool, "put_arrays", "D.3 spool.put_arrays"),
            # thru-22: a checkpoint's entry stores its arrays inside Spool.put (the segment's
            # put_arrays): counted here in either checkout
            (spool._Segment, "put_arrays", "D.4 segment.put_arrays"), (flow, "share_strings", "E share_strings"),
            (flow.Templates, "observe_keys", "E templates.observe_keys"), (flow.Templates, "decide", "E templates.decide"),
            (flow, "make_ids_unique", "F make_ids_unique"), (local.LocalExecutor, "near_candidates", "G0 near_candidates"),
            (cluster, "cluster", "G cluster"), (cluster, "_merge_stories", "G.1 _merge_stories"),
            (flow, "release_free_memory", "H release_free_memory"), (output, "write_outputs", "I write_outputs"),
            (output, "fsync_path", "I.4 fsync"), (provenance, "run_fingerprint", "J run_fingerprint"),
            (cli, "_setup", "K cli._setup"), (flow, "run_documents", "Z run_documents")]:
        wrap(obj, name, label)
    flow.cluster = cluster.cluster
    wrap(flow.RunResult, "document_lines", "I.1 document_lines", gen=True)
    wrap(flow.RunResult, "record_lines", "I.2 record_lines", gen=True)
    wrap(output, "report_files", "I.3 report_files", gen=True)

    def report() -> None:
        print(f"TOTAL process CPU {time.process_time():.3f}", file=sys.stderr)
        for label, seconds in sorted(spent.items()):
            print(f"  {label:28s} {seconds:7.3f}", file=sys.stderr)
    atexit.register(report)
    sys.argv = ["cleaner"] + sys.argv[2:]
    runpy.run_module("cleaner", run_name="__main__", alter_sys=True)


def parent() -> None:
    rounds, workers = int(sys.argv[1]), sys.argv[2]
    source = os.environ.get("AB_IN", "/tmp/t18m/in.jsonl")
    checkouts = [arg.split("=", 1) for arg in sys.argv[3:]]
    os.makedirs(WORK, exist_ok=True)

    def env(name: str, checkout: str) -> dict[str, str]:
        own = dict(os.environ, PYTHONPATH=checkout, PYTHONPYCACHEPREFIX=f"{WORK}/pyc-{name}",
                   CLEANER_CACHE_DIR=f"{WORK}/cache-{name}")
        own.pop("PYTHONDONTWRITEBYTECODE", None)
        return own

    for name, checkout in checkouts:  # its own table cache and bytecode; one untimed run
        if not os.path.isdir(f"{WORK}/cache-{name}"):
            shutil.copytree(os.path.expanduser("~/.cache/cleaner"), f"{WORK}/cache-{name}")
        with tempfile.TemporaryDirectory(dir=WORK) as tmp:
            subprocess.run([sys.executable, "-m", "cleaner", "run", source, "--out", f"{tmp}/o", "-q", "--workers",
                            workers], env=env(name, checkout), check=True)
    got: dict[str, dict[str, list[float]]] = {name: {} for name, _ in checkouts}
    for r in range(rounds):
        for name, checkout in (checkouts if r % 2 == 0 else checkouts[::-1]):
            load = os.getloadavg()[0]
            before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            with tempfile.TemporaryDirectory(dir=WORK) as tmp:
                run = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "run", source, "--out",
                                      f"{tmp}/o", "-q", "--workers", workers], env=env(name, checkout),
                                     capture_output=True, text=True, check=True)
            wall, after = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
            tree = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            row = got[name]
            for key, value in (("tree cpu", tree), ("wall", wall), ("load", load)):
                row.setdefault(key, []).append(value)
            for line in run.stderr.splitlines():
                if m := re.match(r"\s+(.+?)\s+(-?[\d.]+)$", line):
                    row.setdefault(m.group(1), []).append(float(m.group(2)))
                elif m := re.match(r"TOTAL process CPU ([\d.]+)", line):
                    row.setdefault("main cpu", []).append(float(m.group(1)))
            print(f"round {r} {name} load {load:.2f} tree cpu {tree:.3f} wall {wall:.3f}", flush=True)
    print(f"{'':30s}" + "".join(f"{name:>24s}" for name, _ in checkouts))
    keys = list(dict.fromkeys(key for name, _ in checkouts for key in got[name]))
    for key in keys:  # a part one checkout never calls (thru-22: D.3 in a checkpointed run): "-"
        print(f"{key:30s}" + "".join(f"{statistics.median(got[n][key]):9.3f} [{min(got[n][key]):.3f}-"
                                     f"{max(got[n][key]):.3f}]" if key in got[n] else f"{'-':>24s}"
                                     for n, _ in checkouts))


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child()
    else:
        parent()
