"""Scratch (story-12g), direction A: the story settings chosen by leave-topics-out
cross-validation inside the tune half of ECB+ (never validate). The tune topics (1, 5, 9,
13, 21, 25, 29, 33, 37, 41, 45), in that order, go to 5 folds by position % 5:
{1, 25, 45}, {5, 29}, {9, 33}, {13, 37}, {21, 41}. Each setting clusters the whole tune half
once (as the bench does: the half is one corpus), and its records are scored on each fold's
documents and on each fold's complement (ARI of the partition restricted to those documents).
Nested CV of "take the best setting on tune": for each fold, the settings best on the other
four folds (ties: every tied setting, averaged) are scored on the held-out fold.
python3 bench/scratch/cv12g.py /tmp/s12g/prep.pkl OUT.json GRID  (GRID: name of a grid below)"""
import itertools, json, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval12f import load, fresh  # noqa: E402
from cluster_bench import is_tune_topic, predicted  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup.cluster import cluster  # noqa: E402
from cleaner.inspect.evaluate import score  # noqa: E402

TUNE_TOPICS = [1, 5, 9, 13, 21, 25, 29, 33, 37, 41, 45]
FOLDS = [[t for i, t in enumerate(TUNE_TOPICS) if i % 5 == k] for k in range(5)]

GRIDS = {
    # the clustering settings (no re-weighing)
    "link": {"threshold": [0.08, 0.09, 0.10, 0.11, 0.12, 0.13, 0.14],
             "local_threshold": [0.055, 0.065, 0.075, 0.085, 0.095],
             "split_ratio": [0.3, 0.4, 0.5],
             "outside_window_factor": [0.7, 0.8, 0.9, 1.0],
             "local_df_factor": [0.3, 0.5, 0.7]},
    # story.local_threshold alone, finer, the rest at the defaults (the link grid's pick, 0.065, sits
    # one step from a cliff at 0.055: where is the middle of its plateau?)
    "local_fine": {"local_threshold": [0.05, 0.0525, 0.055, 0.0575, 0.06, 0.0625, 0.065, 0.0675, 0.07, 0.0725,
                                       0.075, 0.0775, 0.08]},
    # the few weights, the clustering settings at the defaults
    "weights": {"lead_boost": [1.5, 2.0, 2.5], "date_weight": [15.0, 25.0, 35.0],
                "rarity_base": [7.5, 8.0, 8.5], "lead_words": [30, 40, 50]},
}


def topic(d):
    return int(d.id.split("/")[0])


def sub_ari(pred, gold, ids):
    return score({i: pred[i] for i in ids}, {i: gold[i] for i in ids})["ari"]


def run(grid_name, out_path, docs_key="tune"):
    p = load(sys.argv[1])
    gold = p["gold"]
    tune = [d for d in p["ecb"] if is_tune_topic(topic(d))]
    fold_ids = [[d.id for d in tune if topic(d) in f] for f in FOLDS]
    comp_ids = [[d.id for d in tune if topic(d) not in f] for f in FOLDS]
    grid = GRIDS[grid_name]
    keys = list(grid)
    rows = []
    t0 = time.time()
    for vals in itertools.product(*(grid[k] for k in keys)):
        setting = dict(zip(keys, vals))
        cfg = config_from_dict({"story": setting})
        pred = predicted(cluster(fresh(tune), cfg))
        rows.append({"setting": setting,
                     "tune": sub_ari(pred, gold, [d.id for d in tune]),
                     "folds": [sub_ari(pred, gold, ids) for ids in fold_ids],
                     "complements": [sub_ari(pred, gold, ids) for ids in comp_ids]})
        if len(rows) % 20 == 0:
            print(len(rows), f"{time.time() - t0:.0f}s", flush=True)
    json.dump(rows, open(out_path, "w"))


if __name__ == "__main__":
    run(sys.argv[3], sys.argv[2])
