"""Scratch (story-12h): the grid every story12_*.py family script runs. For each family (its
`install(name)` puts the variant in place and returns story overrides; `tune_docs(name, p)`,
when given, the tune half's documents for it), every link setting (story.threshold x
story.local_threshold) clusters the whole tune half once; its ARI on tune and on each of
story-12g's 5 folds of tune topics is written to OUT.json (story12_pick.py reads it).
Validate is never read here."""
import itertools, json, time
from cv12g import FOLDS, topic, sub_ari
from eval12f import load, fresh
import eval12f
from cluster_bench import is_tune_topic, predicted
from cleaner.core.config import config_from_dict

THRESHOLDS = [0.09, 0.10, 0.11, 0.12, 0.13, 0.14]
LOCALS = [0.055, 0.06, 0.065, 0.0675, 0.07, 0.075, 0.08, 0.085, 0.09, 0.095]


def run_grid(prep, out_path, families, install, tune_docs=None):
    from cleaner.dedup.cluster import cluster
    p = load(prep)
    gold = p["gold"]
    rows = []
    t0 = time.time()
    for fam in families:
        over = install(fam) or {}
        docs = tune_docs(fam, p) if tune_docs else p["ecb"]
        tune = [d for d in docs if is_tune_topic(topic(d))]
        fold_ids = [[d.id for d in tune if topic(d) in f] for f in FOLDS]
        for thr, loc in itertools.product(THRESHOLDS, LOCALS):
            cfg = config_from_dict({"story": {**over, "threshold": thr, "local_threshold": loc}})
            pred = predicted(cluster(fresh(tune), cfg))
            rows.append({"family": fam, "threshold": thr, "local_threshold": loc,
                         "tune": sub_ari(pred, gold, [d.id for d in tune]),
                         "folds": [sub_ari(pred, gold, ids) for ids in fold_ids]})
        print(fam, len(rows), f"{time.time() - t0:.0f}s", flush=True)
        json.dump(rows, open(out_path, "w"))
    eval12f.install(None)
