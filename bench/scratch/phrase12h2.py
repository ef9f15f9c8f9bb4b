"""Scratch (story-12h, session 18): shared phrasing as story evidence. A pair's story
similarity plus lam x the Jaccard of the two texts' word 3-gram shingles (the near tier's
`Features.near`, already computed), counted only when the pair already shares counted
terms (similarity > 0, so the wording rule still keeps chance links out). Tune half,
chance seed 11 and the trap set through eval12f; validate only with --validate.
python3 bench/scratch/phrase12h2.py /tmp/s12h2/prep.pkl LAM [THRESHOLD LOCAL] [--validate]"""
import sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench")); sys.path.insert(0, str(ROOT / "bench" / "scratch"))
import numpy as np  # noqa: E402
import eval12f as E  # noqa: E402


# Each document's shingles, by the identity of its DocTerms' `lines` dict: component-local
# weights (stories.local_edges) build new DocTerms around the same `lines`, so the shingles
# follow without a copy of that function.
SHINGLES: dict[int, frozenset] = {}


def dt(doc, weigh):
    b = E.ORIG_DT(doc, weigh)
    SHINGLES[id(b.lines)] = frozenset(np.asarray(doc.features.near).tolist())
    return b


def make_sim(lam):
    def sim(a, b):
        s = E.ORIG_SIM(a, b)
        sa, sb = SHINGLES.get(id(a.lines)), SHINGLES.get(id(b.lines))
        if not s or not sa or not sb:
            return s
        inter = len(sa & sb)
        return s + lam * inter / (len(sa) + len(sb) - inter)
    return sim


if __name__ == "__main__":
    from common12h2 import idea_main
    idea_main("phrase lam", sim=make_sim, dt=lambda _: dt)
