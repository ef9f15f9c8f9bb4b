"""Scratch (story-12f), idea a: a null model of the shared weight. Under independent draws,
how much weight would two documents of these sizes share by chance, given each term's
general frequency (wordfreq: a document of m words holds a word of frequency f with
probability 1 - exp(-m f)) and, in a run, its share of the run's other documents?
a1: chance-corrected weighted Jaccard, (S - k E[S]) / (A + B - S); a2: J x min(1, z / z0),
z = (S - E[S]) / sd[S]."""
import math
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval12f import evaluate, tw, counted  # noqa: E402
from cleaner.dedup.terms import DATE_PREFIX  # noqa: E402

INFO = {}  # id(line_words) -> (words, {term: (per-word frequency, corpus share)})
FLOOR = 1e-8  # zipf 1: below the smallest frequency wordfreq's lists hold
DATE_P = 0.01
SHARE = [1.0]  # 0: wordfreq alone; 1: the run's share blended as corpus_factor blends it


def dt_null(doc, weigh):
    t = ORIG(doc, weigh)
    f = {}
    n = weigh.n
    for term in t.weights:
        if term.startswith(DATE_PREFIX):
            freq = None
        else:
            z = weigh.zipf(term, doc.lang)
            freq = 10.0 ** (z - 9.0) if z > 0 else FLOOR
        # a run's own share, blended in as corpus_factor does: barely for a few hundred documents
        q = SHARE[0] * n / (n + weigh.corpus_docs) * (weigh.df.get(term, 1) - 1) / (n - 1) if n >= 3 else 0.0
        f[term] = (freq, q)
    INFO[id(t.line_words)] = (max(1, doc.features.words), f)
    return t


ORIG = tw.doc_terms


def prob(freq_q, m):
    freq, q = freq_q
    p = DATE_P if freq is None else 1.0 - math.exp(-m * freq)
    return min(0.999, max(p, q))


def parts(a, b):
    """(shared S, dropped, E[S], Var[S]) as similarity() counts S."""
    kept, dropped, skip = counted(a, b)
    ma, fa = INFO[id(a.line_words)]
    mb, fb = INFO[id(b.line_words)]
    e = v = 0.0
    for w, f, m in ((a.weights, fa, mb), (b.weights, fb, ma)):
        for t, x in w.items():
            if t in skip:
                continue
            pr = prob(f[t], m)
            e += 0.5 * x * pr
            v += 0.25 * x * x * pr * (1 - pr)
    return sum(x for _, x in kept), dropped, e, v


def make(kind, x):
    """a1 (x = k): (S - k E[S]) / (A + B - S); a2 (x = z0): J x min(1, z / z0)."""
    def sim(a, b):
        if not (a.weights.keys() & b.weights.keys()):
            return 0.0
        s, dropped, e, v = parts(a, b)
        if s <= 0:
            return 0.0
        union = a.total + b.total - dropped - s
        if kind == "a1":
            return max(0.0, s - x * e) / union
        z = (s - e) / math.sqrt(v) if v > 0 else 1e9
        return s / union * min(1.0, max(0.0, z / x))
    return sim


def make_a1(k):
    return make("a1", k)


def make_a2(z0):
    return make("a2", z0)


if __name__ == "__main__":
    which = sys.argv[1]
    for x in map(float, sys.argv[2].split(",")):
        sim = make_a1(x) if which == "a1" else make_a2(x)
        extra = {}
        if len(sys.argv) > 3:
            extra = {"story": {"threshold": float(sys.argv[3])}}
        evaluate(f"{which} {x} {extra}", extra, sim=sim, dt=dt_null)
