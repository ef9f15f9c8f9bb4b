"""Scratch (story-12h, session 16): a less fitted rule by construction. Instead of the one
link setting best on tune (at a cliff's edge: story.local_threshold 0.0625 merges two tune
events, 0.0675 ships), cluster with every setting of tune's plateau (the settings whose mean
fold ARI is within DELTA of the best) and keep what most of them agree on: average linkage
over 1 - the share of plateau settings that put two documents together, cut at 0.5.

Nested CV on tune alone: for each of the 5 folds, the plateau is found on the other four
folds' mean ARI, and the ensemble's records are scored on the held-out fold; compared with
today's figure on the same grid (0.9425). Validate is never read here.
python3 bench/scratch/story12_ensemble.py PREP.pkl [DELTA ...]  (validate: story12_ensemble_eval.py)"""
import itertools, statistics as st, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from scipy.cluster.hierarchy import fcluster, linkage  # noqa: E402
from scipy.spatial.distance import squareform  # noqa: E402
from eval12f import load, fresh  # noqa: E402
from cv12g import FOLDS, topic, sub_ari  # noqa: E402
from story12_grid import THRESHOLDS, LOCALS  # noqa: E402
from cluster_bench import is_tune_topic, predicted  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup.cluster import cluster  # noqa: E402


def partitions(docs, settings):
    out = []
    for thr, loc in settings:
        cfg = config_from_dict({"story": {"threshold": thr, "local_threshold": loc}})
        out.append(predicted(cluster(fresh(docs), cfg)))
    return out


def ensemble(ids, parts):
    """Average linkage on 1 - co-association, cut at 0.5: document -> label."""
    n = len(ids)
    co = np.zeros((n, n))
    for p in parts:
        lab = np.array([hash(p[i]) for i in ids])
        co += lab[:, None] == lab[None, :]
    dist = 1.0 - co / len(parts)
    np.fill_diagonal(dist, 0.0)
    z = linkage(squareform(dist, checks=False), method="average")
    return dict(zip(ids, (str(x) for x in fcluster(z, t=0.5, criterion="distance"))))


def main(prep, deltas):
    p = load(prep)
    gold = p["gold"]
    tune = [d for d in p["ecb"] if is_tune_topic(topic(d))]
    ids = [d.id for d in tune]
    fold_ids = [[d.id for d in tune if topic(d) in f] for f in FOLDS]
    grid = list(itertools.product(THRESHOLDS, LOCALS))
    parts = partitions(tune, grid)
    folds = [[sub_ari(pt, gold, f) for f in fold_ids] for pt in parts]
    for delta in deltas:
        held = []
        sizes = []
        for k in range(5):
            crit = [st.mean(x for i, x in enumerate(fs) if i != k) for fs in folds]
            top = max(crit)
            plateau = [j for j, c in enumerate(crit) if c > top - delta - 1e-9]
            sizes.append(len(plateau))
            lab = ensemble(ids, [parts[j] for j in plateau])
            held.append(sub_ari(lab, gold, fold_ids[k]))
        mean_fold = [st.mean(fs) for fs in folds]
        top = max(mean_fold)
        plateau = [j for j, c in enumerate(mean_fold) if c > top - delta - 1e-9]
        lab = ensemble(ids, [parts[j] for j in plateau])
        print(f"DELTA {delta}: nested CV {st.mean(held):.4f} {[round(x, 3) for x in held]} plateau sizes {sizes};"
              f" on all tune folds: plateau {len(plateau)} settings {[grid[j] for j in plateau][:12]}...,"
              f" tune ARI {sub_ari(lab, gold, ids):.4f}, mean fold {st.mean(sub_ari(lab, gold, f) for f in fold_ids):.4f}",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1], [float(x) for x in sys.argv[2:]] or [0.0, 0.005, 0.01, 0.02, 0.03])
