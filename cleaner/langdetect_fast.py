"""langdetect's detector with its per-character Python loops rewritten: same answers, faster.

Language detection is the pipeline's slowest stage, and half of langdetect's time goes to
preparing text one character at a time (a block lookup and a method call per character),
the other half to its probability updates, written as index loops. This subclass keeps
langdetect's algorithm, profiles, random draws and floating-point operations in the same
order, so its probabilities are identical to langdetect's (a test compares them on text in
many scripts and on random strings); only the Python overhead goes.
"""

from __future__ import annotations

import re

import numpy as np
from langdetect.detector import Detector
from langdetect.utils.ngram import NGram

_SPACES = re.compile(" {2,}")
_LATIN = re.compile("[A-z]")  # langdetect's test: 'A' <= ch <= 'z'
# Characters from U+0300 up. langdetect means to leave out Latin Extended Additional
# (U+1E00-U+1EFF), but compares a block number with a block name, so it never does:
# identical answers mean counting them too.
_NON_LATIN = re.compile("[\u0300-\U0010ffff]")


class _Normalise(dict):
    """str.translate table of NGram.normalize, filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        value = NGram.normalize(chr(code))
        if len(self) < 100_000:  # hostile text could name every code point: bounded
            self[code] = value
        return value


_NORMALISE = _Normalise()
_ROWS: dict[int, dict[str, np.ndarray]] = {}


class FastDetector(Detector):
    def append(self, text: str) -> None:
        text = self.URL_RE.sub(" ", text)
        text = self.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)
        # langdetect copies the first max_text_length characters, dropping a space after a space.
        self.text += _SPACES.sub(" ", text[: self.max_text_length])

    def cleaning_text(self) -> None:
        latin = len(_LATIN.findall(self.text))
        if latin * 2 < len(_NON_LATIN.findall(self.text)):
            self.text = _LATIN.sub("", self.text)

    def _extract_ngrams(self) -> list[str]:
        # NGram.add_char's state machine, inlined: `grams` is the last (up to) three
        # normalised characters since the last space, with the space itself.
        known = self.word_lang_prob_map
        result: list[str] = []
        append = result.append
        grams, capital = " ", False
        for ch in self.text.translate(_NORMALISE):
            last = grams[-1]
            if last == " ":
                capital = False
                if ch == " ":
                    grams = " "
                    continue
                grams = " " + ch
            elif len(grams) >= 3:
                grams = grams[1:] + ch
            else:
                grams += ch
            if ch.isupper():
                if last.isupper():
                    capital = True
            else:
                capital = False
            if capital:
                continue
            if ch != " " and ch in known:
                append(ch)
            if len(grams) >= 2:
                if grams[-2:] in known:
                    append(grams[-2:])
                if len(grams) == 3 and grams in known:
                    append(grams)
        return result

    # Probabilities as a numpy vector: the same IEEE operations element by element (no
    # reductions), without a Python loop over 55 languages at every draw.
    def _init_probability(self) -> np.ndarray:
        return np.array(super()._init_probability())

    def _update_lang_prob(self, prob: np.ndarray, word: str, alpha: float) -> bool:
        rows = _ROWS.setdefault(id(self.word_lang_prob_map), {})  # per profile set
        row = rows.get(word)
        if row is None:
            if word is None or word not in self.word_lang_prob_map:
                return False
            # Only the n-grams met get a row (at most the 87,598 of langdetect's profiles, ~48 MB).
            row = rows[word] = np.array(self.word_lang_prob_map[word])
        prob *= alpha / self.BASE_FREQ + row
        return True

    def _normalize_prob(self, prob: np.ndarray) -> float:
        prob /= sum(prob.tolist())  # Python's sum, as langdetect: numpy's sums in another order
        return max(0.0, float(prob.max()))
