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
import re, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval12f  # noqa: E402
from story12_grid import run_grid  # noqa: E402
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



if __name__ == "__main__":
    run_grid(sys.argv[1], sys.argv[2], list(FAMILIES), lambda fam: eval12f.install(None, boosted(FAMILIES[fam])))
