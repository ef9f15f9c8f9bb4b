"""#16 point 9: a persistent state at scale.

Builds a state by streaming generated, dated news (bench/generate.py: bases and near
copies; ~500 documents a day, copies dated 0-2 days after their base) through
`cleaner run - --out - --state S --batch-size 1000`, in phases (10k, then 50k, then
200k documents in all). After each phase, one fixed probe batch of 1,000 documents (the
next day's news, never in the state) is added to a copy of the state through the Python
API, in a fresh process, and timed; the same probe is added to an empty state as the
baseline, alternating with it (the machine's load then weighs on both alike), after an
untimed first probe that builds the word-frequency cache. Reported per size: the probe's
seconds and their ratio to the empty state's
(target <= 2x), the state's bytes per document (target <= 2 KB), and the peak RSS of the
streaming run that built the phase and of the probe process (target: flat). The probe's
`state_seconds` is the clusterer's part alone (the stages cost the same whatever the state).
Also per size: `window_groups`, the groups the probe's story window loaded (one number a
batch), and `largest_records_groups`, the copy groups of the state's largest records: the
window must not grow with them (story.window_days, dedup/incremental.py).

    python3 bench/state_bench.py --json bench/results/state.json            # 200k, ~15 minutes (the 200k build: 750 s, session 18)
    python3 bench/state_bench.py --sizes 10000,50000 --json /tmp/state.json  # quicker
    python3 bench/state_bench.py --smoke
    python3 bench/state_bench.py --sizes 200000 --keep /tmp/state200k   # keeps state-200000.db, probe.json

Generated data, not a held-out set: no setting is tuned here.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402
from results_file import save_json  # noqa: E402

PER_DAY = 500
START = date(2025, 1, 1)


def dated_items(n: int, seed: int) -> list[dict]:
    """n generated items with dates: a base on day (its number // PER_DAY), a copy 0-2 days
    after its base; in date order, as a feed would send them."""
    items = generate(n, seed=seed, copy_share=0.3)
    for item in items:
        base = int(item["gold"].split("-")[1])
        lag = 0 if item["made"] == "base" else int(item["id"][-1]) % 3
        item["date"] = (START + timedelta(days=base // PER_DAY + lag)).isoformat()
        for key in ("gold", "made", "lang"):
            del item[key]
    items.sort(key=lambda i: (i["date"], i["id"]))
    return items


def _children_maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def stream(items: list[dict], state: Path, workers: int) -> dict:
    """Stream `items` into `state` through the CLI; seconds and the process's peak RSS."""
    payload = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items).encode("utf-8")
    start = time.perf_counter()
    # A fresh interpreter per phase, so RUSAGE_CHILDREN's maximum is this run's (or an
    # earlier, smaller one's): peaks only grow, which is what "flat" is checked against.
    code = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(p.returncode)")
    proc = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "cleaner", "run", "-", "--out", "-",
                           "--state", str(state), "--batch-size", "1000", "--workers", str(workers), "-v"],
                          input=payload, capture_output=True, check=True)
    # -v logs the process's memory after each batch: where it grows, not only how high.
    after = [int(m) for m in re.findall(rb"\(memory (\d+) MiB, peak \d+ MiB\)", proc.stderr)]
    return {"seconds": round(time.perf_counter() - start, 1),
            "peak_rss_mib": round(int(proc.stdout.decode().split()[-1]) / 1024, 1),
            "rss_after_batch_mib": {"first": after[0], "middle": after[len(after) // 2], "last": after[-1],
                                    "max": max(after)} if after else {}}


_PROBE = """
import json, sys, time
from cleaner import Deduplicator
from cleaner.dedup import incremental
# The state's own part (clustering against it, in one transaction), apart from the stages.
spent = [0.0]
add = incremental.IncrementalClusterer.add
def timed(self, *a, **k):
    t = time.perf_counter()
    try:
        return add(self, *a, **k)
    finally:
        spent[0] += time.perf_counter() - t
incremental.IncrementalClusterer.add = timed
# How many groups each batch's story window loads (the state's and the batch's own): what
# the story tier's work grows with.
window_groups = []
window = incremental.IncrementalClusterer._window
def counted(self, *a, **k):
    found = window(self, *a, **k)
    window_groups.append(len(found))
    return found
incremental.IncrementalClusterer._window = counted
items = json.load(open(sys.argv[2], encoding="utf-8"))
with Deduplicator(state=sys.argv[1], batch_size=len(items), workers=int(sys.argv[3])) as dedup:
    start = time.perf_counter()
    rows = list(dedup.add(items))
    seconds = time.perf_counter() - start
from cleaner.exec.memory import status_kib  # VmHWM: this process's own peak, not the bench's
hwm = status_kib()["VmHWM"]
print(json.dumps({"seconds": round(seconds, 2), "state_seconds": round(spent[0], 2),
                  "peak_rss_mib": round(hwm / 1024, 1), "window_groups": window_groups,
                  "duplicates": sum(r["status"] == "duplicate" for r in rows)}))
"""


def copy_state(state: Path, target: Path) -> None:
    """A state file and its WAL (committed batches not yet checkpointed into the file)."""
    shutil.copy(state, target)
    if Path(str(state) + "-wal").exists():
        shutil.copy(str(state) + "-wal", str(target) + "-wal")


def probe_once(state: Path | None, probe_file: Path, workers: int, tmp: Path) -> dict:
    """The probe batch added to a copy of `state` (or an empty one), in a fresh process."""
    target = tmp / "probe.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    if state is not None:
        copy_state(state, target)
    out = subprocess.run([sys.executable, "-c", _PROBE, str(target), str(probe_file), str(workers)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def probe_pair(state: Path, probe_file: Path, workers: int, tmp: Path, repeats: int) -> tuple[dict, dict]:
    """The probe into `state` and into an empty state, alternated `repeats` times so both
    see the same load on a shared machine; the median run of each."""
    full, empty = [], []
    for _ in range(repeats):
        empty.append(probe_once(None, probe_file, workers, tmp))
        full.append(probe_once(state, probe_file, workers, tmp))
    median = lambda runs: sorted(runs, key=lambda x: x["seconds"])[len(runs) // 2]  # noqa: E731
    return median(full), median(empty)


def state_bytes(state: Path) -> int:
    return sum(os.path.getsize(p) for p in (str(state), str(state) + "-wal") if os.path.exists(p))


@contextmanager
def reading_copy(state: Path) -> Iterator[sqlite3.Connection]:
    """A connection to a copy of `state`: opening the state itself would checkpoint its WAL."""
    with tempfile.TemporaryDirectory() as tmp_name:
        copy = Path(tmp_name) / "copy.db"
        copy_state(state, copy)
        con = sqlite3.connect(copy)
        try:
            yield con
        finally:
            con.close()


def table_bytes(state: Path, documents: int) -> dict[str, float]:
    """Bytes a document per table and index (SQLite's dbstat: whole pages, so free space
    inside pages counts too)."""
    with reading_copy(state) as con:
        try:
            rows = con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
        except sqlite3.OperationalError:  # an SQLite built without dbstat
            return {}
    return {name: round(size / documents, 1) for name, size in sorted(rows, key=lambda r: -r[1])}


def largest_records_groups(state: Path, top: int = 5) -> list[int]:
    """The copy groups of the state's `top` largest records, largest first: a record the
    story tier keeps extending is what a window could grow with."""
    with reading_copy(state) as con:
        return [n for (n,) in con.execute(
            "SELECT count(*) AS n FROM groups GROUP BY root ORDER BY n DESC LIMIT ?", (top,))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000,200000")
    parser.add_argument("--probe", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--smoke", action="store_true", help="300 documents and a 100-document probe")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the probe batch (DIR/probe.json) and, after each phase, the state "
                             "(DIR/state-SIZE.db and its WAL), so probes can be repeated and profiled")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    probe_n = args.probe
    if args.smoke:
        sizes, probe_n, args.repeats = [300], 100, 1
    items = dated_items(sizes[-1] + probe_n, args.seed)
    history, probe_items = items[:sizes[-1]], items[sizes[-1]:]
    out: dict = {"per_day": PER_DAY, "probe_documents": len(probe_items), "workers": args.workers, "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        probe_file = tmp / "probe.json"
        probe_file.write_text(json.dumps(probe_items, ensure_ascii=False), encoding="utf-8")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(probe_file, args.keep / "probe.json")
        # Untimed: the first run on a machine builds the word-frequency cache (dedup/zipf_cache.py).
        probe_once(None, probe_file, args.workers, tmp)
        state = tmp / "state.db"
        done = 0
        for size in sizes:
            built = stream(history[done:size], state, args.workers)
            done = size
            if args.keep:
                copy_state(state, args.keep / f"state-{size}.db")
            # The probe's dates follow the history's: its window reaches the last month.
            result, empty = probe_pair(state, probe_file, args.workers, tmp, args.repeats)
            row = {"build_phase": built, "state_bytes": state_bytes(state),
                   "bytes_per_document": round(state_bytes(state) / size),
                   "bytes_per_document_by_table": table_bytes(state, size),
                   "largest_records_groups": largest_records_groups(state),
                   "window_groups": result["window_groups"], "probe": result, "empty_state": empty,
                   "probe_vs_empty": round(result["seconds"] / empty["seconds"], 2),
                   "state_part_vs_empty": round(result["state_seconds"] / empty["state_seconds"], 2)}
            out["sizes"][str(size)] = row
            print(f"{size}: {row}", flush=True)
            if args.json:  # after each size: a run stopped during a longer phase keeps the sizes it finished
                save_json(args.json, out)


if __name__ == "__main__":
    main()
