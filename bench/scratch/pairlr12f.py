"""Scratch (story-12f), idea b: a small pair scorer. Logistic regression (numpy IRLS, L2 1)
on a handful of pair features, fitted on the TUNE half's within-topic pairs only (same
event vs same topic, other event), its output probability used as the story score (the
average linkage, the split step, component-local weights unchanged)."""
import math
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from eval12f import evaluate, load, tw, stories, is_tune_topic, config_from_dict, counted  # noqa: E402
from cleaner.dedup.terms import DATE_PREFIX, WEEKDAY_PREFIX, is_number  # noqa: E402

LEAD = {}  # id(line_words) -> lead terms
ORIG = tw.doc_terms


def dt_lead(doc, weigh):
    t = ORIG(doc, weigh)
    LEAD[id(t.line_words)] = frozenset(doc.features.lead)
    return t


NAMES = ("log J", "lead share", "number share", "date shared", "lead days disagree", "log names shared", "log max cover")


def feats(a, b):
    kept, dropped, _ = counted(a, b)
    la, lb = LEAD[id(a.line_words)], LEAD[id(b.line_words)]
    s = sum(m for _, m in kept)
    lead = sum(m for t, m in kept if t in la and t in lb)
    num = sum(m for t, m in kept if is_number(t) and not t.startswith(DATE_PREFIX))  # a date term holds digits too
    dates = int(any(t.startswith(DATE_PREFIX) for t, _ in kept))
    names = sum(1 for t, _ in kept if not t.startswith(DATE_PREFIX) and not is_number(t))
    j = s / (a.total + b.total - dropped - s) if s else 0.0
    da = {t for t in LEAD[id(a.line_words)] if t.startswith(DATE_PREFIX) and not t.startswith(WEEKDAY_PREFIX)}
    db = {t for t in LEAD[id(b.line_words)] if t.startswith(DATE_PREFIX) and not t.startswith(WEEKDAY_PREFIX)}
    conflict = 1.0 if da and db and not (da & db) else 0.0
    cover = s / max(1e-9, min(a.total - 0.5 * dropped, b.total - 0.5 * dropped)) if s else 0.0
    return [math.log(j + 1e-3), lead / s if s else 0.0, num / s if s else 0.0, dates, conflict,
            math.log1p(names), math.log(cover + 1e-3)], j


def fit(x, y, l2=1.0, iters=50):
    x = np.hstack([x, np.ones((len(x), 1))])
    mu, sd = x[:, :-1].mean(0), x[:, :-1].std(0) + 1e-9
    x[:, :-1] = (x[:, :-1] - mu) / sd
    w = np.zeros(x.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-x @ w))
        g = x.T @ (p - y) + l2 * np.r_[w[:-1], 0]
        h = x.T @ (x * (p * (1 - p))[:, None]) + l2 * np.diag(np.r_[np.ones(len(w) - 1), 0])
        w -= np.linalg.solve(h, g)
    # back to raw features
    coef = w[:-1] / sd
    return coef, w[-1] - (mu * coef).sum()


def tune_pairs(cfg, all_topics=False):
    """Features and labels (same event) of the TUNE half's pairs with J > 0: within a topic
    (same event vs the topic's other event), or with `all_topics` every pair (another
    topic's document is another event too)."""
    p = load()
    gold = p["gold"]
    tune = [d for d in p["ecb"] if d.ok and is_tune_topic(int(d.id.split("/")[0]))]
    old = stories.doc_terms
    stories.doc_terms = dt_lead
    w = stories.doc_weights(tune, tw.TermWeights(cfg["story"]).observe(tune))
    stories.doc_terms = old
    x, y = [], []
    for i in range(len(tune)):
        for k in range(i + 1, len(tune)):
            a, b = gold[tune[i].id], gold[tune[k].id]
            if (all_topics or a.split("_")[0] == b.split("_")[0]) and w[i].weights.keys() & w[k].weights.keys():
                f, j = feats(w[i], w[k])
                if j > 0:
                    x.append(f)
                    y.append(a == b)
    return np.array(x), np.array(y, dtype=float)


def make(coef, icpt=None, center=None):
    """The fit as a story score: its probability (icpt given), or on the Jaccard's own scale
    (center given): J x exp(sum (c_k / c_J) (f_k - center_k)), k over the features but log J
    (the fit's ranking, no saturation, thresholds keep their meaning)."""
    def sim(a, b):
        if not (a.weights.keys() & b.weights.keys()):
            return 0.0
        f, j = feats(a, b)
        if j <= 0:
            return 0.0
        if center is not None:
            return j * math.exp(sum(coef[k] / coef[0] * (f[k] - center[k]) for k in range(1, len(f)) if coef[k]))
        return 1 / (1 + math.exp(-(icpt + sum(c * v for c, v in zip(coef, f)))))
    return sim


def fitted(cols, pairs=None):
    """(coefficients over every feature, 0 for those left out; intercept; the pairs' means)."""
    x, y = tune_pairs(config_from_dict()) if pairs is None else pairs
    coef, icpt = fit(x[:, cols], y)
    full = np.zeros(len(NAMES))
    full[cols] = coef
    return full, icpt, x.mean(0)


if __name__ == "__main__":
    cfg = config_from_dict()
    x, y = tune_pairs(cfg)
    print(len(y), int(y.sum()))
    coef, icpt = fit(x, y)
    print(dict(zip(NAMES, np.round(coef, 3))), round(icpt, 3))


def run(variants, keep=None, validate=False, pairs=None):
    """The probability as the score; variants: (threshold, local_threshold, local_df_factor)."""
    cols = list(range(len(NAMES))) if keep is None else keep
    full, icpt, _ = fitted(cols, pairs)
    print("features", [NAMES[c] for c in cols], "coef", {NAMES[c]: round(full[c], 3) for c in cols}, "icpt", round(icpt, 3), flush=True)
    sim = make(full, icpt)
    for thr, loc, ldf in variants:
        ov = {"story": {"threshold": thr, "local_threshold": loc, "local_df_factor": ldf}}
        r, ts = evaluate("", ov, sim=sim, dt=dt_lead, quiet=True, validate=validate)
        print(f"  thr {thr} local {loc} ldf {ldf}", r, flush=True)
    return full, icpt


def run_mult(variants, keep, validate=False, pairs=None):
    """The Jaccard-scale form; variants: config overrides."""
    cols = [0, *[k for k in keep if k]]
    full, _, center = fitted(cols, pairs)
    print("mult features", [NAMES[c] for c in cols], "factor exponents", {NAMES[c]: round(full[c] / full[0], 3) for c in cols[1:]},
          "centred on", {NAMES[c]: round(center[c], 3) for c in cols[1:]}, flush=True)
    sim = make(full, center=center)
    for ov in variants:
        r, ts = evaluate("", ov, sim=sim, dt=dt_lead, quiet=True, validate=validate)
        print(f"  {ov}", r, flush=True)
    return full, center
