"""Scratch (story-12g), direction B: evidence that two texts tell the same kind of event
about the same protagonist but a different instance of it. Two pair features, general
(no names), each as a factor on the story similarity; measured on the tune half of ECB+
(ARI, within-topic pair AUC), chance seed 11 and the trap set (eval12f.evaluate).

1. Conflicting counts in the leads ("counts"): in the title and the first lead_words words,
   each number followed by a word ("8 people", "27 injured", "6.1 magnitude") is a count of
   that word. Two leads conflict when they count the same word with values that share
   nothing, and agree on no count. Years, days of months and numbers before month names
   aside. Factor f for a conflicting pair.
2. Asymmetric containment ("cover"): of each document's own high-weight terms (names and
   numbers weighing >= W, its lead's terms with the boost), the share of weight the other
   document shares (as similarity counts it). Retellings: the shorter's specifics are in the
   longer (max side high); the same person's other event: each has specifics the other lacks
   (both sides low). Factor g(min side) = f + (1 - f) min(1, cover / c0).
python3 bench/scratch/b12g.py /tmp/s12g/prep.pkl auc|ari SPEC..."""
import re, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval12f  # noqa: E402
from eval12f import evaluate, counted, ORIG_DT, load  # noqa: E402
from cluster_bench import is_tune_topic, auc  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup.stories import doc_weights  # noqa: E402
from cleaner.dedup.term_weights import TermWeights, similarity  # noqa: E402
from cleaner.dedup.terms import DATE_PREFIX, is_number, calendar_names  # noqa: E402

_TOK = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
MONTHS = calendar_names()
EXTRA: dict[int, tuple] = {}  # id(line_words) -> (line_words, counts)


def lead_counts(title, text, words=40):
    toks = _TOK.findall((title or "") + " . " + (text or ""))
    # the title's tokens plus the text's first `words` word tokens
    n_title = len(_TOK.findall(title or "")) + 1
    toks = toks[:n_title + words]
    counts = {}
    for i, t in enumerate(toks[:-1]):
        if not t[0].isdigit():
            continue
        nxt = toks[i + 1].lower()
        if nxt[0].isdigit() or len(nxt) < 3 or nxt in MONTHS:
            continue
        if len(t) == 4 and t[:2] in ("19", "20"):
            continue
        if i > 0 and toks[i - 1].lower() in MONTHS:
            continue
        counts.setdefault(nxt, set()).add(t.replace(",", ""))
    return counts


def dt(doc, weigh):
    x = ORIG_DT(doc, weigh)
    EXTRA[id(x.line_words)] = (x.line_words, lead_counts(doc.title, doc.text))
    return x


def conflict(a, b):
    ca, cb = EXTRA[id(a.line_words)][1], EXTRA[id(b.line_words)][1]
    keys = ca.keys() & cb.keys()
    if not keys:
        return 0
    if any(ca[k] & cb[k] for k in keys):
        return 0
    return 1


def cover(a, b, w_min):
    kept, _, _ = counted(a, b)
    shared = {t for t, _ in kept}
    def side(x):
        top = {t: w for t, w in x.weights.items() if w >= w_min}
        tot = sum(top.values())
        return sum(w for t, w in top.items() if t in shared) / tot if tot else 1.0
    return side(a), side(b)


def make(kind, f, c0=0.0, w_min=16.0):
    def sim(a, b):
        j = similarity(a, b)
        if not j:
            return 0.0
        if kind == "counts":
            return j * (f if conflict(a, b) else 1.0)
        ca, cb = cover(a, b, w_min)
        m = min(ca, cb)
        return j * (f + (1 - f) * min(1.0, m / c0))
    return sim


def pair_table(half="tune"):
    """Within-topic pairs of the half: (J, conflict, min cover, max cover, same event)."""
    p = load()
    cfg = config_from_dict()
    gold = p["gold"]
    docs = [d for d in p["ecb"] if d.ok and is_tune_topic(int(d.id.split("/")[0])) == (half == "tune")]
    eval12f.install(None, dt)
    w = doc_weights(docs, TermWeights(cfg["story"]).observe(docs))
    w = [dt(d, TermWeights(cfg["story"]).observe(docs)) for d in docs]
    rows = []
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            a, b = gold[docs[i].id], gold[docs[j].id]
            if a.split("_")[0] != b.split("_")[0]:
                continue
            s = similarity(w[i], w[j])
            ca, cb = cover(w[i], w[j], 16.0) if s else (0.0, 0.0)
            rows.append((s, conflict(w[i], w[j]), min(ca, cb), max(ca, cb), a == b))
    eval12f.install(None)
    return rows


if __name__ == "__main__":
    load(sys.argv[1])
    mode = sys.argv[2]
    if mode == "auc":
        rows = pair_table()
        same = [r for r in rows if r[4]]
        other = [r for r in rows if not r[4]]
        print("pairs same/other", len(same), len(other))
        print("AUC J", round(auc([r[0] for r in same], [r[0] for r in other]), 4))
        for name, k in (("min cover", 2), ("max cover", 3)):
            print(f"AUC {name} alone (pairs with J>0)", round(auc([r[k] for r in same if r[0]], [r[k] for r in other if r[0]]), 4))
        hi = [r for r in rows if r[0] >= 0.08]
        print("pairs J>=0.08 same/other:", sum(r[4] for r in hi), sum(not r[4] for r in hi),
              "with conflicting counts same/other:", sum(r[1] and r[4] for r in hi), sum(r[1] and not r[4] for r in hi))
        print("all pairs with conflicting counts same/other:", sum(r[1] and r[4] for r in rows), sum(r[1] and not r[4] for r in rows))
        for f in (0.3, 0.5, 0.7):
            print(f"AUC J x {f} if counts conflict", round(auc([r[0] * (f if r[1] else 1) for r in same], [r[0] * (f if r[1] else 1) for r in other]), 4))
        for f, c0 in ((0.5, 0.3), (0.5, 0.5), (0.7, 0.5), (0.3, 0.5), (0.5, 0.7)):
            g = lambda r: r[0] * (f + (1 - f) * min(1.0, r[2] / c0))
            print(f"AUC J x g(min cover) f={f} c0={c0}", round(auc([g(r) for r in same], [g(r) for r in other]), 4))
    else:
        for spec in sys.argv[3:]:
            kind, *rest = spec.split(":")
            vals = list(map(float, rest))
            over = {}
            if len(vals) > 2:
                over = {"story": {"threshold": vals[2], "local_threshold": vals[3]}} if len(vals) > 3 else {"story": {"threshold": vals[2]}}
            evaluate(f"{spec}", overrides=over, sim=make(kind, *vals[:2]), dt=dt)
