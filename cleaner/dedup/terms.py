"""Salient terms for the same-story tier: names, numbers and dates an event is told by.

Outlets retell an event in their own words, so their word n-grams barely overlap; what
they share is who, where, when and how many. Terms:
- names: capitalised words not at a sentence start, possessives folded ("Odesa's" is
  "odesa");
- numbers: digits kept, separators dropped;
- dates: a day written with a month name ("Dec 20", "20. Dezember", "20 декабря") becomes
  "@12-20"; a weekday ("on Saturday") becomes the date it names, counted back from the
  document's own date (the last such weekday on or before it), when the document has one;
  in a document without a date it stays a weekday ("@w5", Monday 0): two undated reports
  that both say "on Saturday" name the same day of their week, as two datelines without
  a year name the same day of their year.
Unspaced scripts have no case, so only their numbers, dates and Latin names count.

Each term also says whether it appears in the title or the lead (the first `lead_words`
words): the story tier weighs those more, since that is where a report says what happened.
And each term names the one line it appears in (a CRC-32 of that line), or 0 if it appears
in several: a term two documents share only inside one identical line is shared wording,
which the copy tiers judge, not two outlets telling the same facts (stories.py). The lines a
term appears in are also kept as sets of word hashes (`pack_line_words`): a term two
documents share only inside lines of nearly the same words (a boilerplate line with one
number changed, a quote both copy) is shared wording too (term_weights.same_wording).
Month and weekday names come from Babel's locale data (CLDR), shipped as data
(calendar_names.py), so every language listed there is covered the same way, with no list
kept by hand.
"""

from __future__ import annotations

import re
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate, chain

import numpy as np

from cleaner.core.calendar_names import shipped as _calendar
from cleaner.core.text import WORD_CLASS, nfkc, words
from cleaner.dedup.signatures import (CODE_PAGES, _codepoints, _word_chars, code_page_tables, document_code_page,
                                      folded, in_code_page)

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|\n+")
_DIGIT = re.compile(r"\d")
_NOT_ALNUM = re.compile(r"[^\w]|_")
_POSSESSIVE = re.compile(r"['’]s?$")
_POSSESSIVES = ("'s", "’s")  # _POSSESSIVE's matches at the end of a token
# Capitalised only by grammar or convention, not a name.
_STOP = {"i", "the", "a", "an", "and", "but", "in", "on", "at", "of", "mr", "mrs", "ms", "dr"}
DATE_PREFIX = "@"
WEEKDAY_PREFIX = DATE_PREFIX + "w"  # a weekday in a document without a date: "@w0".."@w6"
DATELINE_WORDS = 5  # a dateline's month name stands among the first words of its line

# One scan: sentence breaks and words, in order (a break is whitespace; a word never is).
# The same tokens as _SENTENCE | TERM (tests/test_terms_same.py), spelt for the regex engine:
# - possessive quantifiers (nothing follows a repeat that giving back a character could
#   help match): the engine keeps no backtracking state (~9% less time);
# - each alternative opens with one character class (X++ is XX*+; a break after a sentence's
#   end is whitespace whose character before is the end, (?<=[.!?]\s) once one is read),
#   which the engine tests before entering it: a position no token starts at costs four
#   character tests;
# - words and numbers first, breaks last: no position starts both a break and a word, and
#   numbers stay before words (at a digit the number is read), so the order changes no
#   token, and the alternative most positions start is tried first (thru-19: the scan ~8%
#   less, ~10 µs a 3 KB text).
_TOKENS = re.compile(r"\d\d*+(?:[.,:/-]\d++)*+|" + WORD_CLASS + WORD_CLASS + r"*+(?:[-'’]" + WORD_CLASS
                     + r"++)*+|\s(?<=[.!?。！？]\s)\s*+|\n\n*+", re.UNICODE)
# _TOKENS for a text without "_", where WORD_CLASS is \w (text.WORD_FAST): the same tokens,
# ~9% faster (tests/test_sign18f.py).
_TOKENS_FAST = re.compile(_TOKENS.pattern.replace(WORD_CLASS, r"\w"), re.UNICODE)


def _page_class(chars: list[str], category: str) -> str:
    """A character class of those of `chars` that `category` (a class or \\d, \\s) matches."""
    return "[" + "".join(re.escape(c) for c in chars if re.fullmatch(category, c)) + "]"


@lru_cache(maxsize=None)
def page_tokens(codec: str) -> re.Pattern[str]:
    """_TOKENS for a text that fits a one-byte code page (signatures.CODE_PAGES): its word
    characters, digits and whitespace as classes of that page's characters alone. Over such
    a text they match what WORD_CLASS, \\d and \\s match (the same tokens:
    tests/test_cpu28.py), but the engine tests a character against a class by a bitmap
    instead of Unicode's tables: the scan ~10-15% less (~15 µs a 3 KB text, #18, cpu-28)."""
    chars = []
    for byte in range(256):
        try:
            chars.append(bytes([byte]).decode(codec))
        except UnicodeDecodeError:  # a byte the code page leaves undefined: no text holds it
            continue
    return re.compile(_TOKENS.pattern.replace(WORD_CLASS, _page_class(chars, WORD_CLASS))
                      .replace(r"\d", _page_class(chars, r"\d")).replace(r"\s", _page_class(chars, r"\s")))


def token_patterns() -> None:
    """Compile every code page's page_tokens (~1 ms each; once a process, before workers fork)."""
    for codec in CODE_PAGES:
        page_tokens(codec)


def text_tokens(text: str) -> list[str]:
    """_TOKENS.findall(text) (the text NFKC already): by the text's code page's pattern when
    it fits one (page_tokens), else by _TOKENS_FAST when it holds no "_"."""
    one_byte = document_code_page(text)
    if one_byte is not None:
        return page_tokens(one_byte[0]).findall(text)
    return (_TOKENS_FAST if "_" not in text else _TOKENS).findall(text)


@lru_cache(maxsize=None)
def calendar_words(lang: str | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """Month names -> 1..12 and weekday names -> 0..6 (Monday 0), case-folded, of the
    document's language (calendar_names.py), or of every listed language when it is not
    listed. "May" and "mar" are also ordinary words: only a day number next to them makes
    a date, and a weekday is only ever a full name."""
    table = _calendar()
    if lang in table["months"]:
        return table["months"][lang], table["days"][lang]
    months: dict[str, int] = {}
    days: dict[str, int] = {}
    for loc in sorted(table["months"]):
        for name, num in table["months"][loc].items():
            months.setdefault(name, num)
        for name, num in table["days"][loc].items():
            days.setdefault(name, num)
    return months, days


@lru_cache(maxsize=None)
def calendar_names(lang: str | None = None) -> frozenset[str]:
    """Every month and weekday name of calendar_words(lang): a word outside it, of letters
    alone and not capitalised, makes no term."""
    months, days = calendar_words(lang)
    return frozenset(months) | frozenset(days)


# What the loop of salient_terms needs of one token, given the language's calendar: worked
# out once per distinct token and kept, so that the loop reads one tuple where it called
# casefold, isalpha, isupper and three lookups per token (#18). Most tokens are plain
# words: letters alone, not capitalised, no month or weekday name. Such a word makes no
# term and changes nothing but the word counts, which follow from positions, so the loop
# passes over it by one set lookup (as over any word that can make no term: "The",
# "self-made"); here ~3 tokens in 4. Breaks are never plain. Any other token has a kind:
# (line breaks in it, or -1 for a word; month 1..12; weekday 0..6; number term; name
# term), each None where it does not apply: exactly what the per-token tests of the loop
# gave (tests/test_sign_fast.py keeps that loop, token by token, to compare with).
PLAIN = 0
TokenKind = tuple[int, int | None, int | None, str | None, str | None]
KINDS_KEPT = 100_000  # distinct tokens kept, all languages together (~15 MB); then start again


class _Known:
    """The tokens one language's calendar has classified: plain words, and the others' kinds."""

    __slots__ = ("plain", "kinds", "months", "days", "calendar")

    def __init__(self, lang: str | None):
        self.plain: set[str] = set()
        self.kinds: dict[str, TokenKind] = {}
        self.months, self.days = calendar_words(lang)
        self.calendar = calendar_names(lang)


_KNOWN: dict[str | None, _Known] = {}


def known_tokens(lang: str | None) -> _Known:
    known = _KNOWN.get(lang)
    if known is None:
        known = _KNOWN[lang] = _Known(lang)
    return known


_KEPT = [0]  # tokens kept in _KNOWN, all languages together


def _keep_one() -> None:
    """Count one more token kept; past KINDS_KEPT, forget them all (a run of any size
    holds ~15 MB of them at most; a token forgotten is classified again, the same)."""
    _KEPT[0] += 1
    if _KEPT[0] > KINDS_KEPT:
        _KEPT[0] = 1
        # A copy of the list: another thread (a Dask worker's) may meet a new language meanwhile.
        for known in list(_KNOWN.values()):
            known.plain.clear()
            known.kinds.clear()


@contextmanager
def tokens_apart() -> Iterator[None]:
    """Tokens classified inside are kept apart and forgotten after; those known before are
    known again after, untouched. For texts a process signs once and never again (a state
    batch's story window, signed in the main process: exec/forked.SalientAhead), whose
    tokens would otherwise stay in its cache through the story tier's peak (#16 point 9:
    ~38,000 tokens, ~3.5 MiB against 50,000 documents). The same terms either way: a
    token's kind is a function of the token and its language."""
    saved, kept = dict(_KNOWN), _KEPT[0]
    _KNOWN.clear()
    _KEPT[0] = 0
    try:
        yield
    finally:
        _KNOWN.clear()
        _KNOWN.update(saved)
        _KEPT[0] = kept


def token_kind(w: str, months: dict[str, int], days: dict[str, int], calendar: frozenset[str]) -> TokenKind | int:
    """PLAIN or the kind of token `w` (see above): what the loop of salient_terms tested.
    PLAIN also for a word that can make no term (a stop word, a capital letter alone,
    "self-made"): like a plain word, it counts by its position alone."""
    if w[0].isspace():  # a break: a word never starts with a space
        return (w.count("\n"), None, None, None, None)
    folded = w.casefold()
    alpha = w.isalpha()
    upper = w[0].isupper()
    if alpha and not upper and folded not in calendar:
        return PLAIN
    # letters alone hold no digit (isalpha): no regex call for them
    number = _NOT_ALNUM.sub("", w).casefold() if not alpha and _DIGIT.search(w) else None
    name = None
    if upper:
        # A token ends in a letter or digit: _POSSESSIVE can only find a final "'s".
        stem = folded[:-2] if folded.endswith(_POSSESSIVES) else folded
        if stem not in _STOP and len(stem) > 1:
            name = stem
    month, weekday = months.get(folded), days.get(folded)
    if month is None and weekday is None and number is None and name is None:
        return PLAIN  # makes no term either ("The", "self-made"): only its position counts
    return (-1, month, weekday, number, name)


def _words_before(toks: list[str], k: int) -> tuple[str | None, str | None]:
    """The two word tokens before toks[k], nearest first (None where there is none)."""
    found: list[str | None] = []
    while k > 0 and len(found) < 2:
        k -= 1
        if not toks[k][0].isspace():
            found.append(toks[k])
    found += [None, None]
    return found[0], found[1]


def _day(tok: str | None) -> int | None:
    return int(tok) if tok is not None and tok.isascii() and tok.isdigit() and len(tok) <= 2 and 1 <= int(tok) <= 31 else None


# Short words that may stand between a day and its month ("20 de diciembre", "3 of May").
_DAY_MONTH_LINKS = {"de", "di", "del", "of", "da", "van"}


def _date_term(month: int, day: int) -> str | None:
    try:
        date(2000, month, day)  # a leap year: 29 February exists
    except ValueError:
        return None
    return f"{DATE_PREFIX}{month:02d}-{day:02d}"


def _weekday_date(anchor: date, weekday: int) -> str | None:
    """The date term of the last `weekday` on or before `anchor`."""
    try:
        when = anchor - timedelta(days=(anchor.weekday() - weekday) % 7)
    except OverflowError:  # a placeholder date such as 0001-01-01
        return None
    return _date_term(when.month, when.day)


def salient_terms(text: str, doc_date: str | None = None, lead_words: int = 40,
                  title: str | None = None, lang: str | None = None
                  ) -> tuple[list[str], list[str], bytes, str | None, bytes]:
    """(sorted terms, sorted terms of the title and lead, each term's only line as an
    array("I") of CRC-32s in bytes (0 where it is on several lines), the dateline: the
    first day written with a month name in the lead, as "MM-DD", or None; and the words of
    every line each term is on, packed (pack_line_words))."""
    # The text's lines folded (NFKC, casefold), for the lines' CRC-32s and word hashes below:
    # the signing stage folded this text just before (signatures.folded keeps it), and a
    # line break neither composes nor folds, so the folded text's lines are its lines folded
    # (~10 µs a document: two casefolds of most of the text, #18).
    flines = folded(text).split("\n")
    if title and not text.startswith(title):
        flines = nfkc(title).casefold().split("\n") + flines  # not kept: folded keeps documents' texts
        text = title + "\n" + text
    text = nfkc(text)
    anchor = date.fromisoformat(doc_date) if doc_date else None
    toks = text_tokens(text)
    known = known_tokens(lang)
    kinds, plain = known.kinds, known.plain
    lines_of: dict[str, list[int]] = {}  # term -> indices of every line it is on, in order
    in_lead: list[str] = []  # terms seen in the lead (where a term is first seen: words only grow)
    lines = text.split("\n")
    if len(flines) != len(lines):  # never (tests/test_cpu29.py): each line folded on its own then
        flines = [line.casefold() for line in lines]
    line = 0
    line_start = 0  # words before the current line
    breaks = 0  # break tokens so far
    dateline = None
    # Every token but the known plain words, by one set lookup each.
    for k in [k for k, w in enumerate(toks) if w not in plain]:
        w = toks[k]
        kind = kinds.get(w)
        if kind is None:  # a token not seen yet (or forgotten)
            found = token_kind(w, known.months, known.days, known.calendar)
            _keep_one()
            if not isinstance(found, tuple):
                plain.add(w)
                continue
            kind = kinds[w] = found
        newlines, month, weekday, number, name = kind
        if newlines >= 0:  # a break
            breaks += 1
            if newlines:
                line += newlines
                line_start = k + 1 - breaks
            continue
        words = k + 1 - breaks  # tokens are words or breaks
        lead = words <= lead_words
        term = None
        if month is not None:
            # "Dec 20" or "20 December" / "20. Dezember" (the dot is not a token).
            nxt = toks[k + 1] if k + 1 < len(toks) else None
            if nxt is not None and nxt == " " and k + 2 < len(toks):
                nxt = toks[k + 2]  # "Dec. 20": the dot read as a sentence end
            # The two words before, across sentence breaks ("20. Dezember": "20." ends one).
            last_word, before_last = _words_before(toks, k)
            # "Dec 20", "20 December", or with a link word between ("20 de diciembre").
            day = _day(nxt) or _day(last_word) or (
                _day(before_last) if last_word and last_word.casefold() in _DAY_MONTH_LINKS else None)
            term = _date_term(month, day) if day else None
            # A dateline opens a line of the lead ("ODESA, Dec 20 -", "May 3, 2013"); a date
            # inside a sentence may be any day the story mentions.
            if term and lead and words - line_start <= DATELINE_WORDS and dateline is None:
                dateline = term[len(DATE_PREFIX):]
        elif weekday is not None:
            term = f"{WEEKDAY_PREFIX}{weekday}" if anchor is None else _weekday_date(anchor, weekday)
        if term is not None or weekday is not None:
            pass  # a date; a weekday is never a name
        elif number is not None:
            term = number
        elif name is not None and k and not toks[k - 1][0].isspace():
            # A month without a day may be a name ("Theresa May", "Jan Novak").
            # A sentence-initial capital says nothing; the same name mid-sentence does.
            term = name
        if term:
            on = lines_of.get(term)
            if on is None:
                lines_of[term] = [line]
                if lead:
                    in_lead.append(term)
            elif on[-1] != line:
                on.append(line)
    ordered = sorted(lines_of)
    term_lines = [lines_of[t] for t in ordered]
    # A term's only line (its lines_of holds one), as the CRC-32 of that line; 0: several.
    # strip() after casefold(): the same (no character folds to whitespace or to nothing)
    crc = {i: zlib.crc32(flines[i].strip().encode("utf-8")) or 1
           for i in {on[0] for on in term_lines if len(on) == 1}}
    only_line = array("I", [crc[on[0]] if len(on) == 1 else 0 for on in term_lines])
    packed = pack_line_words(lines, term_lines, normalized=True, folded_lines=flines)
    return ordered, sorted(in_lead), only_line.tobytes(), dateline, packed


def pack_line_words(lines: list[str], term_lines: list[list[int]], normalized: bool = False,
                    folded_lines: list[str] | None = None) -> bytes:
    """The lines `term_lines` name (each term's line indices, in term order) as word hashes,
    and which of them each term is on: one array("I") in bytes, read in place by LineWords.
    Layout: [L, T, L+1 offsets of each line's words, T+1 offsets of each term's lines, the
    lines' sorted unique word CRC-32s, the terms' line numbers (0..L-1)]; offsets count
    from the start of the array. `normalized`: the lines are those of an NFKC text (each
    line of one is NFKC too: a line break never composes), so none is normalised again;
    `folded_lines`: with it, each of them casefolded, so none is folded again."""
    used = sorted(set().union(*term_lines))
    where = {i: k for k, i in enumerate(used)}
    used_lines = [lines[i] for i in used] if normalized else [nfkc(lines[i]) for i in used]
    spaced = _spaced_words(used_lines, None if folded_lines is None else [folded_lines[i] for i in used])
    if spaced is None:  # a line holding a line break: a line at a time
        return packed_layout(lines_word_hashes(used_lines), term_lines, where)
    # Every used line's word CRC-32s at once: one split of the whole text with each line
    # break a word "\0" of its own (never a word character; its CRC-32 marks it), each word's value tagged with
    # its line number above bit 32, one sort of them all: each line's sorted distinct values,
    # lines in order. A line at a time, split(), set() and sorted() cost ~2x (#18, cpu-26;
    # tests/test_cpu26.py compares with the line-at-a-time path).
    words = spaced.replace(b"\n", b" \0 ").split()
    tagged = np.fromiter(map(zlib.crc32, words), dtype=np.uint64, count=len(words))
    breaks = tagged == _BREAK_CRC
    lines_at = np.cumsum(breaks)
    if int(lines_at[-1] if len(words) else 0) != len(used_lines) - 1:  # a word's CRC-32 is "\0"'s
        return packed_layout(lines_word_hashes(used_lines), term_lines, where)
    keep = ~breaks
    tagged = tagged[keep] | (lines_at[keep].astype(np.uint64) << np.uint64(32))
    tagged.sort()
    if len(tagged) > 1:
        distinct = np.empty(len(tagged), dtype=bool)
        distinct[0] = True
        np.not_equal(tagged[1:], tagged[:-1], out=distinct[1:])
        tagged = tagged[distinct]
    line_counts = np.bincount((tagged >> np.uint64(32)).astype(np.intp), minlength=len(used_lines))
    head = 2 + len(used_lines) + 1 + len(term_lines) + 1
    line_at = list(accumulate(line_counts.tolist(), initial=head))
    term_at = accumulate(map(len, term_lines), initial=line_at[-1])
    out = array("I", [len(used_lines), len(term_lines), *line_at, *term_at])
    out.frombytes(tagged.astype(np.uint32).tobytes())  # the low 32 bits: the CRC-32s
    out.extend(map(where.__getitem__, chain.from_iterable(term_lines)))
    return out.tobytes()


_BREAK_CRC = np.uint64(zlib.crc32(b"\0"))  # pack_line_words' line break


def packed_layout(words: list[list[int]], term_lines: list[list[int]], where: dict[int, int]) -> bytes:
    """pack_line_words' array from the used lines' word hashes (`words`, in line order) and
    each line's place among them (`where`)."""
    head = 2 + len(words) + 1 + len(term_lines) + 1
    line_at = list(accumulate(map(len, words), initial=head))
    term_at = accumulate(map(len, term_lines), initial=line_at[-1])
    out = array("I", [len(words), len(term_lines), *line_at, *term_at])
    out.extend(chain.from_iterable(words))
    out.extend(map(where.__getitem__, chain.from_iterable(term_lines)))
    return out.tobytes()


def lines_word_hashes(lines: list[str]) -> list[list[int]]:
    """[_folded_word_hashes(line) for line in lines], the lines NFKC already: all of them
    casefolded at once, their characters that are not word characters (text.WORD_CLASS, by
    signatures' table of it) made spaces, the utf-8 of that split at spaces: the same words'
    utf-8 without a regex scan, a str and an encode a word (~20% of pack_line_words, #18;
    tests/test_perdoc18.py). A line holding a line break: a line at a time."""
    if not lines:
        return []
    spaced = _spaced_words(lines)
    if spaced is None:  # a line break inside a line
        return [_folded_word_hashes(line) for line in lines]
    crc = zlib.crc32
    return [sorted(set(map(crc, line.split()))) for line in spaced.split(b"\n")]


def _spaced_words(lines: list[str], folded_lines: list[str] | None = None) -> bytes | None:
    """The lines (NFKC already) casefolded, joined by line breaks, as utf-8 whose only
    separators are spaces and those line breaks: each line's words (text.WORD_CLASS) are its
    split(); None when a line holds a line break (then the lines cannot be told apart).
    `folded_lines`: the lines casefolded already."""
    folded = "\n".join(lines).casefold() if folded_lines is None else "\n".join(folded_lines)
    if folded.count("\n") != len(lines) - 1:  # a line break inside a line
        return None
    one_byte = in_code_page(folded)
    if one_byte is not None:  # the same, by a table of the text's code page (signatures.CODE_PAGES)
        codec, data = one_byte
        spaced = data.translate(code_page_tables(codec)[0])
        if not (codec == "latin-1" and folded.isascii()):  # else these bytes are the utf-8 already
            spaced = spaced.decode(codec).encode()
    else:
        cps = _codepoints(folded)
        keep = _word_chars()[cps]
        keep |= cps == 10
        # No word character is whitespace or a surrogate: the spaces and line breaks are the
        # only separators left, and the text encodes (surrogates were never word characters).
        spaced = np.where(keep, cps, np.uint32(32)).astype("<u4", copy=False).tobytes().decode("utf-32-le").encode()
    return spaced


def word_hashes(line: str) -> list[int]:
    """The sorted distinct CRC-32s (of utf-8) of a line's words (text.tokens)."""
    return _folded_word_hashes(nfkc(line))


def _folded_word_hashes(line: str) -> list[int]:
    """word_hashes of a line already NFKC: text.tokens without its normalisation check."""
    # By map (C loops; utf-8 is str.encode's default): ~6% less than a set comprehension.
    return sorted(set(map(zlib.crc32, map(str.encode, words(line.casefold())))))


class LineWords:
    """One document's packed line words (pack_line_words), read in place: a run holds
    them for every document the story tier compares, so nothing is unpacked ahead."""

    __slots__ = ("terms", "values")

    def __init__(self, packed: bytes, terms: tuple[str, ...]):
        self.terms = terms  # sorted: a term's position is found by bisection
        self.values = memoryview(packed).cast("I") if packed else None

    def lines(self, term: str) -> memoryview | None:
        """The numbers of the lines the term is on; None if not known (no packed words)."""
        v = self.values
        k = bisect_left(self.terms, term)
        if v is None or k >= len(self.terms) or self.terms[k] != term:
            return None
        at = 3 + v[0] + k
        return v[v[at]:v[at + 1]]

    def words(self, line: int) -> frozenset[int]:
        """The word hashes of line number `line` (of those lines(...) gives)."""
        v = self.values
        if v is None:  # no packed words: lines() gave no line numbers to ask about
            return frozenset()
        return frozenset(v[v[2 + line]:v[3 + line]])


NO_LINE_WORDS = LineWords(b"", ())


def is_number(term: str) -> bool:
    """A number term ("2025", "0340", "ie6"): names never hold digits; a date term
    ("@12-20", "@w3") is not one."""
    # Most terms are letters alone (isalpha: no digit of any script), answered in one call.
    return not term.isalpha() and not term.startswith(DATE_PREFIX) and any(c.isdigit() for c in term)


def is_year(term: str) -> bool:
    """A number term that reads as a year of modern news ("2013"; not "1234" or "0800")."""
    return len(term) == 4 and term.isdigit() and term[:2] in ("19", "20")


def is_name(term: str) -> bool:
    """Names propose story candidates; numbers and dates coincide across unrelated stories
    too often to link them on their own (they still count in the similarity)."""
    return not term[0].isdigit() and not term.startswith(DATE_PREFIX)
