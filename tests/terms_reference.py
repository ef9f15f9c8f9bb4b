"""The salient_terms() of main at 084147e, before #18's fourth per-document pass, kept as
the reference the faster one must equal on any text (tests/test_terms_same.py)."""

from __future__ import annotations

import unicodedata
import zlib
from array import array
from datetime import date

import re

from cleaner.core.text import tokens
from cleaner.dedup.terms import (_DAY_MONTH_LINKS, _DIGIT, _NOT_ALNUM, _POSSESSIVES, _STOP, DATE_PREFIX,
                                 DATELINE_WORDS, WEEKDAY_PREFIX, _date_term, _day, _weekday_date, calendar_words)

_TOKENS = re.compile(r"(?<=[.!?。！？])\s+|\n+|\d+(?:[.,:/-]\d+)*|[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)


def reference_salient_terms(text: str, doc_date: str | None = None, lead_words: int = 40,
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
        elif not w.isalpha() and _DIGIT.search(w):  # letters alone hold no digit: no regex call
            term = _NOT_ALNUM.sub("", w).casefold()
        elif w[0].isupper() and not prev[0].isspace():
            # A month without a day may be a name ("Theresa May", "Jan Novak").
            # A sentence-initial capital says nothing; the same name mid-sentence does.
            # A token ends in a letter or digit: _POSSESSIVE can only find a final "'s".
            name = folded[:-2] if folded.endswith(_POSSESSIVES) else folded
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
    packed = reference_pack_line_words(lines, [lines_of[t] for t in ordered])
    return ordered, sorted(t for t, lead in terms.items() if lead), only_line.tobytes(), dateline, packed



def reference_pack_line_words(lines: list[str], term_lines: list[list[int]]) -> bytes:
    """The lines `term_lines` name (each term's line indices, in term order) as word hashes,
    and which of them each term is on: one array("I") in bytes, read in place by LineWords.
    Layout: [L, T, L+1 offsets of each line's words, T+1 offsets of each term's lines, the
    lines' sorted unique word CRC-32s, the terms' line numbers (0..L-1)]; offsets count
    from the start of the array."""
    used = sorted({i for on in term_lines for i in on})
    where = {i: k for k, i in enumerate(used)}
    words = [sorted({zlib.crc32(w.encode("utf-8")) for w in tokens(lines[i])}) for i in used]
    head = 2 + len(used) + 1 + len(term_lines) + 1
    line_at = [head]
    for ws in words:
        line_at.append(line_at[-1] + len(ws))
    term_at = [line_at[-1]]
    for on in term_lines:
        term_at.append(term_at[-1] + len(on))
    out = array("I", [len(used), len(term_lines), *line_at, *term_at])
    for ws in words:
        out.extend(ws)
    for on in term_lines:
        out.extend(where[i] for i in on)
    return out.tobytes()
