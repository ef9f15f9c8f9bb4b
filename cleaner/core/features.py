"""What the per-document stages hand to clustering: `Features`, one per document.

The signing stage (stages/sign.py) computes them where the text is; the clustering tiers
(dedup/) read nothing else, so they can run on a process that never holds a text. An
executor may move the array fields to disk (a spool) and keep references instead: which
fields those are is read from this class (`ARRAY_FIELDS`), never listed by hand elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# A reference to an array an executor stored on disk (segment, offset, length).
ArrayRef = tuple[int, int, int]


def _array(doc: str) -> Any:
    return field(metadata={"array": True, "doc": doc})


@dataclass(slots=True)
class Features:
    """The features of one document that clustering uses (see README "Output contract")."""

    exact: str  # exact-copy key: hash of the normalised words (dedup/shingles.py)
    # Sorted unique 32-bit hashes of the word (or, unspaced, character) shingles: the
    # near-duplicate tier verifies candidates on their exact Jaccard.
    near: Any = _array("shingle hashes, uint32")
    near_mh: Any = _array("MinHash of `near`: num_perm uint32 (datasketch-compatible)")
    # MinHash of the salient terms: the estimate story members report beside the exact Jaccard.
    story_mh: Any = _array("MinHash of `terms`: num_perm uint32")
    terms: tuple[str, ...] = ()  # salient terms, sorted (dedup/terms.py)
    lead: tuple[str, ...] = ()  # those of them in the title or lead
    term_lines: bytes = b""  # each term's only line, array("I") of CRC-32s (0: on several lines)
    # "ODESA, Dec 20 -": no year, yet enough to keep a week-apart story out of the date window.
    dateline: str | None = None
    # Name keys of the sources the text credits ("(Reuters) -", "jm/dpa", "Source: AP"):
    # a document crediting someone else is a copy (dedup/credits.py).
    credits: tuple[str, ...] = ()
    words: int = 0  # words (or, unspaced, characters-based count) of the text
    removed: int = 0  # lines the stages removed: the canonical with less clutter wins ties
    # The words of the lines each term is on (dedup/terms.pack_line_words): terms two texts
    # share only inside nearly the same lines are shared wording. Last, so that a state
    # written before it reads back (without it: identical lines only, by term_lines).
    line_words: bytes = b""


ARRAY_FIELDS = tuple(f.name for f in fields(Features) if f.metadata.get("array"))
