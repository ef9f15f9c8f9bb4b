"""#18: the "via AP" credit regex starts with its literal, the word boundary checked behind
it, so the engine jumps from one "via" to the next instead of trying \\b at every position.
The same matches as the pattern first written, on any text."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.document import Document
from cleaner.dedup.credits import _VIA, credited_names

BEFORE = re.compile(r"(?m)\bvia\s+(?P<name>(?:[A-Z][\w&.'’-]*\s?){1,4})\s*\.?\s*$")  # as first written

PIECES = ["via", "Via", "avia", "_via", "évia", "2via", " ", "  ", "\n", "\t", "AP", "The", "Associated", "Press",
          "ap", ".", "-", "’", "&", "é", "x", "Bolivia", "trivia"]


def _matches(pattern: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], str]]:
    return [(m.span(), m.group("name")) for m in pattern.finditer(text)]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join) | st.text(max_size=80))
def test_via_pattern_finds_what_the_first_one_found(text):
    assert _matches(_VIA, text) == _matches(BEFORE, text)


def test_via_credits_still_read():
    doc = Document(id="d", source="s", text="Floods closed the roads.\nPhotos via The Associated Press.\n"
                                           "A trivia note via Reuters\nNot avia AP")
    assert _matches(_VIA, doc.text) == _matches(BEFORE, doc.text)
    assert len(_matches(_VIA, doc.text)) == 2
    assert credited_names(doc)  # the two credits reach the document's names
