"""thru-28 (#18 point 3): what a second worker repeats: the per-process caches the stages fill
as they go (langdetect's word n-grams, ...). One process, the per-document stages only, run
on the input's second half cold (first in a fresh process) or warm (after the first half),
each stage's CPU summed (process_time).

    python3 bench/scratch/thru28_warm.py INPUT warm|cold     (alternate them; PYTHONPATH=CHECKOUT)
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from cleaner.core.config import load_config
from cleaner.exec.local import BATCH, process_batch
from cleaner.input.read import read_input
from cleaner.stages.build import build_stages


def main() -> None:
    path, mode = sys.argv[1], sys.argv[2]
    cfg = load_config(None)
    docs = list(read_input(path, cfg))
    stages = build_stages(cfg).mapped()
    for stage in stages:
        stage.setup()
    half = len(docs) // 2
    spent: dict[str, Counter[str]] = {}

    def run(part: list, tag: str) -> float:
        start, got = time.process_time(), Counter[str]()
        for k in range(0, len(part), BATCH):
            for _, each in process_batch(part[k:k + BATCH], stages, time.process_time):
                got.update(each)
        spent[tag] = got
        return time.process_time() - start

    order = [("first", docs[:half]), ("second", docs[half:])]
    for tag, part in (order if mode == "warm" else order[::-1]):
        total = run(part, tag)
        print(f"{mode}: {tag} half {total:.3f} s: " + " ".join(f"{k} {v:.3f}" for k, v in sorted(spent[tag].items())))


if __name__ == "__main__":
    main()
