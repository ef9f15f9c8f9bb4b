"""Profile the per-document stages on a JSONL file, one process, a stage at a time in batches
of 64 (as exec/local.process_batch): python3 bench/scratch/perdoc18_prof.py IN.jsonl [--profile]
[--rounds N]. Prints each stage's CPU seconds (time.process_time) per round."""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cleaner.core.config import load_config  # noqa: E402
from cleaner.exec.local import process_batch  # noqa: E402
from cleaner.input.read import read_dicts  # noqa: E402
from cleaner.stages.build import build_stages  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--sort", default="tottime")
    args = ap.parse_args()
    items = [json.loads(line) for line in open(args.path, encoding="utf-8")]
    built = build_stages(load_config(None))
    stages = [*built.per_document, built.sign]
    for s in stages:
        s.setup()
    for r in range(args.rounds):
        docs = list(read_dicts(items))
        totals: dict[str, float] = {}
        prof = cProfile.Profile() if args.profile else None
        start = time.process_time()
        if prof:
            prof.enable()
        for i in range(0, len(docs), 64):
            for _d, t in process_batch(docs[i:i + 64], stages, time.process_time):
                for k, v in t.items():
                    totals[k] = totals.get(k, 0.0) + v
        if prof:
            prof.disable()
        cpu = time.process_time() - start
        print(json.dumps({"round": r, "cpu": round(cpu, 3), "ms_per_doc": round(cpu / len(docs) * 1000, 3),
                          **{k: round(v, 3) for k, v in totals.items()}}), flush=True)
        if prof:
            pstats.Stats(prof).sort_stats(args.sort).print_stats(45)


if __name__ == "__main__":
    main()
