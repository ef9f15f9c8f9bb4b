"""Scratch (story-12h): what the tune-only rules pick from a story12_*.py family script's grid (story12_grid.py).

Rules, fixed before validate was read (BENCHMARKS.md, story-12h):
- the family: the best nested-CV figure (for each of the 5 tune folds, the settings best on
  the mean of the other four folds' ARIs, every tied one averaged, scored on the held-out
  fold; the mean over folds). A family that does not beat today's (k1_c1000) by more than
  0.005 is not chosen: no change.
- within the chosen family: the best mean fold ARI; ties broken by the stability (the mean
  fold ARI averaged over the setting and its one-step grid neighbours), then by the fewest
  changes from the defaults (threshold 0.11, local_threshold 0.0675).
python3 bench/scratch/story12_pick.py OUT.json"""
import json, statistics as st, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from story12_grid import THRESHOLDS, LOCALS  # noqa: E402

EPS = 1e-9


def main(path):
    rows = json.load(open(path))
    fams = sorted({r["family"] for r in rows}, key=lambda f: [r["family"] for r in rows].index(f))
    out = {}
    for fam in fams:
        rs = [r for r in rows if r["family"] == fam]
        by = {(r["threshold"], r["local_threshold"]): r for r in rs}
        for r in rs:
            r["mean_fold"] = st.mean(r["folds"])
            i, j = THRESHOLDS.index(r["threshold"]), LOCALS.index(r["local_threshold"])
            near = [by[(THRESHOLDS[a], LOCALS[b])] for a, b in ((i, j), (i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1))
                    if 0 <= a < len(THRESHOLDS) and 0 <= b < len(LOCALS)]
            r["near"] = near
        for r in rs:
            r["smoothed"] = st.mean(x["mean_fold"] for x in r["near"])
            r["changed"] = (r["threshold"] != 0.11) + (r["local_threshold"] != 0.0675)
        held = []
        for k in range(5):
            crit = lambda r: st.mean(x for i, x in enumerate(r["folds"]) if i != k)
            top = max(crit(r) for r in rs)
            held.append(st.mean(r["folds"][k] for r in rs if crit(r) > top - EPS))
        pick = max(rs, key=lambda r: (round(r["mean_fold"], 9), round(r["smoothed"], 9), -r["changed"]))
        out[fam] = {"nested_cv": st.mean(held), "held": held, "pick": pick}
        print(f"{fam:9s} nested CV {st.mean(held):.4f} {[round(x, 3) for x in held]} | best tune {max(r['tune'] for r in rs):.4f}"
              f" | pick thr {pick['threshold']} local {pick['local_threshold']}: tune {pick['tune']:.4f} mean fold"
              f" {pick['mean_fold']:.4f} smoothed {pick['smoothed']:.4f} folds {[round(x, 3) for x in pick['folds']]}")
        d = by.get((0.11, 0.0675))
        if d:
            print(f"{'':9s} at the defaults' link settings: tune {d['tune']:.4f} mean fold {d['mean_fold']:.4f}")
    return out


if __name__ == "__main__":
    main(sys.argv[1])
