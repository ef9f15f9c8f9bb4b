"""Language of each cleaned document, with langdetect (seeded: it is random otherwise)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from cleaner.core.document import Document
from cleaner.core.stage import Stage
from cleaner.dedup.signatures import letter_count

if TYPE_CHECKING:  # langdetect has no type information: its classes are Any to mypy
    from langdetect.detector_factory import DetectorFactory

    from cleaner.stages.language.langdetect_fast import FastDetector

# langdetect names the two Chinese scripts; records use ISO 639-1 like every other language.
_CODES = {"zh-cn": "zh", "zh-tw": "zh"}
UNDETERMINED = "und"

# Scripts that one language alone writes (among the languages a news corpus holds): when
# most letters of the sample are in one of them, the script decides and langdetect is not
# asked. Faster, and right for Armenian and Georgian, which langdetect does not know.
# Scripts shared by several languages (Latin, Cyrillic, Arabic, Devanagari, Han, Bengali)
# are left to langdetect. Japanese: kana are Japanese only, and Japanese prose uses many.
_SCRIPTS = [(lang, name, re.compile(f"[{chars}]"), share) for lang, name, chars, share in (
    ("el", "Greek", "\u0370-\u03ff\u1f00-\u1fff", 0.6),
    ("he", "Hebrew", "\u0590-\u05ff", 0.6),
    ("th", "Thai", "\u0e00-\u0e7f", 0.6),
    ("ko", "Hangul", "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af", 0.6),
    ("hy", "Armenian", "\u0530-\u058f", 0.6),
    ("ka", "Georgian", "\u10a0-\u10ff", 0.6),
    ("gu", "Gujarati", "\u0a80-\u0aff", 0.6),
    ("pa", "Gurmukhi", "\u0a00-\u0a7f", 0.6),
    ("ta", "Tamil", "\u0b80-\u0bff", 0.6),
    ("te", "Telugu", "\u0c00-\u0c7f", 0.6),
    ("kn", "Kannada", "\u0c80-\u0cff", 0.6),
    ("ml", "Malayalam", "\u0d00-\u0d7f", 0.6),
    ("si", "Sinhala", "\u0d80-\u0dff", 0.6),
    ("km", "Khmer", "\u1780-\u17ff", 0.6),
    ("lo", "Lao", "\u0e80-\u0eff", 0.6),
    ("my", "Myanmar", "\u1000-\u109f", 0.6),
    ("ja", "Japanese kana", "\u3040-\u30ff", 0.2),
)]
_HANGUL = next(pattern for lang, _, pattern, _ in _SCRIPTS if lang == "ko")
_KANA = next(pattern for lang, _, pattern, _ in _SCRIPTS if lang == "ja")
# Any letter of those scripts: one pass rules out most texts (Latin, Cyrillic...) at once.
_ANY_SCRIPT = re.compile("[" + "".join(p.pattern[1:-1] for _, _, p, _ in _SCRIPTS) + "]")
_LEAST_SHARE = min(share for *_, share in _SCRIPTS)


def script_language(sample: str, letters: int) -> tuple[str, str] | None:
    """(language, reason) when one language's own script holds most letters of the sample."""
    if len(_ANY_SCRIPT.findall(sample)) < _LEAST_SHARE * letters:
        return None
    for lang, name, pattern, share in _SCRIPTS:
        count = len(pattern.findall(sample))
        if count >= share * letters:
            return lang, (f"script: {count} of {letters} letters in the first {len(sample)} characters are "
                          f"{name}, written by this language alone (langdetect not asked)")
    return None


class ProfileMap(Mapping[str, list[float]]):
    """langdetect's `word_lang_prob_map` (each n-gram's probability in each language), held
    as one matrix: the same n-grams in the same order, the same floats (a row comes back as
    langdetect's list), built in ~0.1 s instead of langdetect's ~0.27 s of a list a n-gram;
    and no Python objects for forked workers' reference counts to copy."""

    def __init__(self, index: dict[str, int], matrix: np.ndarray) -> None:
        self.index, self.matrix = index, matrix

    def __getitem__(self, gram: str) -> list[float]:
        row: list[float] = self.matrix[self.index[gram]].tolist()
        return row

    def __contains__(self, gram: object) -> bool:
        return gram in self.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


def load_profiles(directory: str, entries: list[str] | None = None) -> tuple[list[str], ProfileMap] | None:
    """langdetect's DetectorFactory.load_profile, into a ProfileMap: its files in its order
    (os.listdir's), its row length (the directory's entry count), its arithmetic
    (1.0 * count / n_words[len - 1]). None where a profile is not the plain kind this
    reproduces exactly (n-grams of 1-3 characters, counts for each length, no name twice, no other keys):
    langdetect then loads them itself. `entries`: the directory's listing, if already read."""
    entries = os.listdir(directory) if entries is None else entries
    langs: list[str] = []
    index: dict[str, int] = {}
    columns = []
    for name in entries:
        path = os.path.join(directory, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as fh:
            profile = json.load(fh)
        if not isinstance(profile, dict) or not set(profile) <= {"freq", "n_words", "name"}:
            return None
        freq, n_words, lang = profile.get("freq"), profile.get("n_words"), profile.get("name")
        if not isinstance(freq, dict) or not isinstance(n_words, list) or len(n_words) != 3 \
                or not isinstance(lang, str) or lang in langs \
                or not all(isinstance(n, int) and n > 0 for n in n_words) \
                or not all(isinstance(c, int) and 0 <= c < 2**53 for c in freq.values()):
            return None
        grams = list(freq)
        lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
        if len(grams) and (lengths.min() < 1 or lengths.max() > 3):
            return None
        rows = np.fromiter((index.setdefault(g, len(index)) for g in grams), dtype=np.int64, count=len(grams))
        counts = np.fromiter(freq.values(), dtype=np.float64, count=len(grams))
        columns.append((rows, counts / np.array(n_words, dtype=np.float64)[lengths - 1]))
        langs.append(lang)
    matrix = np.zeros((len(index), len(entries)))
    for col, (rows, probs) in enumerate(columns):
        matrix[rows, col] = probs
    return langs, ProfileMap(index, matrix)


PROFILES_TABLE = "langdetect-profiles"


def cached_profiles(directory: str) -> tuple[list[str], ProfileMap] | None:
    """load_profiles(directory), read back from the user's cache folder when an earlier run
    loaded the same files (names, order, sizes, times: core/table_cache.py), else loaded
    and written there: ~0.02 s instead of ~0.13-0.2 s of a run's serial setup. The same
    languages, n-grams in the same order and the same floats (the matrix's nonzero cells,
    as float64 bytes)."""
    from cleaner.core.table_cache import code_stamp, files_stamp, read_table, write_table

    entries = os.listdir(directory)
    stamp = f"{files_stamp(directory, entries)} {code_stamp(__file__)}"
    got = read_table(PROFILES_TABLE, stamp)
    if got is not None:
        cached = _decode_profiles(*got)
        if cached is not None:
            return cached
    loaded = load_profiles(directory, entries)
    if loaded is not None:
        langs, profiles = loaded
        rows, cols = np.nonzero(profiles.matrix.view(np.int64))  # by bits: a -0.0 is kept too
        values = profiles.matrix[rows, cols]
        write_table(PROFILES_TABLE, stamp, {"langs": langs, "grams": list(profiles.index),
                                            "shape": list(profiles.matrix.shape), "cells": len(values)},
                    [rows.astype("<i4").tobytes(), cols.astype("<i4").tobytes(), values.astype("<f8").tobytes()])
    return loaded


def _decode_profiles(header: dict[str, Any], body: memoryview) -> tuple[list[str], ProfileMap] | None:
    """A cached table back into (languages, ProfileMap); None if it does not hold together."""
    try:
        langs, grams, (n_rows, n_cols), cells = header["langs"], header["grams"], header["shape"], header["cells"]
        if len(grams) != n_rows or len(body) != cells * 16:
            return None
        rows = np.frombuffer(body[:cells * 4], dtype="<i4")
        cols = np.frombuffer(body[cells * 4:cells * 8], dtype="<i4")
        values = np.frombuffer(body[cells * 8:], dtype="<f8")
        if set(map(type, grams)) - {str} or set(map(type, langs)) - {str}:
            return None
        index = dict(zip(grams, range(n_rows)))
        if len(index) != n_rows:
            return None
        matrix = np.zeros((n_rows, n_cols))
        matrix[rows, cols] = values  # an index out of range raises IndexError: not used
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return list(langs), ProfileMap(index, matrix)


@lru_cache(maxsize=1)
def _profiles() -> DetectorFactory:
    """langdetect's language profiles (~40 MB), read once per process (before workers
    fork): read-only tables every stage's factory shares (and the fast detector's caches
    key on them)."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    loaded = cached_profiles(PROFILES_DIRECTORY)
    if loaded is None:
        factory.load_profile(PROFILES_DIRECTORY)
    else:
        factory.langlist, factory.word_lang_prob_map = loaded
    return factory


# Samples whose answers a stage keeps (DetectLanguage.remember), of up to ANSWER_CHARS
# characters (language.sample_chars is 500): ~1-2 KB each with its reason, a few MB in all
# (at worst ~32 MiB: 2,000-character samples of 4-byte characters, review2-29).
ANSWERS_KEPT = 4096
ANSWER_CHARS = 2000


class DetectLanguage(Stage):
    name = "language"

    def __init__(self, sample_chars: int = 500, min_chars: int = 5, seed: int = 0, trials: int = 1,
                 by_script: bool = True, remember: bool = True):
        self.sample_chars, self.min_chars, self.seed, self.trials = sample_chars, min_chars, seed, trials
        self.by_script = by_script  # off only to measure langdetect alone (bench/language_bench.py)
        self._factory: DetectorFactory | None = None  # loaded by setup()
        # The answers given to the last samples (ANSWERS_KEPT at most), by sample and settings:
        # with a fixed seed, langdetect's answer is a function of the sample alone (the same
        # draws for every text), and copies of a story open with the same sample (the
        # references corpus's near copies: 678 of 3,000 samples repeat one met before). Off
        # (`remember=False`) to time the detector itself on texts it has seen (language_bench).
        self.remember = remember
        self._answers: dict[tuple[Any, ...], tuple[str, float | None, str]] = {}

    def setup(self) -> None:
        """This stage's own langdetect factory (not langdetect's module-wide one, whose
        class-wide seed any other user could change), over the profiles read once per process."""
        if self._factory is None:
            from langdetect.detector_factory import DetectorFactory

            letter_count("a")  # its table, once a process, before workers fork
            # The detector's module (and langdetect's, through it) imported here, before the
            # workers fork, not by each worker at its first document (~10-20 ms a process).
            self.detector_class()

            profiles = _profiles()
            factory = DetectorFactory()
            factory.word_lang_prob_map, factory.langlist = profiles.word_lang_prob_map, profiles.langlist
            # Seeded, or the same text gets different answers across runs; an instance
            # attribute, which Detector reads, shadows the class-wide one.
            factory.seed = self.seed
            self._factory = factory

    def __getstate__(self) -> dict[str, Any]:
        # Sent to another process without the profiles: each loads its own in setup().
        return {**self.__dict__, "_factory": None, "_answers": {}}

    def _detector(self, text: str) -> FastDetector:
        self.setup()
        detector = self.detector_class()(self._factory)
        detector.n_trial = self.trials  # langdetect's default is 7; see configs/default.toml
        detector.append(text)
        return detector

    def languages(self) -> list[str]:
        """The language codes langdetect knows (as it names them: zh-cn, zh-tw)."""
        self.setup()
        assert self._factory is not None  # setup() loaded it
        return list(self._factory.get_lang_list())

    @staticmethod
    def detector_class() -> type[FastDetector]:
        from cleaner.stages.language.langdetect_fast import FastDetector

        return FastDetector

    def process(self, doc: Document) -> Document:
        sample, shown, key = self._sample(doc)
        answer = self._answers.get(key) if key is not None else None
        if answer is None:
            answer = self._answer(sample, shown)
            self._keep(key, answer)
        doc.lang, doc.lang_prob, doc.lang_reason = answer
        return doc

    def process_batch(self, docs: list[Document]) -> list[Document]:
        """`process` over each document, langdetect's trials for all of them at once
        (langdetect_fast.lockstep_trials: the same probabilities): the same answers, each
        document's set once all are known. A sample kept, or met earlier in the batch, is
        not detected again; one the script decides or too short never reaches langdetect."""
        if self.trials != 1 or self.seed is None:  # lockstep_trials is _one_trial's
            return super().process_batch(docs)
        from cleaner.stages.language.langdetect_fast import lockstep_trials

        samples = [self._sample(doc) for doc in docs]
        answers: dict[int, tuple[str, float | None, str]] = {}
        firsts: dict[tuple[Any, ...], int] = {}  # a sample's first document in the batch
        waiting: list[tuple[int, FastDetector]] = []
        for k, (sample, _, key) in enumerate(samples):
            if key is not None:
                if (kept := self._answers.get(key)) is not None:
                    answers[k] = kept
                    continue
                if firsts.setdefault(key, k) != k:
                    continue  # answered with its first
            answer, detector = self._start(sample)
            if detector is None:
                assert answer is not None  # _start gives one or the other
                answers[k] = answer
            else:
                waiting.append((k, detector))
        lockstep_trials([detector for _, detector in waiting])
        for k, detector in waiting:  # those lockstep_trials did not answer run their trial here
            answers[k] = self._finish(samples[k][0], samples[k][1], detector)
        for k, (doc, (_, _, key)) in enumerate(zip(docs, samples)):
            answer = answers.get(k)
            if answer is None:
                assert key is not None  # only a kept sample's copy has none of its own
                answer = answers[firsts[key]]
            elif key is not None and firsts.get(key) == k:
                self._keep(key, answer)
            doc.lang, doc.lang_prob, doc.lang_reason = answer
        return docs

    def _sample(self, doc: Document) -> tuple[str, int, tuple[Any, ...] | None]:
        """The document's sample, how many characters the reason says it is (`shown`), and
        the key its answer is kept by (None: not kept)."""
        sample = doc.text[: self.sample_chars]
        shown = min(len(doc.text), self.sample_chars)  # the reason's "first N characters"
        if not self.remember or self.seed is None or len(sample) > ANSWER_CHARS:  # unseeded: random
            return sample, shown, None
        return sample, shown, (sample, shown, self.min_chars, self.seed, self.trials, self.by_script)

    def _keep(self, key: tuple[Any, ...] | None, answer: tuple[str, float | None, str]) -> None:
        if key is None:
            return
        if len(self._answers) >= ANSWERS_KEPT:
            self._answers = {}  # a new dict, not clear(): a Dask worker's threads share the stage
        self._answers[key] = answer

    def _answer(self, sample: str, shown: int) -> tuple[str, float | None, str]:
        """(lang, lang_prob, lang_reason) of a document whose text begins with `sample`
        (its first sample_chars characters; `shown`: how many the reason says)."""
        answer, detector = self._start(sample)
        if detector is None:
            assert answer is not None  # _start gives one or the other
            return answer
        return self._finish(sample, shown, detector)

    def _start(self, sample: str) -> tuple[tuple[str, float | None, str] | None, FastDetector | None]:
        """The answer where langdetect is not asked (too few letters, a script one language
        alone writes), else langdetect's detector holding the sample."""
        # Word characters, not isalpha(): Indic vowel signs are marks, and short CJK
        # sentences are few characters; both are still plenty for langdetect.
        letters = letter_count(sample)  # count_of(LETTER_RUN, sample), by a table (tests/test_perdoc18.py)
        if letters < self.min_chars:
            return (UNDETERMINED, None,
                    f"too little text to tell ({letters} letters < language.min_chars {self.min_chars})"), None
        decided = script_language(sample, letters) if self.by_script else None
        if decided:
            return (decided[0], None, decided[1]), None  # no probability: the script decided
        return None, self._detector(sample)

    def _finish(self, sample: str, shown: int, detector: FastDetector) -> tuple[str, float | None, str]:
        """The answer from langdetect's probabilities for the sample (`detector`'s)."""
        from langdetect.lang_detect_exception import LangDetectException

        try:
            candidates = detector.get_probabilities()
        except LangDetectException as exc:
            return UNDETERMINED, None, f"langdetect: {exc}"
        best = candidates[0]
        lang = _CODES.get(best.lang, best.lang)
        prob: float | None = round(float(best.prob), 4)  # Python's rounding, not numpy's
        others = ", ".join(f"{c.lang} {c.prob:.2f}" for c in candidates[1:3])
        reason = (f"langdetect on the first {shown} characters of the cleaned text"
                  + (f"; runners-up: {others}" if others else ""))
        if lang == "ko" and not _HANGUL.search(sample):
            # langdetect takes a short text in Han characters alone (Chinese) for Korean, even
            # at 1.0; Korean is written in Hangul: its runner-up, else Chinese (review-28). A kana
            # among the Han (a headline's particle: 首相官邸前で抗議集会) is Japanese's alone
            # (review-29). Han alone stays Chinese: langdetect, Korean left out, says zh-tw
            # for Japanese kanji too (its Han n-grams are grouped across the CJK languages).
            other = next((c for c in candidates if c.lang != "ko"), None)
            if _KANA.search(sample):
                return "ja", None, reason + "; not Korean: no Hangul letter, and a Japanese kana, so Japanese"
            lang = _CODES.get(other.lang, other.lang) if other is not None else "zh"
            prob = round(float(other.prob), 4) if other is not None else None
            reason += "; not Korean: no Hangul letter" + ("" if other is not None else ", so Chinese")
        return lang, prob, reason
