"""Scratch (story-12h, session 18): phrase12h2's variant over a grid of link settings, tune
half only (ARI on tune and on story-12g's 5 folds). Validate is never read here.
python3 bench/scratch/phrase12h2_grid.py /tmp/s12h2/prep.pkl OUT.json LAM,LAM,..."""
import itertools, json, sys, time
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench")); sys.path.insert(0, str(ROOT / "bench" / "scratch"))
from cv12g import FOLDS, topic, sub_ari  # noqa: E402
import eval12f as E  # noqa: E402
import phrase12h2 as PH  # noqa: E402
from cluster_bench import is_tune_topic, predicted  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup.cluster import cluster  # noqa: E402

THRESHOLDS = [0.10, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16]
LOCALS = [0.0675, 0.075, 0.08, 0.085, 0.09, 0.095, 0.10, 0.11, 0.12]

p = E.load(sys.argv[1])
gold = p["gold"]
tune = [d for d in p["ecb"] if is_tune_topic(topic(d))]
fold_ids = [[d.id for d in tune if topic(d) in f] for f in FOLDS]
rows, t0 = [], time.time()
for lam in [float(x) for x in sys.argv[3].split(",")]:
    E.install(PH.make_sim(lam), PH.dt)
    for thr, loc in itertools.product(THRESHOLDS, LOCALS):
        cfg = config_from_dict({"story": {"threshold": thr, "local_threshold": loc}})
        pred = predicted(cluster(E.fresh(tune), cfg))
        rows.append({"family": f"lam{lam}", "threshold": thr, "local_threshold": loc,
                     "tune": sub_ari(pred, gold, [d.id for d in tune]),
                     "folds": [sub_ari(pred, gold, ids) for ids in fold_ids]})
    print(f"lam{lam}", len(rows), f"{time.time() - t0:.0f}s", max(r["tune"] for r in rows if r["family"] == f"lam{lam}"), flush=True)
    json.dump(rows, open(sys.argv[2], "w"))
E.install(None)
