"""thru-24 (#18): modules a run imported on its serial path only to derive the same values.

- term_weights: wordfreq's number estimate for a number term of ASCII characters and
  letters by `re`, not wordfreq's module (which imports the `regex` package: ~10-15 ms of
  the serial story tier); the same shapes and floats as wordfreq's.
- signatures.permutations and bands.optimal_bands: read back from the user's cache folder
  (core/table_cache.py), not drawn / integrated again (numpy.random, numpy.polynomial:
  ~10 ms each of a run's serial start); the same values.
- provenance: package versions from the .dist-info folders where that gives what
  importlib.metadata gives (it imports the email package: ~15-25 ms of the serial start).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core import provenance
from cleaner.dedup import bands, signatures, term_weights

ROOT = Path(__file__).resolve().parents[1]


def _fresh(code: str, cache: Path) -> str:
    """`code` run in a fresh interpreter with its own cache folder; its stdout."""
    env = dict(os.environ, CLEANER_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout


# --- number terms ---------------------------------------------------------------------

_NUMBER_CHARS = "0123456789" * 3 + ".,-_ abxмяé٣٤"  # digits, separators, letters, Arabic-Indic digits


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_NUMBER_CHARS, max_size=16))
def test_number_estimates_are_wordfreqs(text):
    numbers = pytest.importorskip("wordfreq.numbers")
    assert term_weights.smash_numbers(text) == numbers.smash_numbers(text)
    assert term_weights.digit_freq(text) == numbers.digit_freq(text)


def test_years_and_counts_are_wordfreqs():
    numbers = pytest.importorskip("wordfreq.numbers")
    for n in [*range(0, 10_000), 12_000, 99_999, 2_020_2021]:
        for text in (str(n), str(n).zfill(4), f"{n}м", f"covid{n}", f"{n}.{n}", f"{n},5"):
            assert term_weights.digit_freq(text) == numbers.digit_freq(text), text
            assert term_weights.smash_numbers(text) == numbers.smash_numbers(text), text


def test_re_and_regex_agree_on_every_plain_character():
    """Where `re`'s \\d and `regex`'s differ (digits of newer Unicode than Python's), the
    character is neither ASCII nor a letter: such a term goes to wordfreq's module."""
    regex = pytest.importorskip("regex")
    everything = "".join(map(chr, range(0x110000)))
    ours = {m.start() for m in re.finditer(r"\d", everything)}
    theirs = {m.start() for m in regex.finditer(r"\d", everything)}
    assert all(not term_weights._plain(chr(c)) for c in ours ^ theirs)
    assert term_weights._plain("2020м") and not term_weights._plain("٢٠٢٠")


def test_number_terms_do_not_import_regex(tmp_path):
    """Fails before: wordfreq's numbers module (and `regex`) loaded for any number term."""
    out = _fresh("import sys\n"
                 "from cleaner.dedup import term_weights as tw\n"
                 "shapes = tw.number_shapes({'2020', '2020м', '12', 'covid19'})\n"
                 "tw.numbers_zipf(shapes, {s: 3.0 for s in shapes.values()})\n"
                 "print('regex' in sys.modules, sorted(shapes.items()))", tmp_path)
    assert out.startswith("False ")
    assert "('2020м', '0000м')" in out


# --- tables read back -----------------------------------------------------------------

def _derived_then_read(module: str, computed: str, tmp_path: Path) -> str:
    """Run `computed` (an expression) in two fresh processes sharing a cache folder: the
    first derives and imports `module`, the second reads the table back without it. The
    value's text, the same in both."""
    code = f"import sys\ngot = {computed}\nprint({module!r} in sys.modules, got)"
    first, second = _fresh(code, tmp_path), _fresh(code, tmp_path)
    assert first.startswith("True ") and second.startswith("False ")
    assert first.split(" ", 1)[1] == second.split(" ", 1)[1]
    return second.split(" ", 1)[1].strip()


def test_permutations_read_back_are_drawn(tmp_path):
    """Fails before: every process drew them, importing numpy.random."""
    got = _derived_then_read("numpy.random", "[(p.dtype.name, p.flags.writeable, p.tolist()) for p in "
                             "__import__('cleaner.dedup.signatures').dedup.signatures.permutations(128, 1)]", tmp_path)
    a, b = signatures.drawn_permutations(128, 1)
    assert got == str([("uint32", False, [2**32 - 1] * 128), ("uint32", False, a.tolist()), ("uint32", False, b.tolist())])


def test_permutations_from_the_cache_equal_drawn(tmp_path, monkeypatch):
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path))
    for num_perm, seed in [(128, 1), (64, 7), (256, 0)]:
        signatures.permutations.cache_clear()
        drawn = signatures.permutations(num_perm, seed)  # derived, written
        signatures.permutations.cache_clear()
        read = signatures.permutations(num_perm, seed)  # read back
        a, b = signatures.drawn_permutations(num_perm, seed)
        for got in (drawn, read):
            assert np.array_equal(got[1], a) and np.array_equal(got[2], b)
            assert got[1].dtype == got[2].dtype == np.uint32
            assert np.array_equal(got[0], np.full(num_perm, 2**32 - 1, dtype=np.uint32))
    signatures.permutations.cache_clear()


def test_bands_read_back_are_derived(tmp_path):
    """Fails before: every process integrated them, importing numpy.polynomial."""
    got = _derived_then_read("numpy.polynomial", "[__import__('cleaner.dedup.bands').dedup.bands.optimal_bands(*args) "
                             "for args in ((0.5, 128), (0.3, 64))]", tmp_path)
    assert got == str([bands.derived_bands(0.5, 128), bands.derived_bands(0.3, 64)])


def test_bands_from_the_cache_equal_derived(tmp_path, monkeypatch):
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path))
    asked = [(t / 20, n, fp, 1 - fp) for t in range(1, 20) for n in (16, 128) for fp in (0.5, 0.3)]
    for args in asked:  # each derived and written in turn: the table keeps BANDS_KEPT answers
        bands.optimal_bands.cache_clear()
        assert bands.optimal_bands(*args) == bands.derived_bands(*args)
    for args in asked:  # read back (the last BANDS_KEPT) or derived again: the same
        bands.optimal_bands.cache_clear()
        assert bands.optimal_bands(*args) == bands.derived_bands(*args)
    bands.optimal_bands.cache_clear()


def test_bands_refuse_an_impossible_answer(tmp_path, monkeypatch):
    """A table answering a (bands, rows) that num_perm cannot hold is not used."""
    from cleaner.core.table_cache import code_stamp, write_table

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path))
    stamp = f"numpy {np.__version__} {code_stamp(bands.__file__)}"
    for wrong in ([200, 1], [0, 5], [2.0, 3], "x", [1]):
        write_table(bands.BANDS_TABLE, stamp, {}, [json.dumps({"0.5 128 0.5 0.5": wrong}).encode()])
        bands.optimal_bands.cache_clear()
        assert bands.optimal_bands(0.5, 128) == bands.derived_bands(0.5, 128)
    bands.optimal_bands.cache_clear()


# --- package versions -----------------------------------------------------------------

def test_package_versions_are_importlib_metadatas(tmp_path):
    """In a fresh interpreter, as a run reads them: under pytest a plugin's finder (the
    importlib_metadata backport) makes dist_info_versions step aside, and this compared nothing."""
    # The project folder's own cleaner.egg-info (setuptools' editable install) makes the reader
    # step aside, rightly (an egg-info candidate); the folders without one are compared.
    out = _fresh("import json, os, sys\n"
                 "from cleaner.core.provenance import dist_info_versions, PACKAGES\n"
                 "path = [p for p in sys.path if not os.path.isdir(os.path.join(p or '.', 'cleaner.egg-info'))]\n"
                 "fast = dist_info_versions(PACKAGES, path)\n"
                 "from importlib import metadata\n"
                 "slow = {name: next(iter(metadata.distributions(name=name, path=path))).version for name in PACKAGES}\n"
                 "print(json.dumps([fast, slow]))", tmp_path)
    fast, slow = json.loads(out)
    if fast is None:  # an installation this cannot read: importlib.metadata answers
        pytest.skip("no .dist-info for every package here")
    assert fast == slow


def test_package_versions_do_not_import_email(tmp_path):
    """Fails before: importlib.metadata (and the email package) imported for the versions."""
    out = _fresh("import sys\n"
                 "from cleaner.core.provenance import dist_info_versions, PACKAGES, package_versions\n"
                 "package_versions()\n"
                 "print(dist_info_versions(PACKAGES) is not None, 'email' in sys.modules)", tmp_path)
    assert out.split() in (["True", "False"], ["False", "True"])


def _dist(folder: Path, dirname: str, metadata_text: str | None) -> None:
    info = folder / dirname
    info.mkdir(parents=True)
    if metadata_text is not None:
        (info / "METADATA").write_text(metadata_text, encoding="utf-8")


def _theirs(name: str, path: list[str]) -> str | None:
    found = list(metadata.distributions(name=name, path=path))
    return found[0].version if found else None


def test_dist_info_versions_as_importlib_metadata_or_none(tmp_path, monkeypatch):
    # Only the standard path finder finds distributions here: importlib_metadata (imported
    # by dask in other tests of this process) replaces its search with a finder of its own,
    # and dist_info_versions then leaves every question to importlib.metadata (None).
    from importlib.machinery import PathFinder

    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path
                                           if not hasattr(f, "find_distributions") or f is PathFinder])
    monkeypatch.setattr(PathFinder, "find_distributions", staticmethod(metadata.MetadataPathFinder.find_distributions),
                        raising=False)
    one, two = tmp_path / "one", tmp_path / "two"
    _dist(one, "Foo.Bar-1.0.dist-info", "Metadata-Version: 2.1\nName: Foo.Bar\nVersion: 1.0.post2  \n\nbody\n")
    _dist(two, "foo_bar-9.9.dist-info", "Name: foo-bar\nVersion: 9.9\n")  # later on the path: not used
    _dist(two, "baz-2.0.dist-info", "Name: baz\r\nversion:2.0\r\nVersion: 3\r\n")
    path = [str(tmp_path / "missing"), str(one), str(two)]
    got = provenance.dist_info_versions(("foo-bar", "BAZ"), path)
    assert got == {"foo-bar": _theirs("foo-bar", path), "BAZ": _theirs("BAZ", path)}
    assert got == {"foo-bar": "1.0.post2  ", "BAZ": "2.0"}
    # Where this might read otherwise, importlib.metadata is asked (None).
    assert provenance.dist_info_versions(("nothere",), path) is None
    three = tmp_path / "three"
    _dist(three, "qux-1.dist-info", "Name: qux\nVersion: 1\n")
    _dist(three, "Qux-2.dist-info", "Name: qux\nVersion: 2\n")  # two in one folder
    _dist(three, "egg-1.egg-info", "Name: egg\nVersion: 1\n")
    _dist(three, "fold-1.dist-info", "Name: fold\nSummary: a\n  folded line\nVersion: 1\n")
    _dist(three, "empty-1.dist-info", None)
    for name in ("qux", "egg", "fold", "empty"):
        assert provenance.dist_info_versions((name,), [str(three)]) is None
    zipped = tmp_path / "lib.zip"
    zipped.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    assert provenance.dist_info_versions(("foo-bar",), [str(zipped), str(one)]) is None


def test_dist_info_versions_leave_another_finder_to_importlib_metadata(monkeypatch):
    from importlib.machinery import PathFinder

    class Finder:
        @staticmethod
        def find_distributions(context=None):
            return iter(())

    finder = Finder()
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, finder])
    assert provenance.dist_info_versions(provenance.PACKAGES) is None
    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if f is not finder])
    monkeypatch.delattr(PathFinder, "find_distributions", raising=False)  # as importlib_metadata leaves it
    assert provenance.dist_info_versions(provenance.PACKAGES) is None
