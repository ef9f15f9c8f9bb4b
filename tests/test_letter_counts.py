"""#18: the language stage counts a character class's characters as the total length of its
runs (text.count_of), not as len(findall) of single characters: the same counts on any
text (every script, marks, digits, surrogates), so the same languages and reasons."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.text import LETTER, LETTER_RUN, count_of
from cleaner.stages.language.langdetect_fast import _LATIN, _LATIN_RUN, _NON_LATIN_RUN

PAIRS = [(LETTER, LETTER_RUN), (_LATIN, _LATIN_RUN), (re.compile("[\u0300-\U0010ffff]"), _NON_LATIN_RUN)]
MIXED = st.lists(st.sampled_from(["abc", "Ωμέγα", "Київ", "١٢٣", "12", "_", " ", "\n", "ा", "字", "̀", "[", "z{", "Ạ",
                                  "\U0010ffff", "\ud800", "é", "½", "²"]), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(MIXED | st.text(alphabet=st.characters(), max_size=120))
def test_counts_of_runs_are_counts_of_characters(text):
    for single, runs in PAIRS:
        assert count_of(runs, text) == len(single.findall(text))


def test_a_sample_is_counted():
    assert count_of(LETTER_RUN, "Kyiv 2025: ціни_зросли!") == len("Kyiv") + len("ціни") + len("зросли")
