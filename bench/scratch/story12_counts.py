"""Scratch (story-12h, session 16): what happened and the number that goes with it (#12's
idea: "killed 8, injured 27"), without a word list. A number (not a year) with the word next
to it ("8 people", "killed 8", "27 injured", "2 - 1 win" aside: words of 4+ letters only)
becomes a term of its own, "8>people" / "killed<8", weighing W (x story.lead_boost when the
number is in the title or lead): a bare "8" is common (wordfreq weighs it low), the count of
a thing is specific to one event. Added evidence, as the weekday was (story-12d), not a
factor. The wording rule treats a phrase as its number (a phrase inside lines both texts
print nearly word for word is wording).

Chosen as story12_blend.py chooses (tune half only, 5 folds of tune topics; the family by
nested CV with a margin of 0.005 over today's, the link settings by the best mean fold
ARI); validate is never read here.  python3 bench/scratch/story12_counts.py PREP.pkl OUT.json"""
import re, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval12f  # noqa: E402
from story12_grid import run_grid  # noqa: E402
from cleaner.dedup import term_weights as tw  # noqa: E402
from cleaner.dedup.terms import is_year  # noqa: E402

SEP = "\u241f"
TOKEN = re.compile(r"\w+")
FAMILIES = {"W0": 0.0, "W8": 8.0, "W16": 16.0, "W25": 25.0}
_phrases: dict[str, tuple[str, ...]] = {}


def phrases(doc) -> tuple[str, ...]:
    got = _phrases.get(doc.id)
    if got is None:
        terms = set(doc.features.terms)
        out = set()
        for line in (doc.text or "").split("\n"):
            toks = TOKEN.findall(line)
            for i, t in enumerate(toks):
                if t.isdigit() and t in terms and not is_year(t):
                    if i + 1 < len(toks) and toks[i + 1].isalpha() and len(toks[i + 1]) >= 4:
                        out.add(f"{t}{SEP}>{toks[i + 1].lower()}")
                    if i > 0 and toks[i - 1].isalpha() and len(toks[i - 1]) >= 4:
                        out.add(f"{t}{SEP}<{toks[i - 1].lower()}")
        got = _phrases[doc.id] = tuple(sorted(out))
    return got


def counted(W):
    def doc_terms(doc, weigh):
        t = tw.doc_terms(doc, weigh)
        if not W:
            return t
        lead = set(doc.features.lead)
        w = dict(t.weights)
        for ph in phrases(doc):
            w[ph] = W * (weigh.lead_boost if ph.split(SEP)[0] in lead else 1.0)
        return tw.DocTerms(w, t.lines, sum(w.values()), t.line_words, t.overlap)
    return doc_terms


def similarity(a, b):
    """term_weights.similarity, a phrase judged as wording by its number's lines."""
    terms = sorted(a.weights.keys() & b.weights.keys())
    if not terms:
        return 0.0
    shared = dropped = 0.0
    wa, wb = a.weights, b.weights
    alike = tw._Wording(a, b).in_alike_lines
    for t in terms:
        base = t.split(SEP)[0]
        line = a.lines.get(base)
        if (line is not None and line == b.lines.get(base)) or alike(base):
            dropped += wa[t] + wb[t]
        else:
            shared += min(wa[t], wb[t])
    if not shared:
        return 0.0
    return shared / (a.total + b.total - dropped - shared)



if __name__ == "__main__":
    run_grid(sys.argv[1], sys.argv[2], list(FAMILIES),
             lambda fam: eval12f.install(similarity if FAMILIES[fam] else None, counted(FAMILIES[fam])))
