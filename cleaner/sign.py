"""The per-document half of deduplication: keys and signatures, computed where text is.

Clustering then needs only these (never the texts), so it can run on signatures alone.
"""

from __future__ import annotations

import numpy as np

from .document import Document
from .features import salient_terms
from .shingles import exact_key, shingle_set
from .signatures import minhash_values, token_values
from .stage import Stage
from .text import is_unspaced, tokens, word_count


class Sign(Stage):
    name = "signatures"

    def __init__(self, word_ngram: int = 5, char_ngram: int = 5, num_perm: int = 128, seed: int = 1):
        self.word_ngram, self.char_ngram = word_ngram, char_ngram
        self.num_perm, self.seed = num_perm, seed

    def process(self, doc: Document) -> Document:
        toks = tokens(doc.text)  # once, for the exact key and the shingles
        terms = sorted(salient_terms(doc.text))
        near = shingle_set(doc.text, self.word_ngram, self.char_ngram, toks)
        doc.work.update(
            exact=exact_key(doc.text, toks),
            near=near,
            near_mh=minhash_values(near, self.num_perm, self.seed),
            terms=terms,
            # MinHash of the terms: the estimate story members report beside the exact Jaccard.
            story_mh=minhash_values(np.unique(token_values(terms)), self.num_perm, self.seed),
            words=word_count(doc.text) if is_unspaced(doc.text) else len(toks),
        )
        return doc
