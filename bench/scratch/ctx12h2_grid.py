"""Scratch (story-12h, session 18): a neighbour-relative edge score inside each story
component. After the component's edges are measured (component-local weights when 4+
documents), each document's best edge b(x) is found and every edge becomes
s x min(1, s / max(b(x), b(y)))^gamma: a pair much weaker than what either document has
with its own closest report is discounted (a hubness correction in the spirit of CSLS /
local scaling). Then average linkage and the split step as before. Tune half only: every
(threshold, local_threshold) of the grid clusters the whole tune half; ARI on tune and on
story-12g's 5 folds. python3 bench/scratch/ctx12h2_grid.py /tmp/s12h2/prep.pkl OUT.json"""
import itertools, json, sys, time
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench")); sys.path.insert(0, str(ROOT / "bench" / "scratch"))
from cv12g import FOLDS, topic, sub_ari  # noqa: E402
from eval12f import load, fresh  # noqa: E402
from cluster_bench import is_tune_topic, predicted  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup import stories  # noqa: E402

GAMMA = {"g": 0.0}


def contextual(edges, gamma):
    if not gamma:
        return edges
    best = {}
    for (i, j), s in edges.items():
        if s > best.get(i, 0.0):
            best[i] = s
        if s > best.get(j, 0.0):
            best[j] = s
    out = {}
    for (i, j), s in edges.items():
        m = max(best.get(i, 0.0), best.get(j, 0.0))
        out[(i, j)] = s * min(1.0, s / m) ** gamma if s > 0 else s
    return out


ORIG_LINKAGE = stories.average_linkage


def linkage(nodes, edges, threshold, split_ratio=0.0):
    """average_linkage on the contextual edges (link_component calls it after the
    component's edges are measured, on local weights for 4+ documents)."""
    return ORIG_LINKAGE(nodes, contextual(edges, GAMMA["g"]), threshold, split_ratio)


def install(gamma):
    GAMMA["g"] = gamma
    stories.average_linkage = ORIG_LINKAGE if gamma == 0 else linkage


THRESHOLDS = [0.09, 0.10, 0.11, 0.12, 0.13]
LOCALS = [0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05, 0.055, 0.06, 0.0675, 0.075]

if __name__ == "__main__":
    from cleaner.dedup.cluster import cluster
    p = load(sys.argv[1])
    gold = p["gold"]
    tune = [d for d in p["ecb"] if is_tune_topic(topic(d))]
    fold_ids = [[d.id for d in tune if topic(d) in f] for f in FOLDS]
    rows, t0 = [], time.time()
    gammas = [float(g) for g in sys.argv[3].split(",")] if len(sys.argv) > 3 else [0.0, 0.5, 1.0, 2.0, 3.0]
    for g in gammas:
        install(g)
        for thr, loc in itertools.product(THRESHOLDS, LOCALS):
            cfg = config_from_dict({"story": {"threshold": thr, "local_threshold": loc}})
            pred = predicted(cluster(fresh(tune), cfg))
            rows.append({"family": f"g{g}", "threshold": thr, "local_threshold": loc,
                         "tune": sub_ari(pred, gold, [d.id for d in tune]),
                         "folds": [sub_ari(pred, gold, ids) for ids in fold_ids]})
        print(f"g{g}", len(rows), f"{time.time() - t0:.0f}s", max(r["tune"] for r in rows if r["family"] == f"g{g}"), flush=True)
        json.dump(rows, open(sys.argv[2], "w"))
    install(0.0)
