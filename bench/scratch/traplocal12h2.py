"""Scratch (story-12h, session 18): the trap pairs on the score the tier links a trap on
when the trap is one component of 4 documents (component-local weights, against
story.local_threshold), beside the run-wide score the trap test reads (against
story.threshold). python3 bench/scratch/traplocal12h2.py /tmp/s12h2/prep.pkl [local_df_factor ...]"""
import sys
from collections import defaultdict
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench")); sys.path.insert(0, str(ROOT / "bench" / "scratch"))
import eval12f as E  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup import term_weights as tw, stories  # noqa: E402

p = E.load(sys.argv[1])
for a in [float(x) for x in sys.argv[2:]] or [0.5]:
    cfg = config_from_dict({"story": {"local_df_factor": a}})
    st = cfg["story"]
    by = defaultdict(list)
    for d in p["traps"]:
        by[p["trap_event"][d.id][0]].append(d)
    under = 0
    for name, docs in sorted(by.items()):
        weigh = tw.TermWeights(st)
        w = [tw.doc_terms(d, weigh) for d in docs]
        n = len(docs)
        edges = {(i, j): tw.similarity(w[i], w[j]) for i in range(n) for j in range(i + 1, n)}
        loc = stories.local_edges(docs, list(range(n)), edges, w, st)
        ev = [p["trap_event"][d.id] for d in docs]
        other = max(v for (i, j), v in loc.items() if ev[i] != ev[j])
        same = min(v for (i, j), v in loc.items() if ev[i] == ev[j])
        ok = other < 0.7 * st["local_threshold"] and same >= st["local_threshold"]
        under += ok
        print(f"  a={a} {name[:40]:40s} local: max other {other:.3f} ({other / st['local_threshold']:.2f}x local_threshold) min same {same:.3f} ratio {other / same:.2f} {'UNDER' if ok else ''}")
    print(f"a={a}: {under} of 11 under 0.7 x local_threshold with every retelling >= it")
