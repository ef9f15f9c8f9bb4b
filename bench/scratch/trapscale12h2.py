"""Scratch (story-12h, session 18): where the trap pairs score, trap by trap, on the
score the trap test measures (each trap alone, term_weights.similarity), and how much of
each pair's shared weight is names both leads print, names in one lead, numbers, dates.
python3 bench/scratch/trapscale12h2.py /tmp/s12h2/prep.pkl"""
import sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench")); sys.path.insert(0, str(ROOT / "bench" / "scratch"))
import eval12f as E  # noqa: E402
from common12h2 import traps  # noqa: E402
from cleaner.dedup import term_weights as tw  # noqa: E402
from cleaner.dedup.terms import DATE_PREFIX  # noqa: E402

p, cfg, thr, by = traps(sys.argv[1])
for name, docs in sorted(by.items()):
    weigh = tw.TermWeights(cfg["story"])
    terms = {d.id: tw.doc_terms(d, weigh) for d in docs}
    rows = []
    for i, a in enumerate(docs):
        for b in docs[i + 1:]:
            same = p["trap_event"][a.id] == p["trap_event"][b.id]
            s = tw.similarity(terms[a.id], terms[b.id])
            kept, dropped, _ = E.counted(terms[a.id], terms[b.id])
            la, lb = set(a.features.lead), set(b.features.lead)
            tot = sum(w for _, w in kept) or 1
            both = sum(w for t, w in kept if t in la and t in lb) / tot
            num = sum(w for t, w in kept if t[:1].isdigit() or t.startswith(DATE_PREFIX)) / tot
            top = sorted(kept, key=lambda x: -x[1])[:6]
            rows.append((same, s, both, num, top, terms[a.id].total, terms[b.id].total))
    so = max(r[1] for r in rows if not r[0]); ms = min(r[1] for r in rows if r[0])
    print(f"{name}: max other {so:.3f} ({so / thr:.2f}x thr), min same {ms:.3f}, ratio {so / ms:.2f}")
    for r in sorted(rows, key=lambda r: -r[1]):
        print(f"   {'SAME ' if r[0] else 'other'} {r[1]:.3f} both-leads {r[2]:.2f} num/date {r[3]:.2f} totals {r[5]:.0f}/{r[6]:.0f} top {[(t, round(w)) for t, w in r[4]]}")
