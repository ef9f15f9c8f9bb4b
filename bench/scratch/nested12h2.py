"""Scratch (story-12h, session 18): from a grid file of ctx12h2_grid.py or
phrase12h2_grid.py (rows: family, threshold, local_threshold, tune ARI, 5 tune-fold ARIs),
each family's best tune ARI, its best mean fold ARI (ties: the best worst fold) and the
nested-CV figure of "take the best setting on tune" (for each fold, the settings best on the
other four folds' mean, every tied one averaged, scored on the held-out fold). Tune only.
python3 bench/scratch/nested12h2.py GRID.json"""
import json, statistics as st, sys

rows = json.load(open(sys.argv[1]))
for fam in sorted({r["family"] for r in rows}):
    rs = [r for r in rows if r["family"] == fam]
    best = max(rs, key=lambda r: (round(st.mean(r["folds"]), 9), min(r["folds"])))
    nest = []
    for k in range(5):
        sc = [st.mean([f for i, f in enumerate(r["folds"]) if i != k]) for r in rs]
        top = max(sc)
        nest.append(st.mean(r["folds"][k] for r, s in zip(rs, sc) if s >= top - 1e-9))
    print(fam, "best tune", round(max(r["tune"] for r in rs), 4), "best mean fold", round(st.mean(best["folds"]), 4),
          "at", best["threshold"], best["local_threshold"], "(tune", round(best["tune"], 4), ") nested CV",
          round(st.mean(nest), 4), [round(x, 3) for x in nest])
