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
import copy, itertools, json, pickle, re, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval12f  # noqa: E402
from eval12f import load, fresh  # noqa: E402
from cv12g import FOLDS, topic, sub_ari  # noqa: E402
from story12_blend import THRESHOLDS, LOCALS  # noqa: E402
from cluster_bench import is_tune_topic, predicted, signed  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.core.dates import normalise_date, _months  # noqa: E402

START = re.compile(r"\b(?=\w)")


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


def run(prep, out_path, lines=3):
    p = load(prep)
    gold = p["gold"]
    cfg0 = config_from_dict()
    ecb2, n = dated(p["ecb"], cfg0, lines)
    print("ECB+ documents given a date from their text:", n, "of", len(ecb2), flush=True)
    from cleaner.dedup.cluster import cluster
    rows = []
    t0 = time.time()
    for fam, docs in (("today", p["ecb"]), ("own_date", ecb2)):
        tune = [d for d in docs if is_tune_topic(topic(d))]
        fold_ids = [[d.id for d in tune if topic(d) in f] for f in FOLDS]
        for thr, loc in itertools.product(THRESHOLDS, LOCALS):
            cfg = config_from_dict({"story": {"threshold": thr, "local_threshold": loc}})
            pred = predicted(cluster(fresh(tune), cfg))
            rows.append({"family": fam, "threshold": thr, "local_threshold": loc,
                         "tune": sub_ari(pred, gold, [d.id for d in tune]),
                         "folds": [sub_ari(pred, gold, ids) for ids in fold_ids]})
        print(fam, len(rows), f"{time.time() - t0:.0f}s", flush=True)
        json.dump(rows, open(out_path, "w"))
    pickle.dump(ecb2, open(out_path + ".ecb.pkl", "wb"))


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
