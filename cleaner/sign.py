"""The per-document half of deduplication: keys and signatures, computed where text is.

Clustering then needs only these (never the texts), so it can run on signatures alone.
"""

from __future__ import annotations

from .document import Document
from .features import calendar_words, salient_terms
from .shingles import exact_key, shingle_set
from .signatures import low32, minhash_values, string_hashes, token_hashes, unique_sorted
from .stage import Stage
from .text import is_unspaced, word_count


class Sign(Stage):
    name = "signatures"

    def __init__(self, word_ngram: int = 3, char_ngram: int = 3, num_perm: int = 128, seed: int = 1,
                 lead_words: int = 40):
        self.word_ngram, self.char_ngram = word_ngram, char_ngram
        self.num_perm, self.seed = num_perm, seed
        self.lead_words = lead_words

    @classmethod
    def from_config(cls, cfg) -> "Sign":
        near, mh = cfg["near"], cfg["minhash"]
        return cls(near["word_ngram"], near["char_ngram"], mh["num_perm"], mh["seed"], cfg["story"]["lead_words"])

    def prepare(self) -> None:
        token_hashes("")  # builds the word-character table (~0.2 s)
        calendar_words()  # month and weekday names (cleaner/calendar.json)

    def process(self, doc: Document) -> Document:
        values = token_hashes(doc.text)  # once, for the exact key, the shingles and the count
        unspaced = is_unspaced(doc.text)
        terms, lead, term_lines, dateline = salient_terms(doc.text, doc.date, self.lead_words, doc.title,
                                                               doc.lang)
        near = shingle_set(doc.text, self.word_ngram, self.char_ngram, values, unspaced)
        doc.work.update(
            exact=exact_key(doc.text),
            near=near,
            near_mh=minhash_values(near, self.num_perm, self.seed),
            terms=terms,
            lead=lead,
            term_lines=term_lines,
            # "ODESA, Dec 20 -": no year, yet enough to keep a week-apart story out of the window.
            dateline=dateline,
            # MinHash of the terms: the estimate story members report beside the exact Jaccard.
            story_mh=minhash_values(unique_sorted(low32(string_hashes(terms))), self.num_perm, self.seed),
            words=word_count(doc.text) if unspaced else len(values),
        )
        return doc
