"""Scratch (story-12f), idea c: what separates the trap set's different events, pair by pair:
their shared weight is names (the protagonist, the place); retellings also share the
numbers and days of what happened (trap set: numbers + dates are 0-15% of a different-event
pair's shared weight, 14-97% of a retelling's). Tried: a pair's similarity times
f + (1 - f) x min(1, anchor / s0), anchor = the share of its counted shared weight that is
numbers or dates (s0 = 0: only pairs sharing none are multiplied by f)."""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval12f import evaluate, tw  # noqa: E402
from cleaner.dedup.terms import DATE_PREFIX, is_number  # noqa: E402


def make(f, s0, years=True):
    def sim(a, b):
        terms = sorted(a.weights.keys() & b.weights.keys())
        if not terms:
            return 0.0
        wa, wb = a.weights, b.weights
        alike = tw._Wording(a, b).in_alike_lines
        s = dropped = anchor = 0.0
        for t in terms:
            line = a.lines.get(t)
            if (line is not None and line == b.lines.get(t)) or alike(t):
                dropped += wa[t] + wb[t]
                continue
            m = min(wa[t], wb[t])
            s += m
            if t.startswith(DATE_PREFIX) or (is_number(t) and (years or not (len(t) == 4 and t[:2] in ("19", "20")))):
                anchor += m
        if not s:
            return 0.0
        j = s / (a.total + b.total - dropped - s)
        share = anchor / s
        g = (1.0 if share > 0 else f) if s0 == 0 else f + (1 - f) * min(1.0, share / s0)
        return j * g
    return sim


if __name__ == "__main__":
    for spec in sys.argv[1:]:
        f, s0 = map(float, spec.split(":"))
        evaluate(f"anchor f={f} s0={s0}", sim=make(f, s0))
