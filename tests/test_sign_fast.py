"""The signing stage's fast paths (#18, sign-18d) give what the plain code gave, byte for byte.

salient_terms classifies each distinct token once per language (terms.token_kind, kept in
terms._KNOWN, forgotten past KINDS_KEPT) and passes over plain words by a set lookup;
pack_line_words skips the per-line normalisation of an NFKC text's lines; minhash_values
lays a large block out one row per permutation. Here each is compared with a
straightforward reference: salient_terms as main had it before (every token read, every
test made per token, each line's words by text.tokens), on varied text: unicode, unspaced
scripts, apostrophes, hyphens, numbers, dates, casefold oddities, line and sentence breaks.
"""

from __future__ import annotations

import unicodedata
import zlib
from array import array
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.text import tokens
from cleaner.dedup import terms as terms_module
from cleaner.dedup.signatures import MINHASH_ACROSS, fmix32, minhash_values, permutations
from cleaner.dedup.terms import (_DAY_MONTH_LINKS, _DIGIT, _NOT_ALNUM, _POSSESSIVE, _STOP, _TOKENS, DATE_PREFIX,
                                 DATELINE_WORDS, WEEKDAY_PREFIX, _date_term, _day, _weekday_date, _words_before,
                                 calendar_words, salient_terms)


def reference_salient_terms(text: str, doc_date: str | None = None, lead_words: int = 40,
                            title: str | None = None, lang: str | None = None
                            ) -> tuple[list[str], list[str], bytes, str | None, bytes]:
    """salient_terms the plain way: every token read and tested on its own."""
    if title and not text.startswith(title):
        text = title + "\n" + text
    text = unicodedata.normalize("NFKC", text)
    months, days = calendar_words(lang)
    anchor = date.fromisoformat(doc_date) if doc_date else None
    toks = _TOKENS.findall(text)
    terms: dict[str, bool] = {}
    line_of: dict[str, int] = {}
    lines_of: dict[str, list[int]] = {}
    lines = text.split("\n")
    line = line_start = breaks = 0
    dateline = None
    for k, w in enumerate(toks):
        if w[0].isspace():
            breaks += 1
            if "\n" in w:
                line += w.count("\n")
                line_start = k + 1 - breaks
            continue
        words = k + 1 - breaks
        in_line = words - line_start
        lead = words <= lead_words
        prev = toks[k - 1] if k else "\n"
        term = None
        folded = w.casefold()
        month = months.get(folded)
        if month is not None:
            nxt = toks[k + 1] if k + 1 < len(toks) else None
            if nxt is not None and nxt == " " and k + 2 < len(toks):
                nxt = toks[k + 2]
            last_word, before_last = _words_before(toks, k)
            day = _day(nxt) or _day(last_word) or (
                _day(before_last) if last_word and last_word.casefold() in _DAY_MONTH_LINKS else None)
            term = _date_term(month, day) if day else None
            if term and lead and in_line <= DATELINE_WORDS and dateline is None:
                dateline = term[len(DATE_PREFIX):]
        elif folded in days:
            term = f"{WEEKDAY_PREFIX}{days[folded]}" if anchor is None else _weekday_date(anchor, days[folded])
        if term is not None or folded in days:
            pass
        elif _DIGIT.search(w):
            term = _NOT_ALNUM.sub("", w).casefold()
        elif w[0].isupper() and not prev[0].isspace():
            name = _POSSESSIVE.sub("", folded)
            if name not in _STOP and len(name) > 1:
                term = name
        if term:
            terms[term] = terms.get(term, False) or lead
            line_of[term] = line if line_of.get(term, line) == line else -1
            on = lines_of.setdefault(term, [])
            if not on or on[-1] != line:
                on.append(line)
    ordered = sorted(terms)
    crc = {i: zlib.crc32(lines[i].strip().casefold().encode("utf-8")) or 1 for i in set(line_of.values()) if i >= 0}
    only_line = array("I", [crc[line_of[t]] if line_of[t] >= 0 else 0 for t in ordered])
    return (ordered, sorted(t for t, lead in terms.items() if lead), only_line.tobytes(), dateline,
            _reference_pack(lines, [lines_of[t] for t in ordered]))


def _reference_pack(lines: list[str], term_lines: list[list[int]]) -> bytes:
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


# Pieces that reach every branch: months and weekdays of several languages in every case,
# day numbers and link words, sentence ends with and without space, line breaks, hyphens,
# apostrophes, numbers with separators, possessives, stop words, one-letter capitals,
# casefold oddities (ß, İ, ſ, final sigma, U+0345, ligatures), unspaced and uncased scripts.
PIECES = ["Dec", "Dec.", "December", "DECEMBER", "20", "20.", "3", "31", "32", "2013", "12,000", "03:40",
          "2025-12-20", "1.5", "de", "of", "De", "diciembre", "Dezember", "декабря", "Декабря", "Mai", "May",
          "may", "mars", "Saturday", "saturday", "SATURDAY", "Samstag", "субботу", "lundi", "Odesa's", "O'Neill",
          "Kherson’s", "Saint-Denis", "self-made", "The", "the", "I", "A", "X", "Mr", "Dr", "ie6", "x3", "3a",
          "a3", "mp3", "İstanbul", "Straße", "STRASSE", "ſ", "ΣΟΦΟΣ", "σοφος", "ͅ", "Ǆ", "ǅemal", "北京", "東京で",
          "ข่าว", "Київ", "Москва", "п'ять", "שלום", "قال", "한국", "_", "'", "’", "-", ".", "!", "?", "。", "！",
          ",", ";", "(", ")", " ", "  ", "\n", "\n\n", " \n", ".\n", "\t", "\u00a0", "\u2028", "ﬁ", "①", "Ⅻ", "²",
          "٣", "plumless", "buckeroo"]
LANGS = [None, "en", "de", "fr", "es", "ru", "uk", "zh", "zz"]


def _texts():
    return (st.lists(st.sampled_from(PIECES), max_size=50).map(" ".join)
            | st.lists(st.sampled_from(PIECES), max_size=50).map("".join)
            | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120))


FIXTURE = ("Odesa, Dec 20 - Mayor Hennadiy Trukhanov said on Saturday that 12,000 homes in Odesa's port "
           "district had power again by 03:40.\nThe city's O'Neill-Smith Foundation (founded 2013) gave 1.5 "
           "million.\n20. Dezember: Die Stadt Odesa meldete Strom für 12.000 Haushalte.\nEl 20 de diciembre, "
           "el alcalde Trukhanov habló.\nВ субботу, 20 декабря, мэр Труханов заявил о 12 000 домах.\n"
           "Le maire a parlé lundi à l'hôtel de ville.\n北京12月20日电 东京で2025年の会議。\n"
           "ข่าววันที่ 20 ธันวาคม\nİstanbul'da STRASSE und Straße; ﬁnal ΣΟΦΟΣ.")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("doc_date", [None, "2025-12-21", "0001-01-01"])
def test_fixture_is_what_the_reference_gives(lang, doc_date):
    for title in (None, "Odesa: power back", FIXTURE[:20]):
        for lead in (0, 5, 40):
            assert salient_terms(FIXTURE, doc_date, lead, title, lang) == \
                reference_salient_terms(FIXTURE, doc_date, lead, title, lang)


@settings(max_examples=800, deadline=None)
@given(_texts(), st.sampled_from([None, "2025-12-20", "0001-01-01"]), st.sampled_from(LANGS),
       st.sampled_from([None, "Odesa: Dec 20", "May 3", "The"]), st.integers(0, 45))
def test_salient_terms_are_the_reference(text, doc_date, lang, title, lead_words):
    assert salient_terms(text, doc_date, lead_words, title, lang) == \
        reference_salient_terms(text, doc_date, lead_words, title, lang)


def test_forgetting_the_kept_tokens_changes_nothing(monkeypatch):
    """Past KINDS_KEPT the kept kinds are forgotten (mid-document too): the same terms."""
    want = [reference_salient_terms(FIXTURE, None, 40, None, lang) for lang in LANGS]
    monkeypatch.setattr(terms_module, "KINDS_KEPT", 7)
    monkeypatch.setattr(terms_module, "_KNOWN", {})
    monkeypatch.setattr(terms_module, "_KEPT", [0])
    for _ in range(2):
        assert [salient_terms(FIXTURE, None, 40, None, lang) for lang in LANGS] == want
    assert terms_module._KEPT[0] <= 7


def test_a_word_that_makes_no_term_is_passed_over():
    months, days = calendar_words("en")
    calendar = terms_module.calendar_names("en")
    for w in ("the", "The", "I", "A", "self-made", "Mr"):
        assert terms_module.token_kind(w, months, days, calendar) == terms_module.PLAIN
    assert terms_module.token_kind("May", months, days, calendar) == (-1, 5, None, None, "may")
    assert terms_module.token_kind("may", months, days, calendar) == (-1, 5, None, None, None)
    assert terms_module.token_kind("Odesa's", months, days, calendar) == (-1, None, None, None, "odesa")
    assert terms_module.token_kind("12,000", months, days, calendar) == (-1, None, None, "12000", None)
    assert terms_module.token_kind("\n\n ", months, days, calendar)[0] == 2


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80),
       st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_a_line_of_an_nfkc_text_is_nfkc(a, b):
    """What pack_line_words(normalized=True) rests on: a line break never composes, so the
    lines of an NFKC text are NFKC, and their words are text.tokens' without normalising."""
    text = unicodedata.normalize("NFKC", a + "\n" + b)
    for line in text.split("\n"):
        assert unicodedata.is_normalized("NFKC", line)
        assert terms_module._folded_word_hashes(line) == terms_module.word_hashes(line)


@pytest.mark.parametrize("n", [0, 1, 2, MINHASH_ACROSS - 1, MINHASH_ACROSS, 441, 8191, 8192, 8193, 20_000])
def test_minhash_either_layout_is_the_plain_minimum(n):
    rng = np.random.default_rng(n)
    values = rng.integers(0, 2**32, n, dtype=np.uint64)
    for num_perm, seed in ((128, 1), (64, 7)):
        empty, a, b = permutations(num_perm, seed)
        with np.errstate(over="ignore"):
            mixed = fmix32(values.astype(np.uint32))
            plain = empty.copy()
            for v in mixed.tolist():  # one shingle at a time, as datasketch's update
                np.minimum(plain, a * np.uint32(v) + b, out=plain)
        assert (minhash_values(values, num_perm, seed) == plain).all()


@settings(max_examples=400, deadline=None)
@given(_texts())
def test_exact_key_is_the_sha1_of_the_tokens(text):
    """word_digest (the exact key) as its docstring defines it: the tokens' code points,
    0 between tokens."""
    import hashlib

    from cleaner.dedup.signatures import word_digest

    want = hashlib.sha1("\0".join(tokens(text)).encode("utf-32-le")).hexdigest()
    assert word_digest(text) == want
    assert word_digest(text + " ") == word_digest(" " + text + "\n") == want


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
                | st.sampled_from(["\u00a0", "ﬁ", "①", "e\u0301", "\u0301", "가\u11a8", "\u1100", "\u1161", "…",
                                   "Ａ", "\r", "\n", "\u0345", "ᄀ"]), max_size=12).map("".join))
def test_nfkc_by_lines_is_the_whole_texts(text):
    from cleaner.core.text import nfkc

    assert nfkc(text) == unicodedata.normalize("NFKC", text)
    assert nfkc(text + "\n" + text) == unicodedata.normalize("NFKC", text + "\n" + text)


def test_nfkc_across_a_line_break_every_code_point():
    """No code point composes with a line break on either side (the fact nfkc rests on)."""
    import sys

    from cleaner.core.text import nfkc

    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    for c in every:
        assert unicodedata.normalize("NFKC", c + "\n" + c) == unicodedata.normalize("NFKC", c) + "\n" + \
            unicodedata.normalize("NFKC", c)
    assert nfkc(every + "\n" + every) == unicodedata.normalize("NFKC", every + "\n" + every)
