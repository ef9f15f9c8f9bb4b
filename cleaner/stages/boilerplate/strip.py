"""Strip boilerplate line by line: rules tag lines, then one decision step applies the tags.

Tag, then decide (after allenai/dolma): the detectors say what they found and why; the
decision applies guards (long prose lines are never dropped by a heuristic; a document is
never emptied) and writes every removal, move to metadata, and overruled tag into the
document, so the audit shows all of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from cleaner.core.document import Document
from cleaner.core.stage import Stage
from cleaner.core.text import WORD, word_count
from cleaner.stages.boilerplate.decide import decide, join_lines
from cleaner.stages.boilerplate.cached import rules_and_prefilter
from cleaner.stages.boilerplate.tag import RULE_BUDGET_CHARS, OverBudget, tag_lines

TITLE_MAX_WORDS = 25


class StripBoilerplate(Stage):
    name = "boilerplate"

    def __init__(self, rule_files: Iterable[str | Path], protect_min_words: int = 40,
                 max_removed_fraction: float = 0.5, headline_max_words: int = 16,
                 budget: int = RULE_BUDGET_CHARS, certain_categories: Iterable[str] = ("consent", "legal")):
        # The rules, and which rules can match a line (derived from the rules): read back
        # from the user's cache folder when an earlier run derived them (cached.py, ~37 ms less).
        self.rules, self.prefilter = rules_and_prefilter([Path(p) for p in rule_files])
        self.protect_min_words = protect_min_words
        self.max_removed_fraction = max_removed_fraction
        self.certain = frozenset(certain_categories)
        self.headline_max_words = headline_max_words
        self.budget = budget

    def process(self, doc: Document) -> Document:
        lines = doc.text.split("\n")
        try:
            tags = tag_lines(lines, self.rules, self.headline_max_words, doc.link_density, self.budget,
                             self.prefilter)
        except OverBudget:
            tags = []  # kept as it is: nothing is removed on the strength of rules that did not all run
            doc.flags.append({"flag": "rule_budget_exceeded", "rule": "boilerplate.budget",
                              "reason": f"line rules would examine over {self.budget:,} characters of this "
                                        "document; no rule applied, the text is kept unstripped"})
        kept = decide(doc, lines, tags, self.protect_min_words, self.max_removed_fraction, self.certain)
        doc.text, doc.line_no = join_lines(kept)
        doc.link_density = None  # used up
        if not doc.text:
            return doc.reject("no text left (input has no text)")
        if not WORD.search(doc.text):
            return doc.reject("no words in the text (only symbols or punctuation)")
        if not doc.title:
            first = doc.text.split("\n", 1)[0].strip()
            if word_count(first) <= TITLE_MAX_WORDS:
                doc.title = first
                doc.meta["title"] = "first line of text"
        return doc
