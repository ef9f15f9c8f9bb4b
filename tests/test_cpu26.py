"""#18 point 2 (cpu-26): pack_line_words hashes every used line's words at once (one split,
one sort) instead of a line at a time. Its bytes must be the line-at-a-time path's (the code
of main at 6dab21d, written out here), on varied texts and when a word's CRC-32 is the line
break marker's (then it takes the line-at-a-time path itself)."""

from __future__ import annotations

import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.text import nfkc
from cleaner.dedup import terms

PIECES = ["abc", "Odesa", "Київ", "Ωμέγα", "١٢٣", "12", "_", " ", "  ", "\t", "\n", "\x00", "ß", "İ", "ﬁ", "ǅ",
          "字", "ア", "한", "\u00a0", "\u3000", "\u2028", "—", "'", "’", "-", ".", "x" * 40, "abc abc", "é", "̀"]
LINES = st.lists(st.sampled_from(PIECES), max_size=30).map("".join) | st.text(alphabet=st.characters(), max_size=120)


def _pack_line_at_a_time(lines: list[str], term_lines: list[list[int]], normalized: bool = False) -> bytes:
    """pack_line_words of main at 6dab21d: lines_word_hashes (a list of sorted lists), then the layout."""
    used = sorted(set().union(*term_lines))
    where = {i: k for k, i in enumerate(used)}
    words = terms.lines_word_hashes([lines[i] for i in used] if normalized else [nfkc(lines[i]) for i in used])
    return terms.packed_layout(words, term_lines, where)


def _term_lines(data: st.DataObject, n: int) -> list[list[int]]:
    return data.draw(st.lists(st.lists(st.integers(0, n - 1), min_size=1, max_size=5)
                              .map(lambda xs: sorted(set(xs))), max_size=10))


@settings(max_examples=400, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=12), st.data())
def test_pack_line_words_is_the_line_at_a_time_path(lines, data):
    term_lines = _term_lines(data, len(lines))
    assert terms.pack_line_words(lines, term_lines) == _pack_line_at_a_time(lines, term_lines)
    normal = [nfkc(line) for line in lines]
    assert terms.pack_line_words(normal, term_lines, True) == _pack_line_at_a_time(normal, term_lines, True)


def test_a_word_with_the_break_markers_crc_takes_the_line_at_a_time_path(monkeypatch):
    # A word whose CRC-32 is the marker's would count as a line break: the count of markers
    # then differs from the lines', and the line-at-a-time path answers. Forged here by
    # making a real word's CRC-32 the marker's.
    lines = ["Odesa said 12 words", "the port of Odesa", "nothing", "odesa again, twice: odesa"]
    term_lines = [[0, 1, 3], [2], [1]]
    want = _pack_line_at_a_time(lines, term_lines, True)
    monkeypatch.setattr(terms, "_BREAK_CRC", terms.np.uint64(zlib.crc32(b"odesa")))
    assert terms.pack_line_words(lines, term_lines, True) == want
    monkeypatch.setattr(terms, "lines_word_hashes", lambda lines: [[] for _ in lines])
    assert terms.pack_line_words(lines, term_lines, True) != want  # it did take that path


def test_pack_line_words_edges():
    for lines, term_lines in [([""], [[0]]), (["", "", ""], [[0, 2], [1]]), (["a b a", "b"], []),
                              (["one\u2028two", "x"], [[0, 1]]), (["a\nb", "c"], [[0], [1]])]:
        assert terms.pack_line_words(lines, term_lines, True) == _pack_line_at_a_time(lines, term_lines, True)
