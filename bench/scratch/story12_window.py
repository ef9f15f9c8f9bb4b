"""Scratch (story-12h, session 16): a date window that grows with the gap. Today a pair dated
further apart than story.date_window_days (3) counts story.outside_window_factor (0.9) times
its similarity, whatever the gap: a week and two years weigh the same. The family tried:
factor = outside / (1 + (gap - window) / T) beyond the window, T 30 / 90 / 180 days (T
infinite: today's). ECB+'s events run over weeks, a topic's two events are months or years
apart; the trap set's events are days to a week apart. Gaps come from datelines (day and
month, no year) in ECB+ (105 of the 271 tune documents have one).

Chosen as story12_blend.py chooses (tune half only, 5 folds of tune topics; the family by
nested CV, the link settings by the best mean fold ARI); validate is never read here.
python3 bench/scratch/story12_window.py PREP.pkl OUT.json"""
import itertools, json, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval12f import load, fresh  # noqa: E402
from cv12g import FOLDS, topic, sub_ari  # noqa: E402
from story12_blend import THRESHOLDS, LOCALS  # noqa: E402
from cluster_bench import is_tune_topic, predicted  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.core.dates import story_gap  # noqa: E402
from cleaner.dedup import stories  # noqa: E402
from cleaner.dedup.term_weights import features  # noqa: E402

ORIG = stories.window_factor
FAMILIES = {"T_inf": None, "T180": 180.0, "T90": 90.0, "T30": 30.0}


def graded(T):
    def window_factor(a, b, window_days, outside):
        gap = story_gap(a.date, features(a).dateline, b.date, features(b).dateline)
        if gap is None or gap <= window_days:
            return 1.0, gap
        return outside / (1.0 + (gap - window_days) / T), gap
    return window_factor


def install(family):
    T = FAMILIES.get(family) if family else None
    stories.window_factor = ORIG if T is None else graded(T)


def run(prep, out_path):
    p = load(prep)
    gold = p["gold"]
    tune = [d for d in p["ecb"] if is_tune_topic(topic(d))]
    fold_ids = [[d.id for d in tune if topic(d) in f] for f in FOLDS]
    rows = []
    t0 = time.time()
    for fam in FAMILIES:
        install(fam)
        for thr, loc in itertools.product(THRESHOLDS, LOCALS):
            cfg = config_from_dict({"story": {"threshold": thr, "local_threshold": loc}})
            pred = predicted(cluster_(tune, cfg))
            rows.append({"family": fam, "threshold": thr, "local_threshold": loc,
                         "tune": sub_ari(pred, gold, [d.id for d in tune]),
                         "folds": [sub_ari(pred, gold, ids) for ids in fold_ids]})
        print(fam, len(rows), f"{time.time() - t0:.0f}s", flush=True)
        json.dump(rows, open(out_path, "w"))
    install(None)


def cluster_(docs, cfg):
    from cleaner.dedup.cluster import cluster
    return cluster(fresh(docs), cfg)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2])
