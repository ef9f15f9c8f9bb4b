"""How much a shared term says that two reports tell the same event.

A country, a capital or a president's name is shared by every report of a region's news;
a port, a village or a victim's name is shared only by reports of one event. So a term
weighs by how rare it is in general language: weight = (base - zipf)^2, where zipf is the
word's frequency on the Zipf scale (log10 of uses per billion words) from `wordfreq`, in
the document's language (English for languages wordfreq lacks). `wordfreq` is measured
on large multilingual corpora and ships its tables in the wheel, which is why we use it
rather than counting words ourselves. Terms in the title or lead count `lead_boost`
times; a date written in the text counts `date_weight` (a day and month alone are
specific only within a few weeks' news, so a fixed, moderate weight), and so do a weekday
in a text without a date (terms.py) and a year in the title or lead, where a report says
when what it tells happened (further down, a year is as often background: "since 2008",
"the 2011 earthquake"), so it weighs as the number it is. Both chosen on ECB+'s tune half
(BENCHMARKS.md: half or twice the weekday's weight scored lower; a year anywhere in the
text as a date let chance links up to the 1% limit).

General language does not know a run's own common names: a source's name in every
article, a word mangled by a bad encoding. So, once a run is large enough to say, a
term's weight also falls with the share of the run's documents that print it:
factor = 1 - a * (1 - log(N/df) / log(N/2)), with a = N / (N + story.corpus_docs), so a
run of a few hundred documents (where a topic's own names fill a large share) barely
uses it, and a run of many thousands mostly does. Not for dates: news of one day share
them.

Computed in the main process, at clustering time: `observe` looks up the run's own terms
in each language's list, once (in the user's cache of the lists, zipf_cache.py, else
streaming the list); the workers never load it.
"""

from __future__ import annotations

import math
import re
import threading
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, compress
from pathlib import Path
from types import ModuleType
from typing import Any

from cleaner.core.document import Document
from cleaner.core.features import Features
from cleaner.dedup import zipf_cache
from cleaner.dedup.terms import DATE_PREFIX, NO_LINE_WORDS, WEEKDAY_PREFIX, LineWords, is_number, is_year


@lru_cache(maxsize=1)
def _languages() -> dict[str, str]:
    """wordfreq's languages and the file of each one's "best" list (its "large" list, else
    its "small" one), as `wordfreq.available_languages("best")` finds them: by the names
    of its data files. Found without importing wordfreq (0.2 s: langcodes, ftfy and its
    tokenisers), which a run whose lists are cached never needs."""
    data = zipf_cache.wordfreq_folder() / "data"
    found: dict[str, dict[str, str]] = {"small": {}, "large": {}}
    for path in sorted(data.glob("*.msgpack.gz")):
        name, _, lang = path.name.split(".")[0].partition("_")
        if name in found and lang and not path.name.startswith("_"):
            found[name][lang] = str(path)
    return {**found["small"], **found["large"]}


@lru_cache(maxsize=1)
def _numbers() -> ModuleType:
    """wordfreq's `numbers` module (pure functions of digit strings; it imports only
    `regex`), loaded from its file without running wordfreq's package __init__; the
    ordinary import if that fails."""
    import importlib.util

    try:
        path = zipf_cache.wordfreq_folder() / "numbers.py"
        spec = importlib.util.spec_from_file_location("cleaner._wordfreq_numbers", path)
        if spec is None or spec.loader is None:
            raise ImportError(path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.smash_numbers, module.digit_freq  # noqa: B018 (both are there)
        return module
    except Exception:  # noqa: BLE001 (a wordfreq laid out otherwise: import it whole)
        import wordfreq.numbers

        return wordfreq.numbers


def table_language(lang: str | None) -> str:
    return lang if lang in _languages() else "en"


@lru_cache(maxsize=None)
def _table(lang: str) -> dict[str, float]:
    import wordfreq

    return wordfreq.get_frequency_dict(lang, wordlist="best")


def _number_zipf(term: str) -> float:
    import wordfreq

    # wordfreq estimates numbers by their shape (years, small counts); its tokeniser for
    # English handles any digits, where Chinese or Japanese would need extra packages.
    try:
        found: float = wordfreq.zipf_frequency(term, "en", wordlist="best")
    except ValueError:  # no estimate: a digit newer than Python's Unicode tables (numbers_zipf)
        return 0.0
    return found


# What wordfreq does to a word before it looks it up (wordfreq.zipf_frequency: its
# preprocess_text, then lossy_tokenize), for what a term can hold. Its lists keep the
# straight apostrophe (ftfy's uncurl_quotes turns these into it); a French or Catalan
# elision at a word's start is a word of its own ("l'état": "l" and "état").
_QUOTES = re.compile("[\u02bc\u2018-\u201b]")
_ELISION = re.compile(r"(\w\w?)'(?=[AEHIOUYÁÉÍÓÚÀÈÌÒÙÂÊÎÔÛÅÏÖŒaehiouyáéíóúàèìòùâêîôûåïöœ])")
_DOTTED_I = frozenset({"tr", "az", "kk"})  # a capital I is a dotless ı once lower-cased, İ an i
# s and t with a cedilla or a comma below, as each language's list writes them.
_UNDER = {"ro": str.maketrans("şţ", "șț"), **{lang: str.maketrans("șț", "şţ") for lang in _DOTTED_I}}


# Asked only for words not in _ZIPF_SEEN (zipf_of) and by explain's zipf: a cheap function,
# cached for the few words asked again. At 100,000 a long stream filled it with ~1,700 new
# words a 1,000-document batch (~250 bytes each) for its first ~60 batches (#16 point 9).
LIST_WORDS_CACHED = 4096


@lru_cache(maxsize=LIST_WORDS_CACHED)
def list_words(term: str, lang: str) -> tuple[str, ...]:
    """The words wordfreq's list for `lang` holds `term` under: one, or the parts of an
    elision, whose frequencies combine (list_zipf). A term is case-folded by str.casefold
    (dedup/terms.py), which makes "İ" an i and a combining dot, and "I" an i: in Turkish,
    Azerbaijani and Kazakh, the first is "i" and the second "ı". A name's first letter was
    a capital, so an i there without the dot was "I" ("Irak": "ırak"); further in, an i is
    taken as written (it is lower case, but for a word in capitals)."""
    word = term
    if lang in _DOTTED_I:
        if word.startswith("i") and not word.startswith("i\u0307") and not any(c.isdigit() for c in word):
            word = "ı" + word[1:]
        word = word.replace("i\u0307", "i")
    under = _UNDER.get(lang)
    if under is not None:
        word = word.translate(under)
    if "'" not in word and not _QUOTES.search(word):
        return (word,)
    word = _QUOTES.sub("'", word)
    parts = []
    while m := _ELISION.match(word):
        parts.append(m[1])
        word = word[m.end():]
    return (*parts, word)


def list_zipf(freqs: list[float]) -> float:
    """The Zipf frequency of a term looked up as several words (list_words): wordfreq's
    combination, 1/f = 1/f1 + 1/f2 + ..., f rounded to 3 significant digits; 0 if a word
    is missing (frequency 0)."""
    if not all(freqs):
        return 0.0
    freq = 1.0 / sum(1.0 / f for f in freqs)
    freq = round(freq, math.floor(-math.log10(freq)) + 3)
    return round(math.log10(freq) + 9.0, 2)


@lru_cache(maxsize=500_000)
def zipf(term: str, lang: str | None) -> float:
    """The term's Zipf frequency; 0 for a word the table does not hold. Loads the whole
    table of the language (~0.3 s, ~35 MB for English): for a few documents (explain,
    tests); a run looks its terms up in one pass instead (zipf_of)."""
    if is_number(term):
        return _number_zipf(term)
    table_lang = table_language(lang)
    table = _table(table_lang)
    words = list_words(term, table_lang)
    if len(words) > 1:
        return list_zipf([table.get(w, 0.0) for w in words])
    freq = table.get(words[0], 0.0)
    return math.log10(freq) + 9.0 if freq > 0 else 0.0


def zipf_of(words: set[str], lang: str) -> dict[str, float]:
    """Zipf frequencies of `words` (no digits) in wordfreq's list for `lang`: a run needs a
    few thousand of a list's 300,000 words, so it neither builds nor keeps the whole table
    (~35 MB a language). Looked up in the user's cache of the list (zipf_cache.py: a query
    for these words alone); without one, the list is streamed once, keeping only these,
    and, if an earlier run needed the list too, the cache file is written on the way."""
    if sum(map(len, _ZIPF_SEEN.values())) > _ZIPF_SEEN_MAX:  # a long-lived process sees ever more words
        _ZIPF_SEEN.clear()
    known = _ZIPF_SEEN.setdefault(lang, {})
    found = {w: known[w] for w in words if w in known}
    words = {w for w in words if w not in known}
    if not words:  # every word was looked up before (batch after batch, call after call)
        return found
    source = _languages()[lang]
    keys = _list_keys(words, lang)
    wanted = set(chain.from_iterable(keys.values()))
    buckets = zipf_cache.lookup(source, wanted)
    if buckets is None:
        buckets = {}
        cache = zipf_cache.Builder(source) if zipf_cache.wanted_before(source) else None
        try:
            for index, bucket in list_buckets(source, lang):
                if cache is not None:
                    cache.add(index, bucket)
                for word in wanted.intersection(bucket):
                    buckets[word] = index  # a word in two buckets: the last one, as the cache keeps
        except BaseException:  # an unreadable list, an interrupt: no temporary file left behind
            if cache is not None:
                cache.abandon()
            raise
        if cache is not None:
            cache.finish()
    for word, key in keys.items():
        if len(key) > 1:
            found[word] = list_zipf([0.0 if (at := buckets.get(k)) is None else 10.0 ** (-at / 100) for k in key])
            continue
        at = buckets.get(key[0])
        found[word] = 0.0 if at is None else round(9.0 - at / 100, 2)
    known.update((w, found[w]) for w in words)
    return found


def _list_keys(words: set[str], lang: str) -> dict[str, tuple[str, ...]]:
    """list_words of each of `words`: asked a word at a time only where it can differ from
    the word itself (a language that spells i, s or t otherwise; a word with an apostrophe
    or a quote), else each word alone, without ~8,000 calls a 3,000-document run (#12 pt 7)."""
    if lang not in _DOTTED_I and lang not in _UNDER:
        joined = "\n".join(words)
        if "'" not in joined and not _QUOTES.search(joined):
            return {w: (w,) for w in words}
    return {w: list_words(w, lang) for w in words}


def list_buckets(source: str, lang: str) -> Iterator[tuple[int, list[str]]]:
    """wordfreq's list file, a bucket at a time: (i, the words of frequency 10^(-i/100)).
    The "cBpack" format wordfreq documents (`wordfreq.read_cBpack`): a gzipped msgpack
    list, a header, then the buckets; streamed, since reading it whole holds ~80 MB."""
    import gzip

    import msgpack

    with gzip.open(source, "rb") as fh:
        unpacker = msgpack.Unpacker(fh, raw=False)
        buckets = unpacker.read_array_header() - 1
        header = unpacker.unpack()
        if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
            raise ValueError(f"wordfreq's list for {lang} has an unexpected header: {header!r}")
        for index in range(buckets):
            yield index, unpacker.unpack()


# Words looked up before, per language: read-only facts of wordfreq's lists, kept for the
# process so that a stream of batches (or of API calls) reads each list once per new word.
_ZIPF_SEEN: dict[str, dict[str, float]] = {}
# A bound on the words of all languages together: ~120 bytes a word, so at most ~2.4 MiB.
# A stream meets new words (names, typos) in every batch (~1,700 a 1,000-document batch of
# bench/state_bench.py's news): at the former 2,000,000 a language the process grew by
# ~0.25 MiB a batch for as long as a stream runs, and at 100,000 over all languages for its
# first ~60 batches (RSS not flat from 10,000 to 50,000 documents; #16 point 9). Emptied
# when full, the next lookups go to the cache file again (milliseconds): same values,
# never other ones.
_ZIPF_SEEN_MAX = 20_000


# wordfreq.numbers' estimate (wordfreq 3.1) for a number term of ASCII characters and
# letters ("2020", "covid19", "2020-м" as "2020м"), here by `re`: wordfreq's module imports
# the `regex` package, ~10-15 ms of every run's serial story tier (#18). On such text
# `regex`'s \d and `re`'s are the same ten digits (a letter is never a decimal digit), so
# the patterns match the same spans; the arithmetic below is wordfreq's, copied. A term
# with any other character (another script's digits: `regex` has Unicode tables of its
# own) goes to wordfreq's module. tests/test_thru24.py compares both with wordfreq's on
# random text, and the two \d on every code point: a wordfreq that changes them fails it.
_DIGIT_RE = re.compile(r"\d")
_MULTI_DIGIT_RE = re.compile(r"\d[\d.,]+")
_PURE_DIGIT_RE = re.compile(r"\d+")
_DIGIT_FREQS = [0.009, 0.300, 0.175, 0.124, 0.096, 0.078, 0.066, 0.057, 0.050, 0.045]
_YEAR_LOG_PEAK, _NOT_YEAR_PROB, _REFERENCE_YEAR, _PLATEAU_WIDTH = -1.9185, 0.1, 2019, 20


def _benford_freq(text: str) -> float:
    freq: float = _DIGIT_FREQS[int(text[0])] / 10 ** (len(text) - 1)  # an int power, as wordfreq's
    return freq


def _year_freq(text: str) -> float:
    year = int(text)
    if year <= _REFERENCE_YEAR:
        year_log_freq = _YEAR_LOG_PEAK - 0.0083 * (_REFERENCE_YEAR - year)
    elif _REFERENCE_YEAR < year <= _REFERENCE_YEAR + _PLATEAU_WIDTH:
        year_log_freq = _YEAR_LOG_PEAK
    else:
        year_log_freq = _YEAR_LOG_PEAK - 0.2 * (year - (_REFERENCE_YEAR + _PLATEAU_WIDTH))
    year_prob: float = 10.0**year_log_freq
    return year_prob + _NOT_YEAR_PROB * _benford_freq(text)


def _plain(text: str) -> bool:
    """ASCII characters and letters alone (see above)."""
    return text.isascii() or all(c.isascii() or c.isalpha() for c in text)


def smash_numbers(text: str) -> str:
    """wordfreq.numbers.smash_numbers: each run of digits (with . and , inside) as zeroes."""
    if not _plain(text):
        smashed: str = _numbers().smash_numbers(text)
        return smashed
    return _MULTI_DIGIT_RE.sub(lambda m: _DIGIT_RE.sub("0", m.group(0)), text)


def digit_freq(text: str) -> float:
    """wordfreq.numbers.digit_freq: how often a string of digits is seen, by its shape."""
    if not _plain(text):
        found: float = _numbers().digit_freq(text)
        return found
    freq = 1.0
    for match in _MULTI_DIGIT_RE.findall(text):
        for submatch in _PURE_DIGIT_RE.findall(match):
            freq *= _year_freq(submatch) if len(submatch) == 4 else _benford_freq(submatch)
    return freq


def number_shapes(numbers: set[str]) -> dict[str, str]:
    """Each number term's shape in wordfreq's English list (digits pooled: "2025" is "0000")."""
    return {n: smash_numbers(n) for n in numbers}


def numbers_zipf(shapes: dict[str, str], pooled: dict[str, float]) -> dict[str, float]:
    """wordfreq's estimate for number terms, as `zipf_frequency(term, "en")` gives it for a
    single token: the zipf of its shape in the English list (`pooled`), spread by wordfreq's
    digit and year distribution; without building the English table."""
    out: dict[str, float] = {}
    for n, shape in shapes.items():
        z = pooled[shape]
        if z and shape != n:
            try:
                z += math.log10(digit_freq(n))
            except ValueError:
                # wordfreq has no estimate for it: its `regex` reads a digit of newer Unicode
                # than Python's ("\U00016136", Unicode 16), which int() then refuses. Such a
                # term (none of salient_terms': Python's \w has no such character; one from
                # elsewhere, a state's kept terms, the API's features) weighs as a word the
                # list lacks, zipf 0, here and in zipf() alike; the story tier goes on.
                z = 0.0
        out[n] = round(max(z, 0.0), 2)
    return out


class TermWeights:
    def __init__(self, story_cfg: dict[str, Any]) -> None:
        self.base = float(story_cfg["rarity_base"])
        self.lead_boost = float(story_cfg["lead_boost"])
        self.date_weight = float(story_cfg["date_weight"])
        self.corpus_docs = int(story_cfg["corpus_docs"])
        self.wording_overlap = float(story_cfg["wording_overlap"])
        self.df: dict[str, int] = {}
        self.n = 0
        # Names recur across a run's documents: each (term, language) is weighed once, kept
        # by language, then term (`of` reads a document's terms from one dict, in C).
        self._weights: dict[str | None, dict[str, float]] = {}
        self._sources: dict[tuple[str, str | None, bool], str] = {}
        self._zipf: dict[str, dict[str, float]] = {}  # language -> name -> zipf (observe)
        self._numbers: dict[str, float] = {}

    def observe(self, docs: Iterable[Document], also: Iterable[Document] = ()) -> TermWeights:
        """Count, over the corpus the tier clusters, how many documents print each term;
        and look up the rarity of every name `docs` and `also` print, per language, in
        one pass over each language's list."""
        docs = list(docs)
        # Counted in C (Counter over the chained terms), in the order a loop would meet them.
        df: dict[str, int] = dict(Counter(chain.from_iterable(features(d).terms for d in docs)))
        self.df, self.n = df, len(docs)
        self._zipf, self._numbers = {}, {}
        self._weights.clear()
        self._sources.clear()
        return self.look_up((*docs, *also))

    def look_up(self, docs: Iterable[Document]) -> TermWeights:
        """Look up the rarity of the names `docs` print that are not known yet (documents
        shown beside the ones observed, such as a record's older members), without
        changing the corpus counts."""
        # Each language's distinct terms first (a set union per document, in C): a name
        # recurs across documents, and each is classified once.
        by_lang: dict[str, set[str]] = {}
        for d in docs:
            by_lang.setdefault(table_language(d.lang), set()).update(features(d).terms)
        wanted: dict[str, set[str]] = {}
        numbers: set[str] = set()
        for lang, terms in by_lang.items():
            known = self._zipf.get(lang, {})
            words = wanted.setdefault(lang, set())
            for t in terms:
                if is_number(t):
                    if t not in self._numbers:
                        numbers.add(t)
                elif not t.startswith(DATE_PREFIX) and t not in known:
                    words.add(t)
        # Number shapes are looked up in the English list, in the same pass as English names.
        shapes = number_shapes(numbers)
        if shapes:
            wanted.setdefault("en", set()).update(shapes.values())
        for lang, words in sorted(wanted.items()):
            if words:
                self._zipf.setdefault(lang, {}).update(zipf_of(words, lang))
        self._numbers.update(numbers_zipf(shapes, self._zipf.get("en", {})))
        return self

    def zipf(self, term: str, lang: str | None) -> float:
        known = self._numbers.get(term)
        if known is None:
            known = self._zipf.get(table_language(lang), {}).get(term)
        return zipf(term, lang) if known is None else known

    def corpus_factor(self, term: str) -> float:
        df = self.df.get(term, 0)
        if self.n < 3 or df <= 2 or term.startswith(DATE_PREFIX):
            return 1.0
        share = self.n / (self.n + self.corpus_docs)
        return 1.0 - share * (1.0 - math.log(self.n / df) / math.log(self.n / 2))

    def base_weight(self, term: str, lang: str | None) -> float:
        known = self._weights.get(lang)
        if known is None:
            known = self._weights[lang] = {}
        weight = known.get(term)
        if weight is None:
            if term.startswith(DATE_PREFIX):
                weight = self.date_weight
            else:
                weight = max(0.0, self.base - self.zipf(term, lang)) ** 2 * self.corpus_factor(term)
            known[term] = weight
        return weight

    def of(self, terms: Sequence[str], lead: Iterable[str], lang: str | None) -> dict[str, float]:
        """Each term's weight in one document (the same dict, in the same order, as a loop
        over the terms giving a lead term lead_boost x (date_weight for a year, else its
        base weight) and any other its base weight): base weights read from base_weight's
        own cache by one map in C, not a Python loop a term (#18: doc_terms 30.6 -> 26.9
        µs a document), then the lead's terms and the few terms not weighed yet, in place
        (their keys are there: the order stays the terms')."""
        known = self._weights.get(lang)
        if known is None:
            known = self._weights[lang] = {}
        out: dict[str, float | None] = dict(zip(terms, map(known.get, terms)))
        for t in lead:
            if t in out:
                out[t] = self.lead_boost * (self.date_weight if is_year(t) else self.base_weight(t, lang))
        if None in out.values():  # terms not weighed yet (none of the lead's: set above)
            for t, weight in out.items():
                if weight is None:
                    out[t] = self.base_weight(t, lang)
        return out  # type: ignore[return-value]  # every None replaced above

    def source(self, term: str, lang: str | None, in_lead: bool) -> str:
        """Where a weight came from, in words (explain, report)."""
        key = (term, lang, in_lead)
        if key not in self._sources:
            self._sources[key] = self._source(term, lang, in_lead)
        return self._sources[key]

    def _source(self, term: str, lang: str | None, in_lead: bool) -> str:
        if in_lead and is_year(term):
            why = f"year in the title or lead (story.date_weight {self.date_weight:g})"
        elif term.startswith(WEEKDAY_PREFIX):
            why = f"weekday in a text without a date (story.date_weight {self.date_weight:g})"
        elif term.startswith(DATE_PREFIX):
            why = f"date in the text (story.date_weight {self.date_weight:g})"
        else:
            why = f"rarity: zipf {self.zipf(term, lang):.2f} in {table_language(lang)}"
            factor = self.corpus_factor(term)
            if factor < 1.0:
                why += f"; corpus: in {self.df[term]} of {self.n} documents x{factor:.2f}"
        return why + (f"; title/lead x{self.lead_boost:g}" if in_lead else "")


@dataclass(slots=True)
class DocTerms:
    """One document's story features as the tier compares them."""

    weights: dict[str, float]  # term -> weight in this document
    lines: dict[str, int]  # term -> CRC-32 of the one line it is on (terms on several lines absent)
    total: float
    # the lines each term is on, as word hashes (none for a document read back without them)
    line_words: LineWords = NO_LINE_WORDS
    overlap: float = 1.0  # story.wording_overlap: lines this alike are the same wording


def features(doc: Document) -> Features:
    """A signed document's features (stages/sign.py); the story tier sees no other."""
    if doc.features is None:
        raise ValueError(f"{doc.id}: not signed (no features) but handed to the story tier")
    return doc.features


def doc_terms(doc: Document, weigh: TermWeights) -> DocTerms:
    f = features(doc)
    terms = f.terms
    weights = weigh.of(terms, f.lead, doc.lang)
    only = array("I")
    only.frombytes(f.term_lines)
    lines = dict(compress(zip(terms, only), only))  # the terms on one line only (c != 0), in C
    return DocTerms(weights, lines, sum(weights.values()), LineWords(f.line_words, terms),
                    weigh.wording_overlap)


def _alike(inter: int, size: int, overlap: float) -> bool:
    """Word Jaccard of two lines >= overlap (without a division), from the words they share
    and the sum of their word counts."""
    return inter > 0 and inter * (1.0 + overlap) >= overlap * size


class _Row:
    """One document's terms' lines and their words as Python objects, for the document a
    run of similarity() calls shares: candidate_edges compares one document (a row) with
    each of its candidates in turn, so this is worked out once for the row, not once per
    pair. Held for one document at a time (_row): unpacking every document's lines would
    cost ~15x their packed size in memory."""

    __slots__ = ("source", "sets", "on")

    def __init__(self, source: LineWords) -> None:
        self.source = source  # held, so its id cannot be reused while this row is cached
        self.sets: dict[int, frozenset[int]] = {}
        self.on: dict[str, tuple[int, ...]] = {}

    def words(self, line: int) -> frozenset[int]:
        found = self.sets.get(line)
        if found is None:
            found = self.sets[line] = self.source.words(line)
        return found

    def lines(self, term: str) -> tuple[int, ...]:
        """The lines the term is on (none if not known)."""
        found = self.on.get(term)
        if found is None:
            on = self.source.lines(term)
            found = self.on[term] = () if on is None else tuple(on)
        return found


_ROWS = threading.local()  # per thread: the row document of the last similarity() call


def _row(words: LineWords) -> _Row:
    row: _Row | None = getattr(_ROWS, "row", None)
    if row is None or row.source is not words:
        row = _ROWS.row = _Row(words)
    return row


class _Wording:
    """same_wording for the terms two documents a and b share: which line of a is alike which
    line of b is worked out once for the pair (their shared terms often sit on the same
    lines); a's lines come from the row (_row), b's are read in place, their words counted
    against a's line's set, never made a set of their own."""

    __slots__ = ("a", "b", "row", "seen")

    def __init__(self, a: DocTerms, b: DocTerms) -> None:
        self.a, self.b = a, b
        self.row = _row(a.line_words)
        self.seen: dict[tuple[int, int], bool] = {}

    def alike(self, i: int, j: int) -> bool:
        """Line i of a and line j of b: word Jaccard >= a.overlap (_alike; b's words are
        stored sorted and unique, so their count is the slice's length)."""
        found = self.seen.get((i, j))
        if found is None:
            x = self.row.words(i)
            v = self.b.line_words.values
            assert v is not None  # b gave j, so it has packed words
            lo, hi = v[2 + j], v[3 + j]
            overlap = self.a.overlap
            size = len(x) + hi - lo
            # They share at most min(|x|, |y|) words: if even that is too few, no need to count.
            found = (_alike(min(len(x), hi - lo), size, overlap)
                     and _alike(len(x.intersection(v[lo:hi])), size, overlap))
            self.seen[(i, j)] = found
        return found

    def in_alike_lines(self, term: str) -> bool:
        """Each line the term is on in either document has an alike line in the other that
        holds it (same_wording, less its identical-line case)."""
        mine = self.row.lines(term)
        packed = self.b.line_words
        names, v = packed.terms, packed.values
        k = bisect_left(names, term)
        if not mine or v is None or k >= len(names) or names[k] != term:
            return False  # a side without the term's lines (read back without them)
        at = 3 + v[0] + k
        lo, hi = v[at], v[at + 1]
        alike = self.alike
        if hi - lo == 1 and len(mine) == 1:  # most terms: one line on each side
            return alike(mine[0], v[lo])
        if hi == lo:
            return False
        theirs = v[lo:hi].tolist()
        return (all(any(alike(i, j) for j in theirs) for i in mine)
                and all(any(alike(i, j) for i in mine) for j in theirs))


def same_wording(a: DocTerms, b: DocTerms, term: str) -> bool:
    """The term is shared only as wording: each line it is on in either document has a line
    in the other that holds it too with nearly the same words (word Jaccard >= a.overlap,
    story.wording_overlap), or it is on one line in each and that line is the same word for
    word. Two outlets telling one event say it in their own words; two texts that share a
    line (a quote, a boilerplate line with one number changed) share its names without
    telling the same facts."""
    line = a.lines.get(term)
    return (line is not None and line == b.lines.get(term)) or _Wording(a, b).in_alike_lines(term)


def similarity(a: DocTerms, b: DocTerms, wording: list[str] | None = None) -> float:
    """Weighted Jaccard: the sum of the smaller weights of shared terms over the sum of the
    larger ones of all terms. Terms shared only as wording (inside lines both texts print
    nearly word for word, same_wording) are left out on both sides: shared wording is for
    the copy tiers to judge (a sentence two unrelated texts both quote is not two reports
    of one event). `wording`: the terms left out so are appended to it (similarity_given
    then measures the pair again on other weights without deciding them again)."""
    # The shared terms in sorted order (the order of `Features.terms`): sums stay the same
    # whatever the hash seed.
    terms = sorted(a.weights.keys() & b.weights.keys())
    if not terms:
        return 0.0
    shared = 0.0
    dropped = 0.0
    wa, wb = a.weights, b.weights
    mine, theirs = a.lines, b.lines
    in_alike_lines = _Wording(a, b).in_alike_lines
    for t in terms:
        w, other = wa[t], wb[t]
        line = mine.get(t)  # same_wording, inline: half the terms are on one identical line
        if (line is not None and line == theirs.get(t)) or in_alike_lines(t):
            dropped += w + other
            if wording is not None:
                wording.append(t)
        else:
            shared += min(w, other)
    if not shared:
        return 0.0
    return shared / (a.total + b.total - dropped - shared)


def similarity_given(a: DocTerms, b: DocTerms, wording: frozenset[str] | tuple[str, ...]) -> float:
    """similarity(a, b) where the terms shared only as wording are known (`wording`, as
    similarity gave them for two documents with the same terms and lines: the story tier's
    component-local weights, stories.local_edges): the same sums, in the same order, without
    comparing lines again (~65% of similarity's time)."""
    wa, wb = a.weights, b.weights
    kept = gone = 0.0
    for t in sorted(wa.keys() & wb.keys()):
        x, y = wa[t], wb[t]
        if t in wording:
            gone += x + y
        else:
            kept += min(x, y)
    return kept / (a.total + b.total - gone - kept) if kept else 0.0


EVIDENCE_SHOWN = 12  # shared terms listed with their weight and its source


def shared_evidence(weigh: TermWeights, a: Document, ta: DocTerms, b: Document, tb: DocTerms
                    ) -> tuple[list[str], list[dict[str, Any]]]:
    """The terms documents a and b share, heaviest first, and for the heaviest: the weight
    they count with (the smaller of the two sides) and where it came from."""
    wa, wb = ta.weights, tb.weights
    wording = {t: same_wording(ta, tb, t) for t in wa if t in wb}
    shared = sorted(wording, key=lambda t: (wording[t], -min(wa[t], wb[t]), t))
    evidence = []
    for t in shared[:EVIDENCE_SHOWN]:
        doc = a if wa[t] <= wb[t] else b
        why = weigh.source(t, doc.lang, t in features(doc).lead)
        if wording[t]:
            why = (f"not counted: only inside lines both texts print (nearly) word for word, word overlap "
                   f">= story.wording_overlap {ta.overlap:g} (" + why + ")")
        evidence.append({"term": t, "weight": round(min(wa[t], wb[t]), 2), "from": why})
    return shared, evidence
