"""#16 point 9: a persistent state at scale.

Builds a state by streaming generated, dated news (bench/generate.py: bases and near
copies; ~500 documents a day, copies dated 0-2 days after their base) through
`cleaner run - --out - --state S --batch-size 1000`, in phases (10k, then 50k, then
200k documents in all). After each phase, a probe batch of 1,000 documents (never in the
state) is added to a copy of the state through the Python API, in a fresh process, and
timed. By default (`--probe-at each`) it is one batch of the generator's (the 1,000
documents after the largest size) dated to follow each size's state as it follows the
largest one in the stream (its dates moved by the days between the two states' last
documents: the largest size's probe is unchanged; the 200k probe's first day is its state's
last). Each size then gets the same documents, and a window
that reaches back from its own state's last day, as a streaming run's next batch would.
`--probe-at last` keeps the probe of sessions 18-24 (that batch as dated, for every size: a
smaller state's probe was dated weeks after its state's last document, so its window held
fewer of the state's groups); `--probe-at next` takes each size's next 1,000 documents of
the stream itself (which differ in kind along the stream: the generator's copies are of its
first 30% of bases, so they are dated in its first ~43% of days, and a later batch holds
none); a comma list (`each,last`) measures several on one build. The probe is added to an empty state as the
baseline, alternating with it (the machine's load then weighs on both alike), after an
untimed first probe that builds the word-frequency cache, in a cache folder of the bench's
own (the tables a process derives at setup are stamped with the checkout that derived them,
core/table_cache.py: in the user's folder another checkout's run in between made a probe
derive them again, and its peak was ~9-13 MiB higher). Reported per size: the probe's
seconds and their ratio to the empty state's
(target <= 2x), the state's bytes per document (target <= 2 KB), and the peak RSS of the
streaming run that built the phase and of the probe process (target: flat; every repeat's
in `peak_rss_mib_runs`, the spread beside the median run's). The probe's
`state_seconds` is the clusterer's part alone (the stages cost the same whatever the state).
Also per size: `window_groups`, the groups the probe's story window loaded (one number a
batch), and `largest_records_groups`, the copy groups of the state's largest records: the
window must not grow with them (story.window_days, dedup/incremental.py).

    python3 bench/state_bench.py --json bench/results/state.json            # 200k, ~15 minutes (the 200k build: 750 s, session 18)
    python3 bench/state_bench.py --sizes 10000,50000 --json /tmp/state.json  # quicker
    python3 bench/state_bench.py --smoke
    python3 bench/state_bench.py --sizes 200000 --keep /tmp/state200k   # keeps state-200000.db, probe.json
    python3 bench/state_bench.py --sizes 10000,50000 --probe-at each,last,next   # the probes side by side

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

from generate import generate, use_data  # noqa: E402
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
from cleaner.dedup.zipf_cache import cache_dir
hwm = status_kib()["VmHWM"]
print(json.dumps({"seconds": round(seconds, 2), "state_seconds": round(spent[0], 2), "cache_dir": str(cache_dir()),
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
    # The median run by seconds, with every run's peak (a peak is not timed: its spread is stated).
    median = lambda runs: {**sorted(runs, key=lambda x: x["seconds"])[len(runs) // 2],  # noqa: E731
                           "peak_rss_mib_runs": [r["peak_rss_mib"] for r in runs]}
    return median(full), median(empty)


def shifted(items: list[dict], days: int) -> list[dict]:
    """`items` with their dates moved by `days`."""
    return [{**i, "date": (date.fromisoformat(i["date"]) + timedelta(days=days)).isoformat()} for i in items]


PROBE_AT = ("each", "last", "next")


def probe_batches(items: list[dict], sizes: list[int], probe_n: int, mode: str) -> dict[int, list[dict]]:
    """Each size's probe batch, from one stream `items` (in date order) whose first
    sizes[-1] documents are the largest state: "last", the `probe_n` documents after it;
    "each", those dated to follow each size's state as they follow the largest (moved by
    the days between the two states' last documents); "next", the `probe_n` documents
    after each size in the stream."""
    after = items[sizes[-1]:sizes[-1] + probe_n]
    if mode == "last":
        return {size: after for size in sizes}
    if mode == "each":
        last_day = date.fromisoformat(items[sizes[-1] - 1]["date"])
        return {size: shifted(after, (date.fromisoformat(items[size - 1]["date"]) - last_day).days) for size in sizes}
    assert mode == "next", mode  # main() checks --probe-at
    return {size: items[size:size + probe_n] for size in sizes}


def probe_dates(probe_file: Path) -> list[str]:
    """The probe's first and last dates."""
    dates = sorted(i["date"] for i in json.loads(probe_file.read_text(encoding="utf-8")))
    return [dates[0], dates[-1]]


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
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="the shared data folder (its lingua-sentences: the generated articles' sentences)")
    parser.add_argument("--probe-at", default="each",
                        help="each: one batch dated to follow each size's state; last: that batch as dated, "
                             "after the largest size (sessions 18-24); next: each size's next documents in "
                             "the stream; a comma list measures several (the first is the row's own)")
    parser.add_argument("--smoke", action="store_true", help="300 documents and a 100-document probe")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the probe batches (DIR/probe-MODE-SIZE.json; DIR/probe.json: the largest size's) "
                             "and, after each phase, the state "
                             "(DIR/state-SIZE.db and its WAL), so probes can be repeated and profiled")
    args = parser.parse_args()
    use_data(args.data, args.smoke)
    sizes = [int(s) for s in args.sizes.split(",")]
    probe_n = args.probe
    if args.smoke:
        sizes, probe_n, args.repeats = [300], 100, 1
    items = dated_items(sizes[-1] + probe_n, args.seed)
    history = items[:sizes[-1]]
    modes = args.probe_at.split(",")
    if not modes or not set(modes) <= set(PROBE_AT) or len(set(modes)) < len(modes):
        parser.error(f"--probe-at: a comma list of {', '.join(PROBE_AT)}, each once")
    out: dict = {"per_day": PER_DAY, "probe_documents": probe_n, "workers": args.workers,
                 "probe_at": modes, "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # Every run's cache folder (dedup/zipf_cache.py's $CLEANER_CACHE_DIR), the bench's own
        # and warmed below: in the user's, a table another checkout had written since (stamped
        # with its code) was derived again at the next run's setup, its imports and temporaries
        # left in that process (state-26, 10k probe: peak 156.3-157.0 MiB against 143.7-144.0).
        os.environ["CLEANER_CACHE_DIR"] = str(tmp / "cache")
        probe_files: dict[tuple[str, int], Path] = {}
        for mode in modes:
            for size, batch in probe_batches(items, sizes, probe_n, mode).items():
                probe_files[mode, size] = tmp / f"probe-{mode}-{size}.json"
                probe_files[mode, size].write_text(json.dumps(batch, ensure_ascii=False), encoding="utf-8")
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(probe_files[mode, size], args.keep / f"probe-{mode}-{size}.json")
        if args.keep:  # probe.json: the largest size's probe (the same in "each" and "last" mode)
            shutil.copy(probe_files[modes[0], sizes[-1]], args.keep / "probe.json")
        # Untimed: the first run on a machine builds the word-frequency cache (dedup/zipf_cache.py).
        probe_once(None, probe_files[modes[0], sizes[0]], args.workers, tmp)
        state = tmp / "state.db"
        done = 0
        for size in sizes:
            built = stream(history[done:size], state, args.workers)
            done = size
            if args.keep:
                copy_state(state, args.keep / f"state-{size}.db")
            row = {"build_phase": built, "state_bytes": state_bytes(state),
                   "bytes_per_document": round(state_bytes(state) / size),
                   "bytes_per_document_by_table": table_bytes(state, size),
                   "largest_records_groups": largest_records_groups(state),
                   "state_last_date": history[size - 1]["date"]}
            for mode in modes:
                probe_file = probe_files[mode, size]
                result, empty = probe_pair(state, probe_file, args.workers, tmp, args.repeats)
                probe = {"probe_at": mode, "probe_dates": probe_dates(probe_file),
                         "window_groups": result["window_groups"], "probe": result, "empty_state": empty,
                         "probe_vs_empty": round(result["seconds"] / empty["seconds"], 2),
                         "state_part_vs_empty": round(result["state_seconds"] / empty["state_seconds"], 2)}
                # The first mode's figures are the row's own (as before); the others' under "probe_at_MODE".
                if mode == modes[0]:
                    row.update(probe)
                else:
                    row[f"probe_at_{mode}"] = probe
            out["sizes"][str(size)] = row
            print(f"{size}: {row}", flush=True)
            if args.json:  # after each size: a run stopped during a longer phase keeps the sizes it finished
                save_json(args.json, out)


if __name__ == "__main__":
    main()
