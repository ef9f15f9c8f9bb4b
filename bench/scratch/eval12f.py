"""Scratch (story-12f): one variant of the story score measured on the tune half of ECB+
(ARI, within-topic pair AUC), chance seed 11 (share story-linked, copies found) and the
trap set (kept apart alone and among all, retellings joined, pair scores against 0.7 x
threshold). Validate (and chance seed 12) only when asked, once per idea after its choice."""
import copy, pickle, sys
from collections import defaultdict
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench"))
import numpy as np  # noqa: E402
from cluster_bench import is_tune_topic, predicted, auc, pair_scores  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup import stories, cluster as cl, term_weights as tw  # noqa: E402
from cleaner.dedup.cluster import cluster  # noqa: E402
from cleaner.inspect.evaluate import score  # noqa: E402

P = None
ORIG_SIM = tw.similarity
ORIG_BOUNDS = stories.TermMatrix.bounds
ORIG_DT = tw.doc_terms
DT = ORIG_DT  # the doc_terms in use (a variant may record more of each document)


def load(path="/tmp/s12f/prep.pkl"):
    global P
    if P is None:
        P = pickle.load(open(path, "rb"))
    return P


def install(sim=None, dt=None):
    """Replace the story similarity everywhere the tier calls it (unbounded: every candidate
    measured), and doc_terms where a variant needs more of each document."""
    global DT
    DT = dt or ORIG_DT
    stories.doc_terms = DT
    cl.doc_terms = DT
    s = sim or ORIG_SIM
    stories.similarity = s
    cl.similarity = s
    tw.similarity = s  # cluster_bench.pair_scores imports it when called
    stories.TermMatrix.bounds = ORIG_BOUNDS if sim is None else (lambda self, i, others: np.ones(len(others)))


def fresh(docs):
    return [copy.copy(d) for d in docs]


def ari(docs, gold, cfg):
    return score(predicted(cluster(fresh(docs), cfg)), {d.id: gold[d.id] for d in docs})["ari"]


def counted(a, b):
    """The terms a and b share as similarity() counts them: ([(term, smaller weight)], the
    weight left out as wording on both sides, the terms left out)."""
    terms = sorted(a.weights.keys() & b.weights.keys())
    wa, wb = a.weights, b.weights
    alike = tw._Wording(a, b).in_alike_lines if terms else None
    kept, dropped, skip = [], 0.0, set()
    for t in terms:
        line = a.lines.get(t)
        if (line is not None and line == b.lines.get(t)) or alike(t):
            dropped += wa[t] + wb[t]
            skip.add(t)
        else:
            kept.append((t, min(wa[t], wb[t])))
    return kept, dropped, skip


def pair_auc(docs, gold, cfg):
    same, other = pair_scores(docs, gold, cfg)  # with the similarity install() put in place
    return auc(same, other), same, other


def chance(seed, cfg):
    p = load()
    docs = fresh(p[f"chance{seed}"])
    recs = cluster(docs, cfg)
    pred = predicted(recs)
    joined = {m.doc.id for r in recs if any(x.relation == "story" for x in r.members) for m in r.members}
    copies = p[f"copies{seed}"]
    found = sum(pred[c] == pred[o] for c, o in copies.items())
    return len(joined) / len(docs), found / len(copies)


def trap_scores(cfg, sim):
    """As tests/test_story_traps.py: each trap alone, weights without corpus counts."""
    p = load()
    by = defaultdict(list)
    for d in p["traps"]:
        by[p["trap_event"][d.id][0]].append(d)
    out = {}
    for name, docs in sorted(by.items()):
        weigh = tw.TermWeights(cfg["story"])
        terms = {d.id: DT(d, weigh) for d in docs}
        same, other = [], []
        for i, a in enumerate(docs):
            for b in docs[i + 1:]:
                (same if p["trap_event"][a.id] == p["trap_event"][b.id] else other).append(sim(terms[a.id], terms[b.id]))
        out[name] = (max(other), min(same))
    return out


def traps_apart(cfg):
    p = load()
    ev = p["trap_event"]
    def check(docs):
        pred = predicted(cluster(fresh(docs), cfg))
        bad_apart, bad_join = set(), 0
        for trap in {ev[d.id][0] for d in docs}:
            ids = [d.id for d in docs if ev[d.id][0] == trap]
            for i in ids:
                for j in ids:
                    if i < j and (ev[i] == ev[j]) != (pred[i] == pred[j]):
                        if ev[i] == ev[j]:
                            bad_join += 1
                        else:
                            bad_apart.add(trap)
            # records holding other traps' documents count as not apart too
            for i in ids:
                if any(pred[k] == pred[i] for k in pred if ev[k][0] != trap):
                    bad_apart.add(trap)
        return bad_apart, bad_join
    allbad, alljoin = check(p["traps"])
    alone = set()
    for trap in sorted({v[0] for v in ev.values()}):
        b, j = check([d for d in p["traps"] if ev[d.id][0] == trap])
        alone |= b
        alljoin += j
    return 11 - len(allbad | alone), alljoin


def evaluate(name, overrides=None, sim=None, validate=False, seed12=False, quiet=False, dt=None):
    p = load()
    cfg = config_from_dict(overrides or {})
    install(sim, dt)
    s = sim or ORIG_SIM
    gold = p["gold"]
    tune = [d for d in p["ecb"] if is_tune_topic(int(d.id.split("/")[0]))]
    row = {"tune": round(ari(tune, gold, cfg), 4), "tune_auc": round(pair_auc(tune, gold, cfg)[0], 4)}
    share, rec = chance(11, cfg)
    row["chance11"] = f"{100 * share:.2f}% copies {100 * rec:.1f}%"
    ts = trap_scores(cfg, s)
    thr = cfg["story"]["threshold"]
    row["trap_other_below_margin"] = sum(o < 0.7 * thr for o, _ in ts.values())
    row["trap_same_at_threshold"] = sum(m >= thr for _, m in ts.values())
    row["trap_other_range"] = f"{min(o for o, _ in ts.values()):.3f}-{max(o for o, _ in ts.values()):.3f}"
    row["trap_same_min"] = round(min(m for _, m in ts.values()), 3)
    row["traps_apart"], row["retelling_pairs_split"] = traps_apart(cfg)
    if validate:
        val = [d for d in p["ecb"] if not is_tune_topic(int(d.id.split("/")[0]))]
        row["VALIDATE"] = round(ari(val, gold, cfg), 4)
        row["VALIDATE_auc"] = round(pair_auc(val, gold, cfg)[0], 4)
    if seed12:
        share, rec = chance(12, cfg)
        row["CHANCE12"] = f"{100 * share:.2f}% copies {100 * rec:.1f}%"
    install(None)
    if not quiet:
        print(name, row, flush=True)
    return row, ts


if __name__ == "__main__":
    r, ts = evaluate("defaults")
    for k, v in ts.items():
        print(k, v)
