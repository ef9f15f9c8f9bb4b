"""The per-document half of deduplication: keys and signatures, computed where text is.

Clustering then needs only these (never the texts), so it can run on signatures alone.
"""

from __future__ import annotations

import numpy as np

from cleaner.core.config import Config
from cleaner.core.document import Document
from cleaner.core.features import Features
from cleaner.dedup.credits import credited_names
from cleaner.dedup.terms import calendar_words, salient_terms, token_patterns
from cleaner.dedup.shingles import exact_key, shingle_set
from cleaner.dedup.signatures import (document_code_page, minhash_values, permutations, string_minhash, token_hashes,
                                      word_character_tables)
from cleaner.core.stage import Stage
from cleaner.core.text import is_unspaced, word_count


class Sign(Stage):
    name = "signatures"

    def __init__(self, word_ngram: int = 3, char_ngram: int = 3, num_perm: int = 128, seed: int = 1,
                 lead_words: int = 40):
        self.word_ngram, self.char_ngram = word_ngram, char_ngram
        self.num_perm, self.seed = num_perm, seed
        self.lead_words = lead_words

    @classmethod
    def from_config(cls, cfg: Config) -> "Sign":
        near, mh = cfg["near"], cfg["minhash"]
        return cls(near["word_ngram"], near["char_ngram"], mh["num_perm"], mh["seed"], cfg["story"]["lead_words"])

    def setup(self) -> None:
        token_hashes("")  # builds the word-character table (~0.2 s)
        word_character_tables()  # and its code pages' (a few ms)
        calendar_words()  # month and weekday names (cleaner/core/calendar.json)
        token_patterns()  # salient_terms' token scan for each code page
        permutations(self.num_perm, self.seed)  # once, before worker processes fork

    def near_shingles(self, text: str, values: np.ndarray | None = None, unspaced: bool | None = None) -> np.ndarray:
        """`Features.near` of a text (a state recomputes a canonical's instead of keeping it)."""
        return shingle_set(text, self.word_ngram, self.char_ngram, values, unspaced)

    def near_signature(self, near: np.ndarray) -> np.ndarray:
        """`Features.near_mh` of `Features.near`."""
        return minhash_values(near, self.num_perm, self.seed)

    def story_signature(self, terms: list[str]) -> np.ndarray:
        """`Features.story_mh` of salient terms."""
        return string_minhash(terms, self.num_perm, self.seed)

    def salient(self, text: str, date: str | None, title: str | None,
                lang: str | None) -> tuple[list[str], list[str], bytes, str | None, bytes]:
        """(terms, lead, term_lines, dateline, line_words) of a text, as `process` signs them
        (a state keeps a canonical's text, not these)."""
        return salient_terms(text, date, self.lead_words, title, lang)

    def process(self, doc: Document) -> Document:
        values = token_hashes(doc.text)  # once, for the exact key, the shingles and the count
        # A text that fits a code page holds no unspaced script (signatures.line_word_counts)
        unspaced = document_code_page(doc.text) is None and is_unspaced(doc.text)
        terms, lead, term_lines, dateline, line_words = salient_terms(doc.text, doc.date, self.lead_words,
                                                                      doc.title, doc.lang)
        near = self.near_shingles(doc.text, values, unspaced)
        doc.features = Features(
            exact=exact_key(doc.text),
            near=near,
            near_mh=self.near_signature(near),
            story_mh=self.story_signature(terms),
            terms=tuple(terms),
            lead=tuple(lead),
            term_lines=term_lines,
            dateline=dateline,
            credits=credited_names(doc),
            words=word_count(doc.text) if unspaced else len(values),
            removed=len(doc.removed),
            line_words=line_words,
        )
        return doc
