"""whole-18n: where a whole 1-worker `cleaner run`'s CPU goes, every part of it, exclusive
(process_time charged to the innermost labelled call: a stack), checkouts alternated:

    python3 bench/scratch/whole18n_parts.py INPUT ROUNDS name=CHECKOUT [name=CHECKOUT ...]

Each checkout with its own cache folder and bytecode prefix (bench/scratch/serial18i_timeline.py's
_own_env: /tmp/s18k/cache-HASH, pyc-HASH). "startup" is the CPU before this hook's first line
(the interpreter, site); "exit" is the run's CPU (rusage of the child) after atexit's last
handler saw process_time. With 1 worker everything runs in the one process, so the parts sum
to the run's CPU. The wrappers cost ~1-2 us a call (~60,000 calls: ~0.1 s, charged to the
callers).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def child() -> None:
    import functools
    import runpy

    first = time.process_time()
    spent: dict[str, float] = {"startup": first}
    stack = ["main (other)"]
    mark = [first]

    def enter(label: str) -> None:
        now = time.process_time()
        spent[stack[-1]] = spent.get(stack[-1], 0.0) + now - mark[0]
        mark[0] = now
        stack.append(label)

    def leave() -> None:
        now = time.process_time()
        spent[stack[-1]] = spent.get(stack[-1], 0.0) + now - mark[0]
        mark[0] = now
        stack.pop()

    enter("imports")
    import cleaner.cli as cli
    import cleaner.core.document as document
    import cleaner.exec.flow as flow
    import cleaner.exec.local as local
    import cleaner.input.read as read
    import cleaner.stages.build as build
    import cleaner.stages.templates as templates
    import cleaner.store.output as output
    try:  # run_fingerprint's module since session 23 (the checkout measured may be older)
        import cleaner.core.provenance as provenance
    except ImportError:
        provenance = output
    import cleaner.store.spool as spool
    import cleaner.inspect.report as report
    leave()

    def wrap(obj: object, name: str, label: str) -> None:
        fn = getattr(obj, name)

        @functools.wraps(fn)
        def timed(*a: object, **k: object) -> object:
            enter(label)
            try:
                return fn(*a, **k)
            finally:
                leave()
        setattr(obj, name, timed)

    def wrap_gen(obj: object, name: str, label: str) -> None:
        fn = getattr(obj, name)

        @functools.wraps(fn)
        def timed(*a: object, **k: object):  # type: ignore[no-untyped-def]
            enter(label)
            try:
                it = iter(fn(*a, **k))
            finally:
                leave()
            while True:
                enter(label)
                try:
                    item = next(it)
                except StopIteration:
                    return
                finally:
                    leave()
                yield item
        setattr(obj, name, timed)

    real_safe = local.safe_process

    def safe(stage, doc):  # type: ignore[no-untyped-def]
        enter("stage " + stage.name)
        try:
            return real_safe(stage, doc)
        finally:
            leave()
    local.safe_process = safe
    for obj, name, label in [
        (cli, "_setup", "config+setup"), (build, "build_stages", "build_stages"),
        (cli, "make_executor", "make_executor"), (provenance, "run_fingerprint", "run_fingerprint"),
        (flow, "pack", "pack (slim copy)"), (templates.Templates, "line_keys", "template line keys"),
        (spool.Spool, "put", "spool put (pickle doc)"), (document.Document, "json_parts", "json_parts"),
        (spool, "text_apart", "text_apart"), (spool._Segment, "put", "segment write"),
        (spool.Spool, "put_arrays", "spool arrays"), (flow, "share_strings", "share_strings"),
        (templates.Templates, "observe_keys", "templates observe"), (templates.Templates, "decide", "templates decide"),
(flow, "make_ids_unique", "ids"),
        (flow, "release_free_memory", "release_free_memory"), (output, "build_manifest", "manifest"),
        (output, "write_outputs", "write (other)"), (flow.RunResult, "close", "result close"),
        (cli, "_finish", "finish"), (output, "replace_run", "replace_run (fsync, swap)"),
    ]:
        wrap(obj, name, label)
    real_clustering = flow._clustering

    def clustering():  # type: ignore[no-untyped-def]
        enter("clustering import")
        try:
            module = real_clustering()
        finally:
            leave()
        if not getattr(module.cluster, "__wrapped__", None):
            wrap(module, "cluster", "cluster")
        return module
    flow._clustering = clustering
    real_setup_map = local.LocalExecutor.map

    def setups_timed(self, docs, stages, finish=None):  # type: ignore[no-untyped-def]
        for stage in stages:
            if not getattr(type(stage).setup, "__wrapped__", None):
                wrap(type(stage), "setup", "stage setup")
        return real_setup_map(self, docs, stages, finish)
    local.LocalExecutor.map = setups_timed
    for obj, name, label in [
        (read, "read_input", "read input"), (local.LocalExecutor, "map", "executor loop"),
        (flow.RunResult, "document_lines", "documents.jsonl rows"), (flow.RunResult, "record_lines", "records.jsonl rows"),
        (output, "report_files", "report.html"),
    ]:
        wrap_gen(obj, name, label)
    cli.read_input = read.read_input  # type: ignore[attr-defined]

    def done() -> None:
        leave()
        with open(os.environ["W18N_LOG"], "w") as f:
            for k, v in spent.items():
                f.write(f"{v:.6f}\t{k}\n")
            f.write(f"{time.process_time():.6f}\tTOTAL at atexit\n")
    import atexit
    atexit.register(done)  # registered first: runs last
    sys.argv = ["cleaner"] + sys.argv[2:]
    runpy.run_module("cleaner", run_name="__main__", alter_sys=True)


def one_run(checkout: str, data: str) -> tuple[dict[str, float], float]:
    import resource
    sys.path.insert(0, HERE)
    from serial18i_timeline import _own_env

    folder = tempfile.mkdtemp(prefix="w18n-")
    log = os.path.join(folder, "log")
    env = dict(os.environ, PYTHONPATH=checkout, W18N_LOG=log, **_own_env(checkout))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "run", data, "--out",
                    os.path.join(folder, "out"), "-q", "--workers", "1"], env=env, check=True, cwd=checkout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    parts = {}
    for line in open(log).read().splitlines():
        v, k = line.split("\t")
        parts[k] = float(v)
    subprocess.run(["rm", "-rf", folder])
    total = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    parts["exit (after atexit)"] = total - parts.pop("TOTAL at atexit")
    return parts, total


def parent() -> None:
    data, rounds = sys.argv[1], int(sys.argv[2])
    checkouts = [arg.split("=", 1) for arg in sys.argv[3:]]
    got: dict[str, dict[str, list[float]]] = {name: {} for name, _ in checkouts}
    for r in range(rounds):
        for name, checkout in (checkouts if r % 2 == 0 else checkouts[::-1]):
            load = os.getloadavg()[0]
            parts, total = one_run(checkout, data)
            for k, v in parts.items():
                got[name].setdefault(k, []).append(v)
            got[name].setdefault("TOTAL", []).append(total)
            got[name].setdefault("load", []).append(load)
            print(f"round {r} {name:6s} load {load:5.2f} cpu {total:6.3f}", flush=True)
    first = got[checkouts[0][0]]
    keys = sorted({k for row in got.values() for k in row}, key=lambda k: -statistics.median(first.get(k, [0])))

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):7.3f} [{min(values):.3f}-{max(values):.3f}]"
    print(f"{'part (CPU s, median [min-max])':32s}" + "".join(f"{name:>24s}" for name, _ in checkouts))
    for k in keys:
        print(f"{k:32s}" + "".join(f"{cell(got[name].get(k, [0.0])):>24s}" for name, _ in checkouts))

if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child()
    else:
        parent()
