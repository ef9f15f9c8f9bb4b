"""Scratch (story-12h, session 16): places named as where something happened weigh more
(#12's idea "places more specific than countries", measured for the first time). A name
that follows a locative word ("in Brooklyn", "at Sandy Hook", "near Albany") in the text is
where the report puts what happened: two events of one person or one kind usually happen
in different places, and retellings of one event name the same place. Rarity already puts
a district above its country; this adds the text's own cue. The cue words are grammar, not
names (English here: ECB+ is English; a product form would need each language's).

A located name's weight is multiplied by b (1: today). Chosen as story12_blend.py chooses
(tune half only, 5 folds of tune topics; the family by nested CV, the link settings by the
best mean fold ARI); validate is never read here.
python3 bench/scratch/story12_place.py PREP.pkl OUT.json"""
import itertools, json, re, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval12f  # noqa: E402
from eval12f import load, fresh  # noqa: E402
from cv12g import FOLDS, topic, sub_ari  # noqa: E402
from story12_blend import THRESHOLDS, LOCALS  # noqa: E402
from cluster_bench import is_tune_topic, predicted  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup import term_weights as tw  # noqa: E402
from cleaner.dedup.terms import DATE_PREFIX, is_number  # noqa: E402

# a capitalised word (or up to three) after a locative word; "the" skipped
LOCATED = re.compile(r"\b(?:in|at|near|outside|inside|across|from)\s+(?:the\s+)?((?:[A-Z][\w'\u2019-]*\s?){1,3})")
FAMILIES = {"b1": 1.0, "b1.5": 1.5, "b2": 2.0, "b3": 3.0}
_places: dict[str, frozenset[str]] = {}


def places(doc) -> frozenset[str]:
    got = _places.get(doc.id)
    if got is None:
        words = set()
        for m in LOCATED.finditer(doc.text or ""):
            words.update(w.lower().strip("'\u2019-") for w in m.group(1).split())
        got = _places[doc.id] = frozenset(words)
    return got


def boosted(b):
    def doc_terms(doc, weigh):
        t = tw.doc_terms(doc, weigh)
        if b == 1.0:
            return t
        mine = places(doc)
        w = {k: (v * b if k in mine and not is_number(k) and not k.startswith(DATE_PREFIX) else v)
             for k, v in t.weights.items()}
        return tw.DocTerms(w, t.lines, sum(w.values()), t.line_words, t.overlap)
    return doc_terms


def run(prep, out_path):
    p = load(prep)
    gold = p["gold"]
    tune = [d for d in p["ecb"] if is_tune_topic(topic(d))]
    fold_ids = [[d.id for d in tune if topic(d) in f] for f in FOLDS]
    from cleaner.dedup.cluster import cluster
    rows = []
    t0 = time.time()
    for fam, b in FAMILIES.items():
        eval12f.install(None, boosted(b))
        for thr, loc in itertools.product(THRESHOLDS, LOCALS):
            cfg = config_from_dict({"story": {"threshold": thr, "local_threshold": loc}})
            pred = predicted(cluster(fresh(tune), cfg))
            rows.append({"family": fam, "threshold": thr, "local_threshold": loc,
                         "tune": sub_ari(pred, gold, [d.id for d in tune]),
                         "folds": [sub_ari(pred, gold, ids) for ids in fold_ids]})
        print(fam, len(rows), f"{time.time() - t0:.0f}s", flush=True)
        json.dump(rows, open(out_path, "w"))
    eval12f.install(None)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2])
