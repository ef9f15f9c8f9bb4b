"""Scratch (story-12f), idea c: what separates the trap set's different events, pair by pair:
their shared weight is names (the protagonist, the place); retellings also share the
numbers and days of what happened (trap set: numbers + dates are 0-15% of a different-event
pair's shared weight, 14-97% of a retelling's). Tried: a pair's similarity times
f + (1 - f) x min(1, anchor / s0), anchor = the share of its counted shared weight that is
numbers or dates (s0 = 0: only pairs sharing none are multiplied by f)."""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval12f import evaluate, counted  # noqa: E402
from cleaner.dedup.terms import DATE_PREFIX, is_number  # noqa: E402


def make(f, s0, years=True):
    def sim(a, b):
        if not (a.weights.keys() & b.weights.keys()):
            return 0.0
        kept, dropped, _ = counted(a, b)
        s = sum(m for _, m in kept)
        if not s:
            return 0.0
        anchor = sum(m for t, m in kept
                     if t.startswith(DATE_PREFIX) or (is_number(t) and (years or not (len(t) == 4 and t[:2] in ("19", "20")))))
        j = s / (a.total + b.total - dropped - s)
        share = anchor / s
        g = (1.0 if share > 0 else f) if s0 == 0 else f + (1 - f) * min(1.0, share / s0)
        return j * g
    return sim


if __name__ == "__main__":
    for spec in sys.argv[1:]:
        f, s0 = map(float, spec.split(":"))
        evaluate(f"anchor f={f} s0={s0}", sim=make(f, s0))
