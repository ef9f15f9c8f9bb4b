"""#18 point 2 (cpu-27): three cuts of per-document CPU that must not change a value.

- minhash_mixed signs a text of one block (up to MINHASH_ROWS shingles: every 25-line text)
  without np.errstate and without folding a running minimum; minhash_values skips np.errstate
  for a 1-d array. The signatures must be the base's (its code is kept as minhash_blocks, for
  texts of several blocks) and no numpy floating-point or overflow error may be raised (they
  run under errstate(all="raise")).
- FastDetector._normalize_prob returns max(values) / total instead of prob.max() after the
  division: the same float, and the same divided vector.
- FastDetector's rows come from the ProfileMap's matrix (not a list of floats made into an
  array again): the same probabilities.
Each test names what it checks of the change; the ones marked so fail under the base (24b90fc).
"""

from __future__ import annotations


from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.dedup import signatures as S
from cleaner.stages.language import langdetect_fast
from cleaner.stages.language.detect import DetectLanguage, ProfileMap


def _minhash_base(mixed: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """minhash_mixed of the base (24b90fc): every text a block at a time, with a running
    minimum, under np.errstate (kept as minhash_blocks, for texts of several blocks)."""
    return S.minhash_blocks(mixed, num_perm, seed)


SIZES = [0, 1, 2, S.MINHASH_ACROSS - 1, S.MINHASH_ACROSS, S.MINHASH_ACROSS + 1, 440,
         S.MINHASH_ROWS - 1, S.MINHASH_ROWS, S.MINHASH_ROWS + 1, 2 * S.MINHASH_ROWS + 7]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("num_perm,seed", [(128, 1), (16, 7)])
def test_minhash_is_the_base_and_raises_nothing(size, num_perm, seed):
    rng = np.random.default_rng(size + seed)
    values = rng.integers(0, 2**32, size, dtype=np.uint64).astype(np.uint32)
    with np.errstate(all="raise"):  # no overflow check of numpy's may fire (none is silenced)
        mixed = S.minhash_mixed(values, num_perm, seed)
        signed = S.minhash_values(values, num_perm, seed)
    assert mixed.dtype == np.uint32 and mixed.shape == (num_perm,)
    assert np.array_equal(mixed, _minhash_base(values, num_perm, seed))
    with np.errstate(over="ignore"):
        assert np.array_equal(signed, _minhash_base(S.fmix32(values), num_perm, seed))
    # The extremes of the range: every product wraps.
    for fill in (0, 2**32 - 1):
        edge = np.full(size, fill, dtype=np.uint32)
        with np.errstate(all="raise"):
            assert np.array_equal(S.minhash_mixed(edge, num_perm, seed), _minhash_base(edge, num_perm, seed))


def test_a_one_block_signature_enters_no_errstate(monkeypatch):
    """Fails under the base: it entered np.errstate (~1.5 µs) for every signature."""
    def refuse(**_: object) -> None:
        raise AssertionError("np.errstate entered")

    values = np.arange(1, 441, dtype=np.uint32) * np.uint32(2654435761 & 0x7FFFFFFF)
    expected = (S.minhash_values(values, 128, 1), S.minhash_mixed(values[:40], 128, 1))
    monkeypatch.setattr(S.np, "errstate", refuse)
    assert np.array_equal(S.minhash_values(values, 128, 1), expected[0])
    assert np.array_equal(S.minhash_mixed(values[:40], 128, 1), expected[1])


def test_string_minhash_is_the_base():
    terms = [f"t{k}" for k in range(300)] + ["", "odesa", "@12-20"]
    for some in (terms[:1], terms[:40], terms):
        with np.errstate(over="ignore"):
            mixed = S.fmix32(S.low32(S.string_hashes(some)))
        assert np.array_equal(S.string_minhash(some, 128, 1), _minhash_base(mixed, 128, 1))


def _normalize_base(prob: np.ndarray) -> float:
    """FastDetector._normalize_prob of the base: prob.max() after the division."""
    prob /= sum(prob.tolist())
    return max(0.0, float(prob.max()))


FLOATS = st.floats(min_value=-1e3, max_value=1e300, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None)
@given(st.lists(FLOATS | st.sampled_from([0.0, -0.0, 5e-324, 1e-310, 1.0]), min_size=1, max_size=60))
def test_normalize_prob_is_the_base(values):
    det = langdetect_fast.FastDetector.__new__(langdetect_fast.FastDetector)
    ours, base = np.array(values, dtype=np.float64), np.array(values, dtype=np.float64)
    with np.errstate(all="ignore"):  # a zero or overflowing total: both divide by it alike
        got, want = det._normalize_prob(ours), _normalize_base(base)
    assert got == want or (got != got and want != want)
    assert np.array_equal(ours, base, equal_nan=True)
    assert np.array_equal(np.signbit(ours), np.signbit(base))


def test_normalize_prob_of_langdetect_like_vectors():
    rng = np.random.default_rng(3)
    det = langdetect_fast.FastDetector.__new__(langdetect_fast.FastDetector)
    for k in range(3000):
        values = rng.random(55) ** rng.integers(1, 60)
        ours, base = values.copy(), values.copy()
        assert det._normalize_prob(ours) == _normalize_base(base)
        assert np.array_equal(ours, base)


class _Lists(dict[str, None]):
    """A profile map that is not a ProfileMap: its rows are langdetect's lists of floats."""

    def __init__(self, known: ProfileMap) -> None:
        super().__init__(dict.fromkeys(known.index))
        self.known = known

    def __getitem__(self, gram: str) -> list[float]:  # type: ignore[override]
        return self.known[gram]


def test_rows_come_from_the_matrix_with_the_same_probabilities():
    """The rows are the ProfileMap's matrix rows: the same values as np.array(known[gram]);
    and whole detections agree with langdetect's own list-of-floats rows (a dict map)."""
    stage = DetectLanguage()
    stage.setup()
    known = stage._factory.word_lang_prob_map
    assert isinstance(known, ProfileMap)
    for gram in list(known)[:2000:7] + ["e", "th", "the"]:
        row = langdetect_fast._row(known, gram)
        assert row.dtype == np.float64 and np.array_equal(row, np.array(known[gram]))
        assert row.tobytes() == np.array(known[gram]).tobytes()  # -0.0 and all
    texts = ["The ministry said on Saturday that talks would resume in Geneva next week.",
             "Die Regierung hat am Samstag neue Gespräche in Genf angekündigt.",
             "Le gouvernement a annoncé samedi de nouvelles discussions à Genève.",
             "Правительство в субботу объявило о новых переговорах в Женеве."]
    lists = _Lists(known)  # kept alive: the detector's caches are keyed by the map's id
    for trials in (1, 3):
        for text in texts:
            langdetect_fast._WEIGHTED.clear()
            langdetect_fast._ROWS.clear()
            det = langdetect_fast.FastDetector(stage._factory)
            det.n_trial = trials
            det.append(text)
            ours = det.get_probabilities()
            plain = langdetect_fast.FastDetector(stage._factory)
            plain.word_lang_prob_map = lists  # rows as langdetect's lists
            plain.n_trial = trials
            plain.append(text)
            langdetect_fast._WEIGHTED.clear()
            langdetect_fast._ROWS.clear()
            theirs = plain.get_probabilities()
            assert [(c.lang, c.prob) for c in ours] == [(c.lang, c.prob) for c in theirs]


class _NoMax(np.ndarray):
    def max(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise AssertionError("numpy's max asked")


def test_normalize_prob_asks_no_numpy_max_of_a_positive_total():
    """Fails under the base: it took prob.max() (a numpy reduction, ~0.6 µs) at every check."""
    det = langdetect_fast.FastDetector.__new__(langdetect_fast.FastDetector)
    values = np.array([0.5, 0.25, 2.0, 1e-9])
    prob = values.copy().view(_NoMax)
    assert det._normalize_prob(prob) == _normalize_base(values.copy())


# --- The boilerplate stage's rules and prefilter, read back from the cache (cached.py) ---

def _rule_file(path, rule_id: str, phrase: str) -> None:
    path.write_text(f"""[[rule]]
id = "{rule_id}"
category = "promo"
action = "drop"
any = ["{phrase}"]
regex = '(?i)subscribe'
max_words = 30
examples.match = ["{phrase} and subscribe today"]
examples.no_match = ["The council met on Monday."]
""", encoding="utf-8")


def _shipped_paths():
    from cleaner.core.config import load_config

    return [Path(p) for p in load_config(None).rule_paths()]


LINES = ["We use cookies to improve your experience. Accept all cookies", "Read more: The talks resume",
         "The ministry said on Saturday that talks would resume.", "Subscribe to our newsletter", "-",
         "Share this article", "By Jane Smith", "Advertisement", "", "© 2024 Example News. All rights reserved."]


def _same(a, b) -> None:
    from cleaner.stages.boilerplate.tag import tag_lines

    (rules_a, pre_a), (rules_b, pre_b) = a, b
    assert rules_a == rules_b  # every field, regexes by source and flags
    assert pre_a.describe() == pre_b.describe()
    assert vars(pre_a).keys() == vars(pre_b).keys()
    for key in vars(pre_a):
        if key != "rules":
            assert getattr(pre_a, key) == getattr(pre_b, key), key
    tags = [[(t.line, t.rule.id, t.note, t.match and t.match.span(), t.in_run) for t in tag_lines(LINES, rules, 16, None, None, pre)]
            for rules, pre in ((rules_a, pre_a), (rules_b, pre_b))]
    assert tags[0] == tags[1] and tags[0]


def test_rules_are_read_back_the_same(tmp_path, monkeypatch):
    """Fails under the base (no cache: the stage loads and derives its rules in every run)."""
    from cleaner.stages.boilerplate import cached
    from cleaner.stages.boilerplate.prefilter import Prefilter
    from cleaner.stages.boilerplate.rules import load_rules
    from cleaner.stages.boilerplate.strip import StripBoilerplate

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path / "cache"))
    paths = _shipped_paths()
    derived = (load_rules(paths), None)
    derived = (derived[0], Prefilter(derived[0]))
    first = cached.rules_and_prefilter(paths)  # derived, and written
    assert (tmp_path / "cache").is_dir() and any((tmp_path / "cache").iterdir())

    def refuse(*_: object) -> None:
        raise AssertionError("rules loaded again")

    monkeypatch.setattr(cached, "load_rules", refuse)
    again = cached.rules_and_prefilter(paths)  # read back: load_rules is not called
    stage = StripBoilerplate(paths)
    _same(derived, first)
    _same(derived, again)
    _same(derived, (stage.rules, stage.prefilter))
    assert again[1].rules[0] is again[0][0]  # the prefilter's rules are the stage's own objects


def test_a_changed_rule_file_is_derived_again(tmp_path, monkeypatch):
    """Rewritten at once at the same size (its time may not change within the clock's tick):
    the stamp holds a digest of the bytes, so the new rules are loaded."""
    from cleaner.stages.boilerplate import cached

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path / "cache"))
    mine = tmp_path / "mine.toml"
    _rule_file(mine, "mine.one", "join our club")
    first, _ = cached.rules_and_prefilter([mine])
    assert [r.id for r in first] == ["mine.one"]
    size = mine.stat().st_size
    _rule_file(mine, "mine.two", "be our member")
    assert mine.stat().st_size == size
    second, pre = cached.rules_and_prefilter([mine])
    assert [r.id for r in second] == ["mine.two"] and second[0].any == ["be our member"]
    assert pre.rules[0] is second[0]
    assert cached.rules_and_prefilter([mine])[0] == second  # and that is what is read back now


def test_a_damaged_or_foreign_cache_file_is_not_used(tmp_path, monkeypatch):
    import pickle

    from cleaner.core import table_cache
    from cleaner.stages.boilerplate import cached
    from cleaner.stages.boilerplate.rules import load_rules

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path / "cache"))
    mine = tmp_path / "mine.toml"
    _rule_file(mine, "mine.one", "join our club")
    expected = load_rules([mine])
    cached.rules_and_prefilter([mine])
    path = table_cache.cache_path(cached._name(cached._stamp([mine])))
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF  # a flipped byte: the digest no longer matches
    path.write_bytes(bytes(data))
    assert cached._read(cached._stamp([mine])) is None
    assert cached.rules_and_prefilter([mine])[0] == expected
    # Whole and stamped, but not rules and their prefilter: not used either.
    for junk in (pickle.dumps(["not", "rules"]), pickle.dumps((expected, None)), b"\x80\x05garbage"):
        table_cache.write_table(cached._name(cached._stamp([mine])), cached._stamp([mine]), {}, [junk])
        assert cached._read(cached._stamp([mine])) is None
        got, pre = cached.rules_and_prefilter([mine])
        assert got == expected and pre.rules[0] is got[0]


def test_a_rule_file_with_an_error_still_raises_and_is_not_cached(tmp_path, monkeypatch):
    from cleaner.core.config import ConfigError
    from cleaner.core import table_cache
    from cleaner.stages.boilerplate import cached

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path / "cache"))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nid = "x"\ncategory = "promo"\naction = "explode"\n', encoding="utf-8")
    with pytest.raises(ConfigError):
        cached.rules_and_prefilter([bad])
    assert not list(table_cache.cache_path(cached.TABLE).parent.glob(f"{cached.TABLE}*"))
    with pytest.raises(ConfigError):  # and again: nothing was kept that could hide it
        cached.rules_and_prefilter([bad])


def test_a_cache_file_others_could_write_is_not_unpickled(tmp_path, monkeypatch):
    """The rules' table is a pickle: one another user could have written (group- or
    world-writable, or not this user's) is never read, whatever its stamp and digest."""
    import os

    from cleaner.core import table_cache
    from cleaner.stages.boilerplate import cached

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path / "cache"))
    mine = tmp_path / "mine.toml"
    _rule_file(mine, "mine.one", "join our club")
    cached.rules_and_prefilter([mine])
    path = table_cache.cache_path(cached._name(cached._stamp([mine])))
    assert path.stat().st_mode & 0o077 == 0  # written 0600 (mkstemp)
    assert cached._read(cached._stamp([mine])) is not None
    os.chmod(path, 0o664)
    assert cached._read(cached._stamp([mine])) is None
    assert table_cache.read_table(cached._name(cached._stamp([mine])), cached._stamp([mine])) is not None  # other tables: as before
    os.chmod(path, 0o600)
    assert cached._read(cached._stamp([mine])) is not None
    if hasattr(os, "getuid") and os.getuid() == 0:  # as root: a file another user owns
        os.chown(path, 4242, -1)
        assert cached._read(cached._stamp([mine])) is None
        got, pre = cached.rules_and_prefilter([mine])  # derived again, and written over
        assert [r.id for r in got] == ["mine.one"] and pre.rules[0] is got[0]
        assert path.stat().st_uid == 0 and cached._read(cached._stamp([mine])) is not None
