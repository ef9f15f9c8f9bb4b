"""Scratch (story-12g): read cv12g.py's grid and say what each way of choosing picks, on
tune only. python3 bench/scratch/cvpick12g.py GRID.json GRIDNAME"""
import json, statistics as st, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from cv12g import GRIDS  # noqa: E402

DEFAULTS = {"threshold": 0.11, "local_threshold": 0.075, "split_ratio": 0.4, "outside_window_factor": 0.9,
            "local_df_factor": 0.5, "lead_boost": 2.0, "date_weight": 25.0, "rarity_base": 8.0, "lead_words": 40}
EPS = 1e-9


def main(path, grid_name):
    rows = json.load(open(path))
    grid = GRIDS[grid_name]
    keys = list(grid)
    key = lambda s: tuple(s[k] for k in keys)
    by = {key(r["setting"]): r for r in rows}
    for r in rows:
        r["mean_fold"] = st.mean(r["folds"])
        r["min_fold"] = min(r["folds"])
        r["changed"] = sum(r["setting"][k] != DEFAULTS[k] for k in keys)
    # stability: the mean fold ARI averaged over the setting and its one-step grid neighbours
    for r in rows:
        s = r["setting"]
        near = [r]
        for k in keys:
            vals = grid[k]
            i = vals.index(s[k])
            for j in (i - 1, i + 1):
                if 0 <= j < len(vals):
                    near.append(by[key({**s, k: vals[j]})])
        r["smoothed"] = st.mean(x["mean_fold"] for x in near)
    d = by[key({k: DEFAULTS[k] for k in keys})]
    fmt = lambda r: (f"{r['setting']} tune {r['tune']:.4f} mean fold {r['mean_fold']:.4f} min fold {r['min_fold']:.4f}"
                     f" folds {[round(x, 3) for x in r['folds']]} smoothed {r['smoothed']:.4f}")
    print("settings:", len(rows))
    print("DEFAULTS", fmt(d))
    best_tune = max(r["tune"] for r in rows)
    print("best tune ARI", round(best_tune, 4), "held by", sum(r["tune"] > best_tune - EPS for r in rows), "settings")
    # nested CV of three procedures: pick on the other four folds by pooled ARI (complement),
    # by their mean fold ARI, by the smoothed mean (over the other four folds)
    for proc in ("complement ARI (= best on tune)", "mean of the other folds' ARI"):
        held, picks = [], []
        for k in range(5):
            if proc.startswith("complement"):
                crit = lambda r: r["complements"][k]
            else:
                crit = lambda r: st.mean(x for i, x in enumerate(r["folds"]) if i != k)
            top = max(crit(r) for r in rows)
            tied = [r for r in rows if crit(r) > top - EPS]
            held.append(st.mean(r["folds"][k] for r in tied))
            picks.append(len(tied))
        print(f"nested CV, pick by {proc}: held-out fold ARIs {[round(x, 3) for x in held]} mean {st.mean(held):.4f}; tied settings per fold {picks}")
    # the defaults' own cross-validated figure is their mean fold ARI (a fixed setting fits nothing)
    for name, crit in (("max mean fold ARI", lambda r: (round(r["mean_fold"], 9), round(r["min_fold"], 9), -r["changed"])),
                       ("max smoothed mean fold ARI (stability)", lambda r: (round(r["smoothed"], 9), round(r["mean_fold"], 9), -r["changed"])),
                       ("max min fold ARI", lambda r: (round(r["min_fold"], 9), round(r["mean_fold"], 9), -r["changed"]))):
        ranked = sorted(rows, key=crit, reverse=True)
        print(f"PICK {name}:")
        for r in ranked[:5]:
            print("   ", fmt(r))
    # how flat: settings within 0.005 of the best mean fold ARI
    top = max(r["mean_fold"] for r in rows)
    print("settings within 0.005 of the best mean fold ARI:", sum(r["mean_fold"] > top - 0.005 for r in rows))
    for k in keys:
        print(k, {v: round(max(r["mean_fold"] for r in rows if r["setting"][k] == v), 4) for v in grid[k]},
              "best mean fold at each value;", "at defaults elsewhere:",
              {v: round(by[key({**{kk: DEFAULTS[kk] for kk in keys}, k: v})]["mean_fold"], 4) for v in grid[k]})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
