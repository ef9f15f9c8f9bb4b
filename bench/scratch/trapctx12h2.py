"""Scratch (story-12h, session 18): the trap set on ctx12h2_grid's neighbour-relative score
(each trap alone, run-wide weights as the trap test reads them): s x min(1, s / max(b(x),
b(y)))^gamma, b(x) a document's best score among the trap's four. How many traps put every
different-event pair under 0.7 x story.threshold with every retelling at it or above.
python3 bench/scratch/trapctx12h2.py /tmp/s12h2/prep.pkl"""
import sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench")); sys.path.insert(0, str(ROOT / "bench" / "scratch"))
from common12h2 import traps  # noqa: E402
from ctx12h2_grid import contextual  # noqa: E402
from cleaner.dedup import term_weights as tw  # noqa: E402

p, cfg, thr, by = traps(sys.argv[1])
for g in (0, 1, 2, 2.5, 3):
    under, worst = 0, []
    for name, docs in sorted(by.items()):
        weigh = tw.TermWeights(cfg["story"])
        w = [tw.doc_terms(d, weigh) for d in docs]
        edges = {(i, j): tw.similarity(w[i], w[j]) for i in range(4) for j in range(i + 1, 4)}
        c = contextual(edges, g)
        ev = [p["trap_event"][d.id] for d in docs]
        other = max(v for (i, j), v in c.items() if ev[i] != ev[j])
        same = min(v for (i, j), v in c.items() if ev[i] == ev[j])
        under += other < 0.7 * thr and same >= thr
        worst.append(other)
    print(f"gamma {g}: {under} of 11 traps under the margin; highest different-event pair per trap {min(worst):.3f}-{max(worst):.3f}")
