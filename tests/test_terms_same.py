"""salient_terms() skips work a term cannot need (a regex search on a word of letters, a
regex for the possessive), and must give exactly what it gave before: that version is
kept here as the reference (terms.py before #18's third pass)."""

from __future__ import annotations

import unicodedata
import zlib
from array import array
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.dedup.terms import (_DAY_MONTH_LINKS, _DIGIT, _NOT_ALNUM, _POSSESSIVE, _STOP, _TOKENS, DATE_PREFIX,
                                 DATELINE_WORDS, WEEKDAY_PREFIX, _date_term, _day, _weekday_date, calendar_words,
                                 pack_line_words, salient_terms)


def reference_terms(text: str, doc_date: str | None = None, lead_words: int = 40,
                  title: str | None = None, lang: str | None = None
                  ) -> tuple[list[str], list[str], bytes, str | None, bytes]:
    """(sorted terms, sorted terms of the title and lead, each term's only line as an
    array("I") of CRC-32s in bytes (0 where it is on several lines), the dateline: the
    first day written with a month name in the lead, as "MM-DD", or None; and the words of
    every line each term is on, packed (pack_line_words))."""
    if title and not text.startswith(title):
        text = title + "\n" + text
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    months, days = calendar_words(lang)
    anchor = date.fromisoformat(doc_date) if doc_date else None
    toks = _TOKENS.findall(text)
    terms: dict[str, bool] = {}  # term -> seen in the lead
    line_of: dict[str, int] = {}  # term -> index of its only line, or -1
    lines_of: dict[str, list[int]] = {}  # term -> indices of every line it is on, in order
    lines = text.split("\n")
    words = 0
    line = 0
    in_line = 0  # words so far on this line
    dateline = None
    prev = "\n"
    # The two words before, across sentence breaks ("20. Dezember": "20." ends one).
    last_word = before_last = None
    for k, w in enumerate(toks):
        if w[0].isspace():
            prev = w
            if "\n" in w:
                line += w.count("\n")
                in_line = 0
            continue
        words += 1
        in_line += 1
        lead = words <= lead_words
        term = None
        folded = w.casefold()
        month = months.get(folded)
        if month is not None:
            # "Dec 20" or "20 December" / "20. Dezember" (the dot is not a token).
            nxt = toks[k + 1] if k + 1 < len(toks) else None
            if nxt is not None and nxt == " " and k + 2 < len(toks):
                nxt = toks[k + 2]  # "Dec. 20": the dot read as a sentence end
            # "Dec 20", "20 December", or with a link word between ("20 de diciembre").
            day = _day(nxt) or _day(last_word) or (
                _day(before_last) if last_word and last_word.casefold() in _DAY_MONTH_LINKS else None)
            term = _date_term(month, day) if day else None
            # A dateline opens a line of the lead ("ODESA, Dec 20 -", "May 3, 2013"); a date
            # inside a sentence may be any day the story mentions.
            if term and lead and in_line <= DATELINE_WORDS and dateline is None:
                dateline = term[len(DATE_PREFIX):]
        elif folded in days:
            term = f"{WEEKDAY_PREFIX}{days[folded]}" if anchor is None else _weekday_date(anchor, days[folded])
        if term is not None or folded in days:
            pass  # a date; a weekday is never a name
        elif _DIGIT.search(w):
            if not w.isalpha():
                term = _NOT_ALNUM.sub("", w).casefold()
        elif w[0].isupper() and not prev[0].isspace():
            # A month without a day may be a name ("Theresa May", "Jan Novak").
            # A sentence-initial capital says nothing; the same name mid-sentence does.
            name = _POSSESSIVE.sub("", folded)
            if name not in _STOP and len(name) > 1:
                term = name
        if term:
            terms[term] = terms.get(term, False) or lead
            line_of[term] = line if line_of.get(term, line) == line else -1
            on = lines_of.setdefault(term, [])
            if not on or on[-1] != line:
                on.append(line)
        prev, last_word, before_last = w, w, last_word
    ordered = sorted(terms)
    crc = {i: zlib.crc32(lines[i].strip().casefold().encode("utf-8")) or 1 for i in set(line_of.values()) if i >= 0}
    only_line = array("I", (crc[line_of[t]] if line_of[t] >= 0 else 0 for t in ordered))
    packed = pack_line_words(lines, [lines_of[t] for t in ordered])
    return ordered, sorted(t for t, lead in terms.items() if lead), only_line.tobytes(), dateline, packed


# Pieces that exercise every branch: names after and at sentence starts, possessives,
# numbers with separators, month names with days before, after and across link words and
# dots, weekdays, line and sentence breaks of every kind, case folds that change length
# (ß, ﬁ, İ), titlecase letters, joining marks, digits of other scripts, Greek final sigma.
PIECES = ["Dec", "December", "20", "3", "31", "32", "de", "of", "diciembre", "Dezember", "декабря", "20.",
          "May", "Theresa", "Saturday", "samstag", "Lundi", "lundi", "on", "the", "The", "Mr", "Odesa's", "O'Neill",
          "Saint-Denis", "12,000", "03:40", "2025-12-20", "ie6", "3rd", "İstanbul", "STRASSE", "straße", "ǅemal",
          "ﬁnal", "ΣΟΦΟΣ", "σοφος", "٣٤", "x_y", "a", "I", "ODESA,", "-", "said", "word", "Київ", "USA", "Ünal",
          " ", "  ", ". ", "! ", "? ", "\n", "\n\n", ".\n", " \n ", ".\n  \n", "。", "\t"]


def _check(text: str, doc_date: str | None, lead: int, title: str | None, lang: str | None) -> None:
    assert salient_terms(text, doc_date, lead, title, lang) == reference_terms(text, doc_date, lead, title, lang)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60), st.sampled_from([None, "2025-12-20", "0001-01-01"]),
       st.sampled_from([0, 3, 40]), st.sampled_from([None, "", "Odesa Dec 20", "ODESA"]),
       st.sampled_from([None, "en", "de", "ru", "es", "fr", "xx"]), st.booleans())
def test_same_terms_as_the_plain_loop(pieces, doc_date, lead, title, lang, spaced):
    text = (" " if spaced else "").join(pieces)
    _check(text, doc_date, lead, title, lang)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80),
       st.sampled_from([None, "en", "de"]))
def test_same_terms_on_any_text(text, lang):
    _check(text, "2024-02-29", 40, None, lang)


def test_same_terms_on_generated_articles():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from generate import generate

    for article in generate(40, seed=3):
        for lang in (None, "en", "de"):
            _check(article["text"], "2025-03-01", 40, article.get("title"), lang)


@pytest.mark.parametrize("text", [
    "Intro line here.\nODESA one two three Dec 20 - the council met",  # month the 5th word of a line
    "Intro line here.\nODESA one two three four Dec 20 - the council met",  # the 6th: no dateline
    "Intro. Here\n\nB c. D e Dec 20 said Kyiv",  # a sentence break inside the line
    "20. Dezember Berlin", "on 20 de diciembre in Madrid", "Dec. 20 in Odesa", "x\nDec.\n20 y",
])
def test_same_datelines_and_dates(text):
    for lead in (3, 6, 40):
        _check(text, None, lead, None, None)
    assert salient_terms(text.split("\n", 1)[-1], None, 40)[3] == reference_terms(text.split("\n", 1)[-1])[3]
