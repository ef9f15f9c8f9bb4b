"""thru-29: what looking up the story terms' rarity ahead costs, batch by batch, against once.

    python3 bench/scratch/thru29_ahead.py INPUT.jsonl ROUNDS

Documents from one in-memory 1-worker run of INPUT; then, each variant in turn, ROUNDS times,
CPU (process_time), wordfreq's look-ups forgotten before each: TermWeights.look_up over all of
them once; or a look_up every 64 / 512 / 1,024 documents (what a run would do while its workers
run) and then the tier's own look_up over all (what is left for the serial tail). Session 29
(12:02 UTC, load 8.8, SCHED_FIFO, 7 rounds): once 0.077 s; every 1,024: 0.093 + 0.017 s.
"""
import sys, time, statistics, gc
from cleaner.api import get_config
from cleaner.exec.flow import process_documents
from cleaner.exec.local import LocalExecutor
from cleaner.store.memory import MemoryStore
from cleaner.stages.build import build_stages
from cleaner.input.read import read_inputs
from collections import Counter
from pathlib import Path
import cleaner.dedup.term_weights as tw

cfg = get_config(None)
path = Path(sys.argv[1])
docs = list(read_inputs(path.parent, [".jsonl"], 1 << 30))
docs = [d for d in docs if d.source.endswith(path.name)]
out, _ = process_documents(docs, build_stages(cfg), LocalExecutor(), MemoryStore(), Counter(), Counter())
usable = [d for d in out if d.ok and d.features is not None]
print(len(usable), "documents")

def once():
    tw._ZIPF_SEEN.clear()
    t = time.process_time()
    tw.TermWeights(cfg["story"]).look_up(usable)
    return time.process_time() - t, 0.0

def ahead(every):
    tw._ZIPF_SEEN.clear()
    w = tw.TermWeights(cfg["story"])
    t = time.process_time()
    for i in range(0, len(usable), every):
        w.look_up(usable[i:i + every])
    mid = time.process_time() - t
    t = time.process_time()
    tw.TermWeights(cfg["story"]).look_up(usable)
    return mid, time.process_time() - t

res = {}
for r in range(int(sys.argv[2])):
    for name, fn in [("once", once), ("ahead64", lambda: ahead(64)), ("ahead512", lambda: ahead(512)), ("ahead1024", lambda: ahead(1024))]:
        gc.collect()
        res.setdefault(name, []).append(fn())
for name, v in res.items():
    print(f"{name:10s} during map {statistics.median(a for a, _ in v):.4f}  at the end {statistics.median(b for _, b in v):.4f}")
