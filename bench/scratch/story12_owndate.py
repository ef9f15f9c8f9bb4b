"""Scratch (story-12h, session 16): a document without a date takes its own date from a
full date (day, month name, year) written in its first lines ("WASHINGTON, DC, April 28,
2009", "Posted Oct 26, 2011"), as a dateline gives it; then its weekdays ("on Tuesday")
resolve against that date to calendar days (terms.py, as for a dated document) and the date
window reads days with their year (#12's idea: dates in the text resolved against the
document's own date). ECB+ documents have no date field; about a third print one so.

The ECB+ documents (and the chance corpus, to see what a random first line does) are signed
again with the date found; the family is scored as story12_blend.py scores (tune half only, 5
folds of tune topics; nested CV; the link settings by the best mean fold ARI). Validate is
never read here. python3 bench/scratch/story12_owndate.py PREP.pkl OUT.json [LINES]"""
import copy, re, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval12f  # noqa: E402
from story12_grid import run_grid  # noqa: E402
from cluster_bench import signed  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.core.dates import normalise_date, _months  # noqa: E402

def own_date(text: str, lines: int = 3) -> str | None:
    """The first full date (with a year) in the text's first `lines` lines."""
    head = "\n".join((text or "").split("\n")[:lines])
    months = _months()
    for m in re.finditer(r"\b\d{1,2}\.?\s+(\w+)\s+\d{4}\b|\b(\w+)\.?\s+\d{1,2},?\s+\d{4}\b", head):
        word = (m.group(1) or m.group(2) or "").casefold()
        if word in months or word[:3] in {k[:3] for k in months}:
            found = normalise_date(m.group(0))
            if found:
                return found
    return None


def dated(docs, cfg, lines=3):
    out, n = [], 0
    for d in docs:
        if not d.date and (found := own_date(d.text, lines)):
            d = copy.copy(d)
            d.date = found
            n += 1
        out.append(d)
    return signed(out, cfg), n



if __name__ == "__main__":
    LINES = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    _dated = {}

    def tune_docs(fam, p):
        if fam == "today":
            return p["ecb"]
        if "ecb" not in _dated:
            _dated["ecb"], n = dated(p["ecb"], config_from_dict(), LINES)
            print("ECB+ documents given a date from their text:", n, "of", len(p["ecb"]), flush=True)
        return _dated["ecb"]

    run_grid(sys.argv[1], sys.argv[2], ["today", "own_date"], lambda fam: eval12f.install(None), tune_docs)
