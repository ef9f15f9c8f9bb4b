"""Scratch (story-12h, session 18): the trap set's pair scores (each trap alone, as
tests/test_story_traps.py reads them) against story.threshold and against the ECB+ TUNE
half's within-topic pair scores (the run-wide similarity matrix ctx12h2.py saves): how many
different-event trap pairs reach the threshold itself, how many outscore the lowest trap
retelling, and where they fall among ECB+ same-event pairs. Also each ECB+ tune pair's score
relative to its documents' best partner (s / max(b(x), b(y))), which a neighbour-relative
score would discount. Validate is not read.
python3 bench/scratch/ctx12h2.py /tmp/s12h2/prep.pkl (writes /tmp/s12h2/S_tune.npy), then
python3 bench/scratch/trapcross12h2.py /tmp/s12h2/prep.pkl"""
import sys
from collections import defaultdict
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench")); sys.path.insert(0, str(ROOT / "bench" / "scratch"))
import numpy as np  # noqa: E402
import eval12f as E  # noqa: E402
from cluster_bench import is_tune_topic  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup import term_weights as tw  # noqa: E402

p = E.load(sys.argv[1])
gold = p["gold"]
cfg = config_from_dict()
thr = cfg["story"]["threshold"]
docs = [d for d in p["ecb"] if d.ok and is_tune_topic(int(d.id.split("/")[0]))]
S = np.load("/tmp/s12h2/S_tune.npy")
ev = [gold[d.id] for d in docs]
top = [e.split("_")[0] for e in ev]
n = len(docs)
pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if top[i] == top[j]]
same = np.array([S[i, j] for i, j in pairs if ev[i] == ev[j]])
oth = np.array([S[i, j] for i, j in pairs if ev[i] != ev[j]])
by = defaultdict(list)
for d in p["traps"]:
    by[p["trap_event"][d.id][0]].append(d)
to, tsame = [], []
for name, ds in by.items():
    weigh = tw.TermWeights(cfg["story"])
    w = {d.id: tw.doc_terms(d, weigh) for d in ds}
    for i, a in enumerate(ds):
        for b in ds[i + 1:]:
            (tsame if p["trap_event"][a.id] == p["trap_event"][b.id] else to).append(tw.similarity(w[a.id], w[b.id]))
to, tsame = np.array(to), np.array(tsame)
print("trap different-event pairs", len(to), "quantiles 0/25/50/75/100%", np.quantile(to, [0, .25, .5, .75, 1]).round(3),
      f">= threshold {thr}:", int((to >= thr).sum()), f"< 0.7 x threshold:", int((to < 0.7 * thr).sum()))
print("trap retelling pairs", len(tsame), "min", tsame.min().round(3), "; different-event pairs above it:", int((to >= tsame.min()).sum()))
for q in (0.1, 0.2, 0.3, to.max()):
    print(f"ECB+ tune same-event pairs below {q:.3f}: {np.mean(same < q):.2f}; same-topic other-event pairs below: {np.mean(oth < q):.2f}")
print("median trap different-event pair", np.median(to).round(3), "outscores", f"{np.mean(same < np.median(to)):.2f}", "of ECB+ tune same-event pairs")
best = S.max(1)
rs = np.array([S[i, j] / max(best[i], best[j]) for i, j in pairs if ev[i] == ev[j] and max(best[i], best[j]) > 0])
ro = np.array([S[i, j] / max(best[i], best[j]) for i, j in pairs if ev[i] != ev[j] and max(best[i], best[j]) > 0])
for t in (0.3, 0.37, 0.54, 0.69):
    print(f"s / max(best partner) < {t}: same-event {np.mean(rs < t):.2f}, other-event {np.mean(ro < t):.2f}")
