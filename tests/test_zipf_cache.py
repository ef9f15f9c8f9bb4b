"""wordfreq's lists cached as SQLite files (dedup/zipf_cache.py): the cache changes how
long a lookup takes, never its answer (issue #12, point 7)."""

import sqlite3

import pytest

from cleaner import api
from cleaner.dedup import term_weights, zipf_cache
from cleaner.dedup.term_weights import list_buckets, zipf_of

LANG = "fr"  # one of wordfreq's smaller "large" lists: each test builds its cache in ~1 s


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache folder, and no words remembered by the process from earlier lookups."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(zipf_cache.CACHE_ENV, str(folder))
    monkeypatch.setattr(term_weights, "_ZIPF_SEEN", {})
    return folder


def source() -> str:
    return term_weights._languages()[LANG]


def streamed(words: set[str]) -> dict[str, float]:
    """What a lookup must answer: read straight from wordfreq's file, the last bucket of a word."""
    out = dict.fromkeys(words, 0.0)
    for index, bucket in list_buckets(source(), LANG):
        for word in words.intersection(bucket):
            out[word] = round(9.0 - index / 100, 2)
    return out


def sample_words() -> set[str]:
    every = [w for _, bucket in list_buckets(source(), LANG) for w in bucket]
    # Common and rare words from every part of the list, and words it lacks.
    return set(every[::997]) | set(every[-50:]) | {"zzqxjw", "ödesaïx", "paris", "le"}


def fresh_lookup(words: set[str], monkeypatch) -> dict[str, float]:
    monkeypatch.setattr(term_weights, "_ZIPF_SEEN", {})
    return zipf_of(set(words), LANG)


def test_cached_values_equal_the_streamed_list(cache, monkeypatch):
    words = sample_words()
    expected = streamed(words)
    path = zipf_cache.cache_file(source())
    assert fresh_lookup(words, monkeypatch) == expected  # first use: streamed, only a marker left
    assert not path.exists() and path.with_suffix(".wanted").is_file()
    assert fresh_lookup(words, monkeypatch) == expected  # second use: streamed, cache written
    assert path.is_file() and not list(cache.glob(".*.tmp"))
    assert zipf_cache.lookup(source(), words) is not None  # the next lookup reads the cache
    assert fresh_lookup(words, monkeypatch) == expected
    # Every word of the list, as the cache holds it, against the file itself.
    with sqlite3.connect(path) as con:
        cached = dict(con.execute("SELECT word, bucket FROM words"))
    last = {w: i for i, bucket in list_buckets(source(), LANG) for w in bucket}
    assert cached == last


def test_an_unwritable_cache_folder_only_means_no_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(zipf_cache.CACHE_ENV, str(blocker / "cache"))  # can never be created
    monkeypatch.setattr(term_weights, "_ZIPF_SEEN", {})
    words = sample_words()
    for _ in range(2):  # first and second use
        monkeypatch.setattr(term_weights, "_ZIPF_SEEN", {})
        assert zipf_of(set(words), LANG) == streamed(words)
    assert not (blocker / "cache").exists()
    items = [{"id": "a", "text": "Le musée d'Orsay rouvre ses portes à Paris après deux ans de travaux."},
             {"id": "b", "text": "À Paris, le musée d'Orsay a rouvert ses portes après deux ans de travaux."}]
    assert api.clean(items).documents  # a whole run goes through


def test_a_half_written_cache_file_is_never_used(cache, monkeypatch):
    words = sample_words()
    expected = streamed(words)
    path = zipf_cache.cache_file(source())
    cache.mkdir(parents=True)
    # A file cut short, then a database whose writing stopped before it was complete (its
    # words wrong, no "complete" mark): neither is read, and each is replaced.
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    assert zipf_cache.lookup(source(), words) is None
    assert fresh_lookup(words, monkeypatch) == expected
    path.unlink()
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        con.execute("CREATE TABLE words (word TEXT PRIMARY KEY, bucket INTEGER NOT NULL) WITHOUT ROWID")
        con.executemany("INSERT INTO words VALUES (?, 0)", [(w,) for w in words])
        con.execute("INSERT INTO meta VALUES ('built_from', ?)", (zipf_cache._stamp(source()),))
    con.close()
    assert zipf_cache.lookup(source(), words) is None
    assert fresh_lookup(words, monkeypatch) == expected
    assert zipf_cache.lookup(source(), words) is not None  # rebuilt, complete
    assert fresh_lookup(words, monkeypatch) == expected


def test_a_cache_built_from_another_list_is_not_used(cache, monkeypatch):
    words = sample_words()
    fresh_lookup(words, monkeypatch)
    fresh_lookup(words, monkeypatch)
    path = zipf_cache.cache_file(source())
    with sqlite3.connect(path) as con:
        con.execute("UPDATE meta SET value = 'another wordfreq' WHERE key = 'built_from'")
    con.close()
    assert zipf_cache.lookup(source(), words) is None


def test_a_failed_build_leaves_nothing_behind(cache, monkeypatch):
    builder = zipf_cache.Builder(source())
    builder.add(0, ["le", "la"])
    monkeypatch.setattr(zipf_cache.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    assert builder.finish() is False
    assert list(cache.iterdir()) == []


def test_the_cache_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(zipf_cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert zipf_cache.cache_dir() == tmp_path / "cleaner"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid under the spec: ignored
    assert zipf_cache.cache_dir().name == "cleaner" and zipf_cache.cache_dir().is_absolute()


def test_languages_and_numbers_as_wordfreq_has_them():
    import wordfreq
    import wordfreq.numbers

    assert term_weights._languages() == wordfreq.available_languages("best")
    numbers = term_weights._numbers()
    for n in ("2025", "1999", "12", "007", "3,000", "4.5", "27", "100000"):
        assert numbers.smash_numbers(n) == wordfreq.numbers.smash_numbers(n)
        assert numbers.digit_freq(n) == wordfreq.numbers.digit_freq(n)


def test_a_list_that_fails_midway_leaves_no_temporary_file(cache, monkeypatch):
    def broken(source, lang):
        yield 0, ["le", "la"]
        raise ValueError("truncated list")

    zipf_cache.wanted_before(source())  # the second use: this lookup builds
    monkeypatch.setattr(term_weights, "list_buckets", broken)
    with pytest.raises(ValueError):
        zipf_of({"paris"}, LANG)
    assert sorted(p.name for p in cache.iterdir()) == [zipf_cache.cache_file(source()).with_suffix(".wanted").name]


def test_the_wordfreq_version_is_the_installed_one():
    """The cache files are named for wordfreq's version, read from its dist-info folder's
    name: it must be the version importlib.metadata reports."""
    from importlib.metadata import version

    zipf_cache._wordfreq_version.cache_clear()
    assert zipf_cache._wordfreq_version() == version("wordfreq")
