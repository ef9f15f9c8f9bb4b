"""Scratch (story-12h, session 18): what happened, from the lead's own words. Each
document's lead words: the title and the first story.lead_words words, lowercased, 3+
letters, no digits, not a story term (names are counted already), zipf <= ZMAX in the
document's language (function words out); weight (rarity_base - zipf)^2 as terms weigh.
Their weighted Jaccard between two leads (LJ): retellings describe the same happening
(strike, missile, port), another event of the topic another (talks, peace). Distributions
of LJ for trap retellings / trap different events and ECB+ TUNE same-event / same-topic
different-event pairs. python3 bench/scratch/leadwords12h2.py /tmp/s12h2/prep.pkl"""
import re, sys
from collections import defaultdict
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench")); sys.path.insert(0, str(ROOT / "bench" / "scratch"))
import numpy as np  # noqa: E402
import eval12f as E  # noqa: E402
from cluster_bench import is_tune_topic, auc  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup import term_weights as tw  # noqa: E402

ZMAX = 5.5
WORD = re.compile(r"[^\W\d_]{3,}")
cfg = config_from_dict()
weigh = tw.TermWeights(cfg["story"])
LEAD = cfg["story"]["lead_words"]


def lead_words(doc):
    text = ((doc.title or "") + "\n" + " ".join((doc.text or "").split()[:LEAD])).lower()
    terms = set(doc.features.terms)
    out = {}
    for w in set(WORD.findall(text)):
        if w in terms:
            continue
        z = tw.zipf(w, doc.lang)
        if 0 < z <= ZMAX:
            out[w] = (8.0 - z) ** 2
    return out


def lj(a, b):
    shared = sum(min(a[t], b[t]) for t in a.keys() & b.keys())
    tot = sum(a.values()) + sum(b.values()) - shared
    return shared / tot if tot else 0.0


if __name__ == "__main__":
    p = E.load(sys.argv[1])
    by = defaultdict(list)
    for d in p["traps"]:
        by[p["trap_event"][d.id][0]].append(d)
    ts, to = [], []
    for name, docs in sorted(by.items()):
        lw = [lead_words(d) for d in docs]
        ev = [p["trap_event"][d.id] for d in docs]
        s = [lj(lw[i], lw[j]) for i in range(4) for j in range(i + 1, 4) if ev[i] == ev[j]]
        o = [lj(lw[i], lw[j]) for i in range(4) for j in range(i + 1, 4) if ev[i] != ev[j]]
        ts += s; to += o
        print(f"  {name[:42]:42s} same {[round(x, 3) for x in s]} other max {max(o):.3f}")
    gold = p["gold"]
    docs = [d for d in p["ecb"] if d.ok and is_tune_topic(int(d.id.split("/")[0]))]
    lw = [lead_words(d) for d in docs]
    ev = [gold[d.id] for d in docs]
    S = np.load("/tmp/s12h2/S_tune.npy")
    same, other, ss, so = [], [], [], []
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            if ev[i].split("_")[0] == ev[j].split("_")[0]:
                (same if ev[i] == ev[j] else other).append(lj(lw[i], lw[j]))
                (ss if ev[i] == ev[j] else so).append(S[i, j])
    q = [0.1, 0.25, 0.5, 0.75, 0.9]
    print("traps: retellings", np.quantile(ts, q).round(3), "different events", np.quantile(to, q).round(3), "AUC", round(auc(ts, to), 3))
    print("ECB+ tune: same event", np.quantile(same, q).round(3), "other event", np.quantile(other, q).round(3), "AUC", round(auc(same, other), 3))
    same, ss = np.array(same), np.array(ss)
    print("ECB+ tune same-event pairs with LJ == 0:", round(float(np.mean(same == 0)), 3), "of them scoring >= 0.11:", int(((same == 0) & (ss >= 0.11)).sum()), "of", int((ss >= 0.11).sum()))
    print("ECB+ tune same-event pairs with LJ < 0.05:", round(float(np.mean(same < 0.05)), 3))
