"""Scratch (story-12h): the plateau ensemble (story12_ensemble.py) at a fixed DELTA, scored on
the tune half, chance seed 11, the trap set; with --validate also validate and chance seed 12
(read once, after the choice). python3 bench/scratch/story12_ensemble_eval.py PREP.pkl DELTA [--validate]"""
import itertools, statistics as st, sys
from collections import defaultdict
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval12f import load  # noqa: E402
from cv12g import FOLDS, topic, sub_ari  # noqa: E402
from story12_grid import THRESHOLDS, LOCALS  # noqa: E402
from story12_ensemble import partitions, ensemble  # noqa: E402
from cluster_bench import is_tune_topic  # noqa: E402
from cleaner.inspect.evaluate import score  # noqa: E402


def plateau(p, delta):
    gold = p["gold"]
    tune = [d for d in p["ecb"] if is_tune_topic(topic(d))]
    fold_ids = [[d.id for d in tune if topic(d) in f] for f in FOLDS]
    grid = list(itertools.product(THRESHOLDS, LOCALS))
    parts = partitions(tune, grid)
    mean_fold = [st.mean(sub_ari(pt, gold, f) for f in fold_ids) for pt in parts]
    top = max(mean_fold)
    return [grid[j] for j, c in enumerate(mean_fold) if c > top - delta - 1e-9]


def labels(docs, settings):
    return ensemble([d.id for d in docs], partitions(docs, settings))


def chance(p, seed, settings):
    docs = p[f"chance{seed}"]
    lab = labels(docs, settings)
    # copy groups: a setting's records without their story members' relation (the copy tiers
    # do not depend on story settings)
    from eval12f import fresh
    from cleaner.core.config import config_from_dict
    from cleaner.dedup.cluster import cluster
    recs = cluster(fresh(docs), config_from_dict({"story": {"threshold": 1.0, "local_threshold": 1.0}}))
    group = {m.doc.id: r.record_id for r in recs for m in r.members}
    by = defaultdict(set)
    for i, l in lab.items():
        by[l].add(group[i])
    joined = sum(1 for i, l in lab.items() if len(by[l]) > 1)
    copies = p[f"copies{seed}"]
    found = sum(lab[c] == lab[o] for c, o in copies.items())
    return joined / len(docs), found / len(copies)


def traps(p, settings):
    ev = p["trap_event"]
    def check(docs):
        lab = labels(docs, settings)
        apart, split = set(), 0
        for i in lab:
            for j in lab:
                if i < j:
                    same_event, together = ev[i] == ev[j], lab[i] == lab[j]
                    if same_event and not together:
                        split += 1
                    if together and not same_event:
                        apart.add(ev[i][0]); apart.add(ev[j][0])
        return apart, split
    bad, split = check(p["traps"])
    for name in sorted({v[0] for v in ev.values()}):
        b, s = check([d for d in p["traps"] if ev[d.id][0] == name])
        bad |= b
        split += s
    return 11 - len(bad), split


def main(prep, delta, validate):
    p = load(prep)
    settings = plateau(p, delta)
    print("plateau", len(settings), settings, flush=True)
    gold = p["gold"]
    tune = [d for d in p["ecb"] if is_tune_topic(topic(d))]
    lab = labels(tune, settings)
    print("tune ARI", round(score(lab, {d.id: gold[d.id] for d in tune})["ari"], 4), flush=True)
    print("chance11 share joined, copies found", chance(p, 11, settings), flush=True)
    print("traps apart / retelling pairs split", traps(p, settings), flush=True)
    if validate:
        val = [d for d in p["ecb"] if not is_tune_topic(topic(d))]
        lab = labels(val, settings)
        print("VALIDATE ARI", round(score(lab, {d.id: gold[d.id] for d in val})["ari"], 4), flush=True)
        print("CHANCE12 share joined, copies found", chance(p, 12, settings), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), "--validate" in sys.argv)
