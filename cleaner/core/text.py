"""What a word is, for every module that counts or compares words."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# A word is a run of letters and digits (any script); underscore and punctuation split words.
WORD_CLASS = r"[^\W_]"
WORD = re.compile(WORD_CLASS + "+", re.UNICODE)
WORD_CHAR = re.compile(WORD_CLASS)  # one character of a word (signatures' token table)
LETTER = re.compile(r"[^\W\d_]")  # a word character that is not a digit
LETTER_RUN = re.compile(r"[^\W\d_]+")
# On a text without "_", a word character is any \w (\w is WORD_CLASS and "_"), which the
# regex engine tests faster: a findall of WORD_FAST ~9% under WORD's (#18). The same words.
WORD_FAST = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """WORD.findall(text), by WORD_FAST when the text holds no "_"."""
    return (WORD if "_" in text else WORD_FAST).findall(text)


def count_of(runs: re.Pattern[str], text: str) -> int:
    """How many characters of `text` a one-character class matches, given the class's runs
    (`[...]+`): the runs' total length. Half the cost of len(findall) of the class, which
    makes a string per character (~20 µs on a 500-character sample)."""
    return sum(map(len, runs.findall(text)))


# A term of the story tier (dedup/terms.py) is a word, or words joined by a hyphen or an
# apostrophe ("Saint-Denis", "O'Neill"); a number keeps its inner separators ("03:40",
# "12,000", "2025-12-20") so that it stays one term.
TERM = re.compile(r"\d+(?:[.,:/-]\d+)*|" + WORD_CLASS + r"+(?:[-'’]" + WORD_CLASS + "+)*", re.UNICODE)
# Scripts written without spaces between words: Chinese, Japanese kana, Thai, Lao, Myanmar, Khmer.
# (Korean Hangul is written with spaces, so it counts like any spaced script.)
UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
UNSPACED_RUN = re.compile(UNSPACED.pattern + "+")  # counted by count_of


# CJK unified ideographs (the basic block and extension A). NFKC leaves each as it is and
# composes none with a neighbour (a starter, NFKC_QC=Yes, in no composition pair, as a line
# break), so a line's NFKC is the NFKC of the runs between them with the ideographs kept:
# a Chinese line with full-width punctuation then normalises its punctuation, not the whole
# line (the copy tier's 3,054 candidates at 200k: 0.28 -> 0.14 CPU s; tests/test_state21.py).
IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
BETWEEN_IDEOGRAPHS = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff]+")


def _nfkc_run(run: re.Match[str]) -> str:
    part = run.group()
    return part if unicodedata.is_normalized("NFKC", part) else unicodedata.normalize("NFKC", part)


def _nfkc_line(line: str) -> str:
    if unicodedata.is_normalized("NFKC", line):
        return line
    if not IDEOGRAPH.search(line):
        return unicodedata.normalize("NFKC", line)
    return BETWEEN_IDEOGRAPHS.sub(_nfkc_run, line)


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), normalising only the lines that need it (and in
    a line holding CJK ideographs, only the runs between them). A line break is a starter
    that never composes, so the NFKC of a text is its lines' NFKC joined by line breaks
    (tests/test_sign_fast.py); a web page's one line with a no-break space then costs that
    line's normalisation, not the whole text's (~0.1 ms for 3 KB)."""
    if unicodedata.is_normalized("NFKC", text):  # most text already is: no copy
        return text
    if "\n" not in text:
        return _nfkc_line(text)
    return "\n".join(map(_nfkc_line, text.split("\n")))


def tokens(text: str) -> list[str]:
    """Case-folded word tokens (NFKC); punctuation and spacing differences vanish."""
    return words(nfkc(text).casefold())


@lru_cache(maxsize=4096)  # rules, guards and templates ask about the same lines many times
def word_count(line: str) -> int:
    if not UNSPACED.search(line):
        return len(words(line))
    # Unspaced scripts have no word breaks; two characters per word approximates length.
    unspaced = count_of(UNSPACED_RUN, line)
    return len(words(UNSPACED.sub(" ", line))) + (unspaced + 1) // 2


def is_unspaced(text: str) -> bool:
    sample = text[:5000]
    if not UNSPACED.search(sample):  # the common case, decided by one C-level scan
        return False
    # Counted by runs (count_of): a third of the time of a string a character on Chinese (#16).
    letters = count_of(LETTER_RUN, sample) or 1
    return count_of(UNSPACED_RUN, sample) / letters > 0.3
