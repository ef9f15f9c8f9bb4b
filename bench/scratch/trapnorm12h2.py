"""Scratch (story-12h, session 18): is the trap margin a matter of the similarity's
normalisation? The same shared weight S (as similarity() counts it) over other denominators:
weighted Jaccard S / (A + B - S) (today), overlap S / min(A, B), S / sqrt(A B), S / max(A, B)
(A, B: each side's total less the weight left out as wording). For each: the highest
different-event pair over the lowest retelling across all traps (> 0.7 means no single
threshold can have every retelling at it and every different event under 0.7 x it), and the
traps whose own ratio is under 0.7. python3 bench/scratch/trapnorm12h2.py /tmp/s12h2/prep.pkl"""
import math, sys
from collections import defaultdict
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench")); sys.path.insert(0, str(ROOT / "bench" / "scratch"))
import eval12f as E  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup import term_weights as tw  # noqa: E402

NORMS = {"jaccard": lambda s, a, b: s / (a + b - s), "overlap": lambda s, a, b: s / min(a, b),
         "geometric": lambda s, a, b: s / math.sqrt(a * b), "max": lambda s, a, b: s / max(a, b)}
p = E.load(sys.argv[1])
cfg = config_from_dict()
by = defaultdict(list)
for d in p["traps"]:
    by[p["trap_event"][d.id][0]].append(d)
for name, f in NORMS.items():
    others, sames, inside = [], [], 0
    for trap, docs in sorted(by.items()):
        weigh = tw.TermWeights(cfg["story"])
        w = [tw.doc_terms(d, weigh) for d in docs]
        o, s = [], []
        for i in range(4):
            for j in range(i + 1, 4):
                kept, _, skip = E.counted(w[i], w[j])
                shared = sum(x for _, x in kept)
                a = w[i].total - sum(w[i].weights[t] for t in skip)
                b = w[j].total - sum(w[j].weights[t] for t in skip)
                v = f(shared, a, b) if shared else 0.0
                (s if p["trap_event"][docs[i].id] == p["trap_event"][docs[j].id] else o).append(v)
        others.append(max(o)); sames.append(min(s)); inside += max(o) < 0.7 * min(s)
    print(f"{name:9s} highest different-event pair {max(others):.3f} / lowest retelling {min(sames):.3f} = "
          f"{max(others) / min(sames):.2f}; traps under 0.7 x their own weakest retelling: {inside} of 11")
