"""Scratch (story-12h, session 16): corpus document frequency blended in only when the run is
large (#12's first idea: "fragile on small runs"). Today a term's corpus factor is
1 - a (1 - log(N/df) / log(N/2)) with a = N / (N + story.corpus_docs): a 271-document ECB+
half already uses a fifth of it, and in such a half a topic's own names are 5-15% of the
documents. The family tried here: a = (N / (N + c))^k, k 1 (today's form) or 2 (small runs
use almost none: 271 documents at c 1000 give 0.04 instead of 0.21; 3,000 give 0.56 instead
of 0.75), c in 300 / 1000 / 3000, and no corpus frequency at all (c infinite).

Each family's link settings (story.threshold x story.local_threshold) are chosen on the tune
half of ECB+ alone, by leave-topics-out cross-validation (story-12g's 5 folds of tune
topics); the family is chosen by nested CV (the held-out fold ARI of "best on the other four
folds"), also on tune alone. Validate is never read here.

python3 bench/scratch/story12_blend.py PREP.pkl OUT.json   (PREP: bench/scratch/prep12f.py)
"""
import math, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from story12_grid import run_grid  # noqa: E402
from cleaner.dedup import term_weights as tw  # noqa: E402
from cleaner.dedup.terms import DATE_PREFIX  # noqa: E402

ORIG = tw.TermWeights.corpus_factor


def blended(k: float, c: float):
    """TermWeights.corpus_factor with a = (N / (N + c))^k (c None: no corpus frequency)."""
    def corpus_factor(self, term: str) -> float:
        df = self.df.get(term, 0)
        if c is None or self.n < 3 or df <= 2 or term.startswith(DATE_PREFIX):
            return 1.0
        share = (self.n / (self.n + c)) ** k
        return 1.0 - share * (1.0 - math.log(self.n / df) / math.log(self.n / 2))
    return corpus_factor


FAMILIES = {"k1_c300": (1, 300), "k1_c1000": (1, 1000), "k1_c3000": (1, 3000),
            "k2_c300": (2, 300), "k2_c1000": (2, 1000), "k2_c3000": (2, 3000), "none": (1, None)}


def install(family: str | None) -> None:
    tw.TermWeights.corpus_factor = ORIG if family is None else blended(*FAMILIES[family])



if __name__ == "__main__":
    run_grid(sys.argv[1], sys.argv[2], sys.argv[3].split(",") if len(sys.argv) > 3 else list(FAMILIES), install)
    install(None)
