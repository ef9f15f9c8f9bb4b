"""langdetect's detector with its per-character Python loops rewritten: same answers, faster.

Language detection is the pipeline's slowest stage, and half of langdetect's time goes to
preparing text one character at a time (a block lookup and a method call per character),
the other half to its probability updates, written as index loops. This subclass keeps
langdetect's algorithm, profiles, random draws and floating-point operations in the same
order, so its probabilities are identical to langdetect's (a test compares them on text in
many scripts and on random strings); only the Python overhead goes.
"""

from __future__ import annotations

import random
import re
import sys
from functools import lru_cache
from typing import Any

import numpy as np
from langdetect.detector import Detector  # langdetect has no type information: Any to mypy
from langdetect.utils.ngram import NGram

from cleaner.dedup.signatures import unique_sorted
from cleaner.stages.language.detect import ProfileMap

_INF = float("inf")
_SPACES = re.compile(" {2,}")
_DMARK = re.compile(f"[{NGram.DMARK_CLASS}]")  # NGram.normalize_vi acts only next to one of these
_LATIN = re.compile("[A-z]")  # langdetect's test: 'A' <= ch <= 'z'
# Characters from U+0300 up. langdetect means to leave out Latin Extended Additional
# (U+1E00-U+1EFF), but compares a block number with a block name, so it never does:
# identical answers mean counting them too. (cleaning_text counts both from code points;
# these runs are its definition, which tests/test_perdoc18.py compares with.)
_NON_LATIN_RUN = re.compile("[\u0300-\U0010ffff]+")
_LATIN_RUN = re.compile("[A-z]+")


class _Normalise(dict[int, str]):
    """str.translate table of NGram.normalize, filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        value: str = NGram.normalize(chr(code))
        if len(self) < 100_000:  # hostile text could name every code point: bounded
            self[code] = value
        return value


_NORMALISE = _Normalise()
# NGram.normalize maps every character to one character (tests/test_perdoc18.py checks every
# code point): its code point, filled on first sight (0: not seen yet; NGram.normalize never
# answers U+0000, which it maps to a space). Zeros until touched: pages are allocated only
# where characters were met.
_NORMALISED = np.zeros(0x110000, dtype=np.uint32)


def normalised(text: str) -> str:
    """text.translate(_NORMALISE). An ASCII text by translate itself (CPython's ASCII fast
    path); any other by one table look-up a character, ~5 µs for 500 characters against
    translate's ~19 (a dict look-up and an int a character)."""
    if text.isascii():
        return text.translate(_NORMALISE)
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = _NORMALISED
    mapped = table[cps]
    if not mapped.all():
        # unique_sorted, not np.unique: the same codes, and np.unique's first call in a
        # process imports numpy.ma (~15-40 ms), paid again by every forked worker.
        for code in unique_sorted(cps[mapped == 0]).tolist():
            one = _NORMALISE[code]
            if len(one) != 1:  # not what NGram.normalize answers: translate it is
                return text.translate(_NORMALISE)
            table[code] = ord(one)
        mapped = table[cps]
    return mapped.tobytes().decode("utf-32-le", "surrogatepass")


_ROWS: dict[int, dict[str, np.ndarray]] = {}
# Per profile set and weight: weight + the row of each n-gram met (FastDetector._one_trial).
_WEIGHTED: dict[tuple[int, float], dict[str, np.ndarray]] = {}
_OUTPUTS = 8192  # generator outputs drawn ahead: a text takes at most 1,001 draws, ~2 outputs each
_CHUNK = 128  # outputs read at a time (a text needs ~55 draws)


@lru_cache(maxsize=8)
def _stream(seed: Any) -> tuple[float, np.ndarray]:
    """What langdetect's generator gives after seed(seed): its first gauss draw and the
    32-bit outputs that follow (getrandbits(32 * n) is n outputs, least significant first)."""
    rand = random.Random()
    rand.seed(seed)
    gauss = rand.gauss(0.0, 1.0)
    outputs = np.frombuffer(rand.getrandbits(32 * _OUTPUTS).to_bytes(4 * _OUTPUTS, "little"), dtype=np.uint32)
    return gauss, outputs


@lru_cache(maxsize=64)
def _shifted(seed: Any, width: int) -> np.ndarray:
    """The outputs as getrandbits(width) reads them: their top `width` bits."""
    shifted: np.ndarray = _stream(seed)[1] >> np.uint32(32 - width)
    return shifted


# An n-gram as a trial reads its row: of a ProfileMap, its row number; else the n-gram itself.
Gram = Any
_WORDS: dict[int, dict[str, tuple[tuple[Gram, ...], int]]] = {}  # per profile set: word -> its n-grams
_MAX_WORDS = 200_000  # ~40 MB at most: n-gram strings (or row numbers) are shared with the profile's
_CANON: dict[int, dict[str, str]] = {}


def _canonical(known: Any) -> dict[str, Gram]:
    """The profile's n-grams, each mapped to what a trial reads its row by: a membership test
    that also hands back one shared object, so the word cache holds pointers, not copies. Of
    a ProfileMap, its row numbers (its own index: nothing to build, and a draw needs no
    look-up to find its row: lockstep_trials); else each n-gram mapped to itself."""
    if isinstance(known, ProfileMap):
        return known.index
    canon = _CANON.get(id(known))
    if canon is None:
        canon = _CANON[id(known)] = {g: g for g in known}
    return canon


def _word_grams(word: str, canon: dict[str, Gram]) -> tuple[tuple[Gram, ...], int]:
    """The n-grams langdetect takes from " word ", in its order (as `canon` maps them), and
    how many of them come from the closing space (dropped when nothing follows the word).

    At each character: the character, the last two and the last three characters since the
    space before the word; none at all where an upper-case letter follows another (an
    acronym's tail)."""
    padded = " " + word + " "
    out: list[Gram] = []
    append = out.append
    upper_before = False
    for k in range(1, len(padded)):
        ch = padded[k]
        upper = ch.isupper()
        if upper and upper_before:
            continue
        upper_before = upper
        if ch != " " and (g := canon.get(ch)) is not None:
            append(g)
        if (g := canon.get(padded[k - 1:k + 1])) is not None:
            append(g)
        if k > 1 and (g := canon.get(padded[k - 2:k + 1])) is not None:
            append(g)
    k = len(padded) - 1
    tail = (padded[k - 1:] in canon) + (k > 1 and padded[k - 2:] in canon)
    return tuple(out), tail


def _row(known: Any, gram: Gram) -> np.ndarray:
    """np.array(known[gram]): of a ProfileMap, its matrix row itself (the same float64
    values, without a list of 55 floats made and read back: ~3 µs a new n-gram), by the
    row number `_canonical` gave for the n-gram (or by the n-gram)."""
    if isinstance(known, ProfileMap):
        row: np.ndarray = known.matrix[known.index[gram] if isinstance(gram, str) else gram]
        return row
    return np.array(known[gram])


class FastDetector(Detector):  # type: ignore[misc]  # langdetect's Detector: untyped
    # Detector's attributes this class uses (declared for mypy; Detector sets them)
    text: str
    max_text_length: int
    word_lang_prob_map: dict[str, list[float]]
    langprob: list[float] | None

    def __init__(self, factory: Any) -> None:
        # Detector.__init__'s attributes, but for its generator: random.Random() seeds itself
        # from the OS (~50 µs a document), and _detect_block seeds it again before any draw.
        self.word_lang_prob_map = factory.word_lang_prob_map
        self.langlist = factory.langlist
        self.seed = factory.seed
        self.random = random.Random.__new__(random.Random)
        self.text = ""
        self.langprob = None
        self.alpha = self.ALPHA_DEFAULT
        self.n_trial = 7
        self.max_text_length = 10000
        self.prior_map = None
        self.verbose = False
        self._features: list[Gram] | None = None

    def append(self, text: str) -> None:
        # langdetect's three substitutions, each skipped where it cannot match (the same
        # text): an address needs "@" (MAIL_RE tries a run of up to 64 characters at every
        # letter, ~7 µs a sample), Vietnamese marks a combining mark (~4.5 µs).
        text = self.URL_RE.sub(" ", text)
        if "@" in text:
            text = self.MAIL_RE.sub(" ", text)
        if _DMARK.search(text):
            text = NGram.normalize_vi(text)
        # langdetect copies the first max_text_length characters, dropping a space after a space.
        self.text += _SPACES.sub(" ", text[: self.max_text_length])

    def cleaning_text(self) -> None:
        # count_of(_LATIN_RUN, text) and count_of(_NON_LATIN_RUN, text) from the code points
        # (~4 µs for 500 characters instead of ~15); an ASCII text has no character past
        # U+0300, so Latin letters cannot be fewer than half of none (tests/test_perdoc18.py).
        text = self.text
        if text.isascii():
            return
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        latin = int(np.count_nonzero((cps >= 0x41) & (cps <= 0x7A)))
        if latin * 2 < int(np.count_nonzero(cps >= 0x300)):
            self.text = _LATIN.sub("", text)

    def features(self) -> list[Gram]:
        """The text's n-grams, as _detect_block draws from them (cleaning_text, then
        _extract_ngrams), made once: `lockstep_trials` reads them before _detect_block."""
        ngrams: list[Gram] | None = self._features
        if ngrams is None:
            self.cleaning_text()
            ngrams = self._features = self._extract_ngrams()
        return ngrams

    def _extract_ngrams(self) -> list[Gram]:
        # NGram.add_char's state machine restarts at every space, so a word's n-grams
        # depend on the word alone: computed once per distinct word (news repeats its
        # words), then copied. Same list, same order as langdetect's loop (tested), each
        # n-gram as _canonical maps it (of a ProfileMap, its row number).
        known = self.word_lang_prob_map
        cache = _WORDS.get(id(known))
        if cache is None or len(cache) > _MAX_WORDS:
            cache = _WORDS[id(known)] = {}  # a bound: hostile text could be all distinct words
        canon = _canonical(known)
        result: list[Gram] = []
        extend = result.extend
        words = normalised(self.text).split(" ")
        last = len(words) - 1
        for index, word in enumerate(words):
            if not word:
                continue  # a second space in a row resets the machine and adds nothing
            hit = cache.get(word)
            if hit is None:
                hit = cache[word] = _word_grams(word, canon)
            grams, tail = hit
            # The space after a word adds its last n-grams; the text's last word has none.
            extend(grams if index < last else grams[: len(grams) - tail])
        return result

    # Probabilities as a numpy vector: the same IEEE operations element by element (no
    # reductions), without a Python loop over 55 languages at every draw.
    def _init_probability(self) -> np.ndarray:
        # As langdetect's: the prior map when one is set, else uniform.
        if self.prior_map is not None:
            return np.array(self.prior_map, dtype=np.float64)
        return np.full(len(self.langlist), 1.0 / len(self.langlist))

    def _detect_block(self) -> None:
        # langdetect's loop with its per-draw method calls inlined: the same random draws
        # (random.choice(seq) is seq[_randbelow(len(seq))]), the same operations in the same
        # order, so the same probabilities; about half the Python overhead per draw.
        from langdetect.lang_detect_exception import ErrorCode, LangDetectException

        ngrams = self.features()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        if self.n_trial == 1 and self.seed is not None:
            probs = self._one_trial(ngrams)
            if probs is not None:
                self.langprob = probs
                return
        known = self.word_lang_prob_map
        rows = _ROWS.setdefault(id(known), {})  # per profile set
        langprob = np.zeros(len(self.langlist))
        rand = self.random
        rand.seed(self.seed)
        # random.choice's _randbelow inlined (CPython's getrandbits version): the same draws.
        bits, count = rand.getrandbits, len(ngrams)
        width = count.bit_length()
        for _ in range(self.n_trial):
            prob = self._init_probability()
            weight = (self.alpha + rand.gauss(0.0, 1.0) * self.ALPHA_WIDTH) / self.BASE_FREQ
            i = 0
            while True:
                r = bits(width)
                while r >= count:
                    r = bits(width)
                word = ngrams[r]  # every n-gram is in the profile (_extract_ngrams)
                row = rows.get(word)
                if row is None:
                    # Only the n-grams met get a row (at most the 87,598 of langdetect's profiles, ~48 MB).
                    row = rows[word] = _row(known, word)
                prob *= weight + row
                if i % 5 == 0 and (self._normalize_prob(prob) > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT):
                    break
                i += 1
            langprob += prob / self.n_trial
        self.langprob = langprob.tolist()

    def _one_trial(self, ngrams: list[Gram]) -> list[float] | None:
        """_detect_block's loop for one trial with a fixed seed (the stage's setting). The
        generator is seeded the same way for every text, so its gauss draw, hence the
        weight, and its outputs are the same for every text: they are drawn once a process
        (_stream), and each n-gram's `weight + row` is kept instead of its row, which leaves
        one numpy operation a draw instead of two. Only the number of n-grams differs
        between texts: it sets how many top bits of an output make a draw and which draws
        are refused (random.choice's _randbelow). The same draws, the same floating-point
        operations: the same probabilities. None if the outputs drawn ahead run out."""
        known = self.word_lang_prob_map
        gauss, outputs = _stream(self.seed)
        weight = (self.alpha + gauss * self.ALPHA_WIDTH) / self.BASE_FREQ
        rows = _WEIGHTED.setdefault((id(known), weight), {})
        count = len(ngrams)
        shifted = _shifted(self.seed, count.bit_length())
        prob = self._init_probability()
        draws: list[int] = []
        taken = i = 0
        while True:
            if i == len(draws):  # the next outputs, the ones over `count` refused
                if taken >= len(shifted):
                    return None
                chunk = shifted[taken:taken + _CHUNK]
                taken += _CHUNK
                draws += chunk[chunk < count].tolist()
                continue
            word = ngrams[draws[i]]
            row = rows.get(word)
            if row is None:
                row = rows[word] = weight + _row(known, word)
            prob *= row
            if i % 5 == 0 and (self._normalize_prob(prob) > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT):
                break
            i += 1
        langprob = np.zeros(len(self.langlist))
        langprob += prob / self.n_trial  # as _detect_block: the same operations
        probs: list[float] = langprob.tolist()
        return probs

    def _normalize_prob(self, prob: np.ndarray) -> float:
        values = prob.tolist()
        total = sum(values)  # Python's sum, as langdetect: numpy's sums in another order
        prob /= total
        # The largest quotient is the largest value's: a correctly rounded division by one
        # positive finite number keeps the order (x <= y gives x/t <= y/t), so
        # max(values) / total is prob.max() after the division, without numpy's reduction
        # (~0.6 µs of ~4.9, ~10 a text; cpu-27, tests/test_cpu27.py). Other totals (0, inf,
        # nan: never from langdetect's positive rows) ask numpy, as before.
        if 0.0 < total < _INF:
            largest: float = max(values) / total
            return max(0.0, largest)
        return max(0.0, float(prob.max()))


# Python's sum of floats adds them in order, one double at a time, up to 3.11; from 3.12 it
# compensates (Neumaier), which no numpy reduction reproduces: `_totals` asks Python there.
_ORDERED_SUM = sys.version_info < (3, 12)
_FIRST_STEPS = 56  # the draws looked up ahead for each text at first: ~50 make a text's trial
_MORE_STEPS = 50  # then this many more at a time, for the texts still drawing


def _totals(prob: np.ndarray) -> np.ndarray:
    """sum(row) of each row of `prob`, as Python's sum gives it (_normalize_prob): on 3.11,
    np.add.accumulate, which adds along a row in order by definition (numpy's sum
    reductions add in another order: pairwise), its first partial sum 0.0 + row[0] as
    Python's (they differ only for -0.0, and then only in the sign of a zero total)."""
    if not _ORDERED_SUM:
        return np.array([sum(row) for row in prob.tolist()], dtype=np.float64)
    totals: np.ndarray = 0.0 + np.add.accumulate(prob, axis=1)[:, -1]
    return totals


def _draws(seed: Any, count: int, need: int) -> list[int]:
    """The first `need` n-gram positions _one_trial draws for a text of `count` n-grams
    (fewer if the outputs drawn ahead run out): the outputs under `count`, in order."""
    shifted = _shifted(seed, count.bit_length())
    ahead = shifted[:2 * need + 64]  # over half of the outputs are taken (count >= 2**(width-1))
    taken = ahead[ahead < count]
    if len(taken) < need:
        taken = shifted[shifted < count]
    drawn: list[int] = taken[:need].tolist()
    return drawn


def lockstep_trials(detectors: list[FastDetector]) -> None:
    """_one_trial for many texts at once: sets the `langprob` of each detector it can (the
    rest keep None, and get_probabilities runs their trial alone, as before).

    One trial is ~50 draws and ~10 normalisations a text, each a numpy call on a vector of
    55 languages: numpy's per-call cost, not the arithmetic, is most of its time. Here the
    texts' vectors are the rows of one matrix and every draw is one gather and one multiply
    for all of them; a text that has converged leaves the matrix. Each row sees the
    operations _one_trial makes on its vector (the same `weight + row`, products in the same
    order, its total in Python's order, the same division and test), so the same
    probabilities (tests/test_cpu30.py). Only for what _one_trial does: one trial, a fixed
    seed, langdetect's profiles as a ProfileMap, the same seed and alpha for all."""
    if not detectors:
        return
    first = detectors[0]
    known = first.word_lang_prob_map
    if not isinstance(known, ProfileMap):
        return
    group = []
    for det in detectors:
        if (isinstance(det, FastDetector) and det.n_trial == 1 and det.seed is not None
                and det.seed == first.seed and det.alpha == first.alpha
                and det.word_lang_prob_map is known and det.langlist is first.langlist
                and det.prior_map is None and det.langprob is None):
            ngrams = det.features()
            if ngrams:
                group.append((det, ngrams))
    if len(group) < 2:
        return  # alone, _one_trial is as quick
    seed, limit, threshold = first.seed, first.ITERATION_LIMIT, first.CONV_THRESHOLD
    gauss, _ = _stream(seed)
    weight = (first.alpha + gauss * first.ALPHA_WIDTH) / first.BASE_FREQ
    matrix = known.matrix
    # A trial stops at its first normalisation (i % 5 == 0) at or past the limit, if not before.
    steps = max(limit, 0) + (-max(limit, 0)) % 5 + 1

    def looked_up(k: int, start: int, stop: int) -> list[int] | None:
        """The profile rows of text k's draws start..stop-1; None if its outputs run out."""
        ngrams = group[k][1]
        drawn = _draws(seed, len(ngrams), stop)
        if len(drawn) < stop:
            return None
        return [ngrams[r] for r in drawn[start:stop]]  # row numbers (_canonical)

    alive = list(range(len(group)))
    rows = [looked_up(k, 0, min(_FIRST_STEPS, steps)) for k in alive]
    if any(r is None for r in rows):  # never met: a text's outputs would run out first
        alive = [k for k, r in zip(alive, rows) if r is not None]
        rows = [r for r in rows if r is not None]
        if len(alive) < 2:
            return
    gathered = np.array(rows, dtype=np.intp)
    languages = len(first.langlist)
    prob = np.full((len(alive), languages), 1.0 / languages)  # _init_probability's, without a prior
    i = 0
    while alive:
        stop = i + 1 if i == 0 else i + 5  # the draws up to the next normalisation (i % 5 == 0)
        if stop > gathered.shape[1]:
            have = gathered.shape[1]
            more = [looked_up(k, have, min(have + _MORE_STEPS, steps)) for k in alive]
            keep = [r is not None for r in more]
            if not all(keep):
                alive = [k for k, ok in zip(alive, keep) if ok]
                gathered, prob = gathered[keep], prob[keep]
                more = [r for r in more if r is not None]
                if not alive:
                    return
            gathered = np.concatenate([gathered, np.array(more, dtype=np.intp)], axis=1)
        block = weight + matrix[gathered[:, i:stop]]  # (texts, draws, languages)
        for step in range(stop - i):
            prob *= block[:, step]
        i = stop - 1
        prob /= _totals(prob)[:, None]
        # The largest quotient is the largest value's over the total (_normalize_prob);
        # numpy's max of a row with a NaN is NaN, which fails the test as Python's 0.0 does.
        done = (prob.max(axis=1) > threshold) | (i >= limit)
        if done.any():
            langprob = np.zeros((int(done.sum()), languages))
            langprob += prob[done] / 1  # as _one_trial (n_trial 1): the same operations
            for k, row in zip(np.flatnonzero(done).tolist(), langprob.tolist()):
                group[alive[k]][0].langprob = row
            left = ~done
            alive = [k for k, ok in zip(alive, left.tolist()) if ok]
            gathered, prob = gathered[left], prob[left]
        i += 1
