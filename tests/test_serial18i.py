"""The main process's serial time (#18 points 1 and 3, serial-18i): setup tables read back
from the user's cache folder, the prefilter's probe prefixes, package versions read once,
the garbage collector's last walk skipped at the CLI process's exit. Every one changes
how long a run takes, never a value."""

import gc
import json
import os
import shutil
from pathlib import Path
from unittest.mock import Mock

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(folder))
    return folder


def _same_profiles(a, b):
    (langs_a, map_a), (langs_b, map_b) = a, b
    assert langs_a == langs_b
    assert list(map_a.index.items()) == list(map_b.index.items())  # the same n-grams, rows and order
    assert map_a.matrix.dtype == map_b.matrix.dtype and map_a.matrix.shape == map_b.matrix.shape
    assert map_a.matrix.tobytes() == map_b.matrix.tobytes()  # bit for bit


def test_profiles_are_read_back_from_the_cache_bit_for_bit(cache, monkeypatch):
    from langdetect.detector_factory import PROFILES_DIRECTORY

    import cleaner.stages.language.detect as detect

    fresh = detect.load_profiles(PROFILES_DIRECTORY)
    first = detect.cached_profiles(PROFILES_DIRECTORY)  # loads, then writes the table
    assert [p.name for p in cache.iterdir()] == ["langdetect-profiles-v1.table"]
    _same_profiles(first, fresh)

    def refused(*args, **kwargs):
        raise AssertionError("loaded again: the cached table was not used")

    monkeypatch.setattr(detect, "load_profiles", refused)
    second = detect.cached_profiles(PROFILES_DIRECTORY)
    _same_profiles(second, fresh)
    assert second[1]["the"] == fresh[1]["the"]


def _profiles_folder(folder, profiles):
    folder.mkdir()
    for name, profile in profiles.items():
        (folder / name).write_text(json.dumps(profile), encoding="utf-8")
    return str(folder)


def test_a_changed_profile_or_a_damaged_table_is_loaded_again(cache, tmp_path):
    from cleaner.core.table_cache import cache_path
    from cleaner.stages.language.detect import PROFILES_TABLE, cached_profiles, load_profiles

    folder = _profiles_folder(tmp_path / "p", {
        "aa": {"name": "aa", "freq": {"a": 3, "ab": 2, "abc": 1}, "n_words": [3, 2, 1]},
        "bb": {"name": "bb", "freq": {"b": 5, "ab": 1, "x": 0}, "n_words": [5, 1, 7]}})
    _same_profiles(cached_profiles(folder), load_profiles(folder))
    _same_profiles(cached_profiles(folder), load_profiles(folder))  # from the table
    # Another count in one profile (another size): the stamp differs, the table is not used.
    Path(folder, "bb").write_text(json.dumps({"name": "bb", "freq": {"b": 50, "ab": 1}, "n_words": [5, 1, 7]}))
    changed = cached_profiles(folder)
    _same_profiles(changed, load_profiles(folder))
    assert changed[1]["b"][changed[0].index("bb")] == 10.0  # the new count, not the table's
    table = cache_path(PROFILES_TABLE)
    whole = table.read_bytes()
    for damaged in (whole[:-3], whole[:20], b"", whole.replace(b'"cells"', b'"cellz"'), b"not json\n" + whole):
        table.write_bytes(damaged)
        _same_profiles(cached_profiles(folder), load_profiles(folder))
    # An unusual profile (langdetect's own loader decides) leaves no table behind.
    odd = _profiles_folder(tmp_path / "odd", {"aa": {"name": "aa", "freq": {"abcd": 1}, "n_words": [1, 1, 1]}})
    table.unlink()
    assert cached_profiles(odd) is None and not table.exists()


def test_a_cache_folder_that_cannot_be_written_changes_nothing(tmp_path, monkeypatch):
    from langdetect.detector_factory import PROFILES_DIRECTORY

    from cleaner.dedup import signatures
    from cleaner.stages.language.detect import cached_profiles, load_profiles

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(blocker / "cache"))  # under a file: cannot be made
    _same_profiles(cached_profiles(PROFILES_DIRECTORY), load_profiles(PROFILES_DIRECTORY))
    signatures._word_chars.cache_clear()
    try:
        assert np.array_equal(signatures._word_chars(), signatures.derived_word_chars())
    finally:
        signatures._word_chars.cache_clear()
    assert list(tmp_path.iterdir()) == [blocker]


def test_word_character_flags_are_read_back_from_the_cache(cache, monkeypatch):
    from cleaner.dedup import signatures

    want = signatures.derived_word_chars()
    signatures._word_chars.cache_clear()
    try:
        first = signatures._word_chars()
        assert (cache / "word-chars-v1.table").is_file()
        signatures._word_chars.cache_clear()

        def refused():
            raise AssertionError("derived again: the cached flags were not used")

        monkeypatch.setattr(signatures, "derived_word_chars", refused)
        second = signatures._word_chars()
    finally:
        signatures._word_chars.cache_clear()
    for flags in (first, second):
        assert flags.dtype == want.dtype and flags.shape == want.shape and np.array_equal(flags, want)


def test_the_prefilters_probe_prefixes_are_the_probes_each_probe_starts_with(cfg):
    from cleaner.stages.boilerplate.prefilter import Prefilter
    from cleaner.stages.build import build_stages

    boilerplate = next(s for s in build_stages(cfg).mapped() if s.name == "boilerplate")
    prefilter = Prefilter(boilerplate.rules)
    probes = sorted(prefilter.by_match)
    assert len(probes) > 100
    for p in probes:
        assert prefilter.by_match[p][0] == frozenset(q for q in probes if p.startswith(q))


def test_package_versions_are_read_once_a_process(monkeypatch):
    from importlib import metadata

    import cleaner.core.provenance as provenance

    real = metadata.version
    counting = Mock(side_effect=real)
    monkeypatch.setattr(metadata, "version", counting)
    # By importlib.metadata (thru-24: the .dist-info folders are read first where they can be).
    fast = Mock(return_value=None)
    monkeypatch.setattr(provenance, "dist_info_versions", fast)
    provenance._package_versions.cache_clear()
    try:
        first = provenance.package_versions()
        first["numpy"] = "changed by a caller"
        second = provenance.package_versions()
    finally:
        provenance._package_versions.cache_clear()
    asked = [c.args[0] for c in counting.call_args_list]
    assert sorted(asked) == sorted(provenance.PACKAGES)  # once each, over two calls
    assert second["numpy"] == real("numpy") and list(second) == list(provenance.PACKAGES)
    assert fast.call_count == 1


def test_the_cli_process_freezes_the_collector_before_it_exits(tmp_path, monkeypatch):
    import cleaner.cli as cli

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("The minister said on Monday that the talks would resume.\n" * 3)
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr("sys.argv", ["cleaner", "run", str(folder), "--out", str(tmp_path / "out"), "-q",
                                     "--workers", "1"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()  # the process's own command line
    assert exit_.value.code == 0 and frozen == [True]
    shutil.rmtree(tmp_path / "out")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", str(folder), "--out", str(tmp_path / "out"), "-q", "--workers", "1"])
    assert exit_.value.code == 0 and frozen == [True]  # a caller's argv: its process goes on


@pytest.mark.parametrize("count", [0, 1, 63, 64, 65, 128, 129, 500, 3000])
@pytest.mark.parametrize("workers", [2, 3])
def test_a_pools_last_batches_are_cut_finer_and_hold_every_document_in_order(count, workers):
    from cleaner.exec.local import BATCH, TAIL_SPLIT, pool_batches

    docs = list(range(count))
    got = list(pool_batches(iter(docs), workers))
    assert [d for batch in got for d in batch] == docs and all(got)
    full = max(0, -(-count // BATCH) - workers)  # the batches before the tail: whole ones
    assert all(len(batch) == BATCH for batch in got[:full])
    tail = got[full:]
    assert len(tail) <= workers * TAIL_SPLIT
    assert all(len(batch) <= -(-min(count, workers * BATCH) // (workers * TAIL_SPLIT)) for batch in tail)


def test_a_pool_is_handed_the_tail_cut_finer(monkeypatch):
    """3,000 inputs on 2 workers: 45 batches of 64, then the last 120 documents in 8 of 15;
    every result back, in input order."""
    import cleaner.exec.local as local
    from cleaner.core.document import Document

    sizes = []
    real = local.pool_batches

    def spying(docs, workers, size=local.BATCH):
        for batch in real(docs, workers, size):
            sizes.append(len(batch))
            yield batch

    monkeypatch.setattr(local, "pool_batches", spying)
    docs = [Document(id=str(k), source="s", text=f"text {k}") for k in range(3000)]
    out = [doc.id for doc, _ in local.LocalExecutor(2).map(iter(docs), [])]
    assert out == [str(k) for k in range(3000)]
    assert sizes == [64] * 45 + [15] * 8


def test_the_default_configuration_is_not_loaded_again_to_find_its_own_rule_files(cfg, monkeypatch, tmp_path):
    import cleaner.core.config as config
    from cleaner.core.config import ConfigError
    from cleaner.stages.build import build_stages

    loads = []
    real = config.load_config

    def counting(path=None):
        loads.append(path)
        return real(path)

    monkeypatch.setattr(config, "load_config", counting)
    build_stages(cfg)
    assert loads == []  # the default configuration: every rule file it names is shipped
    # A user's configuration still has its own rule file checked against its examples.
    rules = tmp_path / "mine.toml"
    rules.write_text('[[rule]]\nid = "mine.x"\ncategory = "promo"\naction = "drop"\nany = ["subscribe now"]\n'
                     'examples.match = ["nothing like it"]\nexamples.no_match = []\n')
    user = tmp_path / "user.toml"
    user.write_text(f'[boilerplate]\nrule_files = ["{rules.name}"]\n')
    with pytest.raises(ConfigError, match="does not tag its own example"):
        build_stages(real(user))
    assert loads == []  # nor for a user's: the shipped files are read from the default's TOML
