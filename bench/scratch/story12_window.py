"""Scratch (story-12h, session 16): a date window that grows with the gap. Today a pair dated
further apart than story.date_window_days (3) counts story.outside_window_factor (0.9) times
its similarity, whatever the gap: a week and two years weigh the same. The family tried:
factor = outside / (1 + (gap - window) / T) beyond the window, T 30 / 90 / 180 days (T
infinite: today's). ECB+'s events run over weeks, a topic's two events are months or years
apart; the trap set's events are days to a week apart. Gaps come from datelines (day and
month, no year) in ECB+ (105 of the 271 tune documents have one).

Chosen as story12_blend.py chooses (tune half only, 5 folds of tune topics; the family by
nested CV, the link settings by the best mean fold ARI); validate is never read here.
python3 bench/scratch/story12_window.py PREP.pkl OUT.json"""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from story12_grid import run_grid  # noqa: E402
from cleaner.core.dates import story_gap  # noqa: E402
from cleaner.dedup import stories  # noqa: E402
from cleaner.dedup.term_weights import features  # noqa: E402

ORIG = stories.window_factor
FAMILIES = {"T_inf": None, "T180": 180.0, "T90": 90.0, "T30": 30.0}


def graded(T):
    def window_factor(a, b, window_days, outside):
        gap = story_gap(a.date, features(a).dateline, b.date, features(b).dateline)
        if gap is None or gap <= window_days:
            return 1.0, gap
        return outside / (1.0 + (gap - window_days) / T), gap
    return window_factor


def install(family):
    T = FAMILIES.get(family) if family else None
    stories.window_factor = ORIG if T is None else graded(T)



if __name__ == "__main__":
    run_grid(sys.argv[1], sys.argv[2], list(FAMILIES), install)
    install(None)
