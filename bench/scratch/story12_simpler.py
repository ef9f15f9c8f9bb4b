"""Scratch (story-12h, session 16): simpler rules, each without one part the earlier rounds
added, to see whether a less fitted rule generalises better inside tune (#12's gap: tune
0.986 against validate 0.894). Families: today; no lead years as dates (story-12d's fifth
idea: tune +0.019, validate +0.007); no weekday terms in undated texts (story-12d's fourth);
no split step (split_ratio 0; and a weaker one, 0.2 / 0.3); no component-local weights (local_df_factor 0). Each with its
link settings on the story12_blend.py grid, chosen as story12_blend.py chooses (tune half
only, 5 folds of tune topics; the family by nested CV with a margin of 0.005 over today's).
Validate is never read here. python3 bench/scratch/story12_simpler.py PREP.pkl OUT.json"""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval12f  # noqa: E402
from story12_grid import run_grid  # noqa: E402
from cleaner.dedup import term_weights as tw  # noqa: E402
from cleaner.dedup.terms import WEEKDAY_PREFIX, is_year  # noqa: E402


def no_weekdays(doc, weigh):
    t = tw.doc_terms(doc, weigh)
    w = {k: v for k, v in t.weights.items() if not k.startswith(WEEKDAY_PREFIX)}
    return tw.DocTerms(w, t.lines, sum(w.values()), t.line_words, t.overlap)


FAMILIES = {"today": ({}, None, is_year), "no_lead_years": ({}, None, lambda t: False),
            "no_weekdays": ({}, no_weekdays, is_year), "split0": ({"split_ratio": 0.0}, None, is_year),
            "split0.2": ({"split_ratio": 0.2}, None, is_year), "split0.3": ({"split_ratio": 0.3}, None, is_year),
            "no_local": ({"local_df_factor": 0.0}, None, is_year)}


def install(fam):
    over, dt, year = FAMILIES[fam]
    tw.is_year = year
    eval12f.install(None, dt)
    return over



if __name__ == "__main__":
    run_grid(sys.argv[1], sys.argv[2], sys.argv[3].split(",") if len(sys.argv) > 3 else list(FAMILIES), install)
    install("today")
