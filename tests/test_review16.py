"""review-16: defects found reviewing the session's merged change (a505695..main)."""

import os
import pwd

import numpy as np
import pytest


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(folder))
    return folder


def test_a_table_damaged_inside_its_body_is_not_used(cache):
    """A cache file of the right length whose bytes changed (a disk, a hand) is derived
    again: the cache changes how long setup takes, never a value."""
    from cleaner.core.table_cache import cache_path, read_table, write_table

    write_table("t", "s", {"k": 1}, [b"\x00\x01\x02\x03", b"\x04\x05"])
    got = read_table("t", "s")
    assert got is not None and bytes(got[1]) == b"\x00\x01\x02\x03\x04\x05"
    path = cache_path("t")
    whole = bytearray(path.read_bytes())
    whole[-3] ^= 0x40  # one bit of the body: the same length
    path.write_bytes(bytes(whole))
    assert read_table("t", "s") is None


def test_damaged_profiles_cells_never_reach_the_detector(cache, tmp_path):
    """A negative row number in a cached profiles table would index from the end (numpy
    raises only past the end): the table is not used, the profiles are loaded again."""
    from langdetect.detector_factory import PROFILES_DIRECTORY

    from cleaner.core.table_cache import cache_path
    from cleaner.stages.language.detect import PROFILES_TABLE, cached_profiles, load_profiles

    want = load_profiles(PROFILES_DIRECTORY)
    cached_profiles(PROFILES_DIRECTORY)
    path = cache_path(PROFILES_TABLE)
    data = bytearray(path.read_bytes())
    body = data.index(b"\n") + 1
    data[body:body + 4] = (-1).to_bytes(4, "little", signed=True)  # the first cell's row
    path.write_bytes(bytes(data))
    got = cached_profiles(PROFILES_DIRECTORY)
    assert got[0] == want[0]
    assert got[1].matrix.tobytes() == want[1].matrix.tobytes()


def test_no_home_folder_means_no_cache_not_a_traceback(monkeypatch):
    """No $HOME and no passwd entry (a container run as an arbitrary uid): Path.home()
    raises RuntimeError; the setup tables are derived as before, every run."""
    from cleaner.core.table_cache import read_table, write_table

    for name in ("CLEANER_CACHE_DIR", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)

    def nobody(uid):
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", nobody)
    assert read_table("t", "s") is None
    write_table("t", "s", {}, [b"x"])  # quietly nothing


def test_a_python_api_configs_own_rule_file_is_checked_against_its_examples(tmp_path):
    """config_from_dict keeps the default configuration's path: a dict that names a
    user's rule file must still have that file checked against its own examples (the
    default configuration's shortcut in _check_own_examples skipped it)."""
    from cleaner.core.config import ConfigError, config_from_dict
    from cleaner.stages.build import build_stages

    rules = tmp_path / "mine.toml"
    rules.write_text('[[rule]]\nid = "mine.x"\ncategory = "promo"\naction = "drop"\nany = ["subscribe now"]\n'
                     'examples.match = ["nothing like it"]\nexamples.no_match = []\n')
    cfg = config_from_dict({"boilerplate": {"rule_files": [str(rules)], "certain_categories": []}})
    with pytest.raises(ConfigError, match="does not tag its own example"):
        build_stages(cfg)


def test_a_table_derived_by_other_code_is_derived_again(cache, monkeypatch):
    """The stamps named the source files and Python's versions, not the code that derives
    the table: after a change to load_profiles (an upgrade, a checkout), the older table
    would still be read back. The deriving module's size and time are in the stamp now."""
    from langdetect.detector_factory import PROFILES_DIRECTORY

    import cleaner.core.table_cache as table_cache
    from cleaner.dedup import signatures
    from cleaner.stages.language import detect

    calls = []
    real = detect.load_profiles
    monkeypatch.setattr(detect, "load_profiles", lambda *a: calls.append(1) or real(*a))
    detect.cached_profiles(PROFILES_DIRECTORY)
    detect.cached_profiles(PROFILES_DIRECTORY)
    assert calls == [1]  # written, then read back
    monkeypatch.setattr(table_cache, "code_stamp", lambda module_file: f"{module_file}:changed")
    detect.cached_profiles(PROFILES_DIRECTORY)
    assert calls == [1, 1]
    assert signatures._word_chars_stamp().endswith(f"{signatures.__file__}:changed")


def test_code_stamp_follows_the_module_file(tmp_path):
    from cleaner.core.table_cache import code_stamp

    module = tmp_path / "m.py"
    module.write_text("x = 1\n")
    os.utime(module, ns=(1_000_000_000, 1_000_000_000))
    before = code_stamp(str(module))
    os.utime(module, ns=(2_000_000_000, 2_000_000_000))
    assert code_stamp(str(module)) != before
    assert code_stamp(str(tmp_path / "gone.py")).endswith(":?")


def test_a_killed_writers_temporary_file_is_swept(cache):
    """A writer killed between mkstemp and the rename left `.NAME.*.tmp` in the cache folder
    for ever; the next write of that table removes those older than an hour."""
    from cleaner.core.table_cache import STALE_SECONDS, cache_path, write_table

    path = cache_path("t")
    path.parent.mkdir(parents=True)
    old, fresh = path.parent / f".{path.name}.abc.tmp", path.parent / f".{path.name}.def.tmp"
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    past = os.stat(old).st_mtime - STALE_SECONDS - 10
    os.utime(old, (past, past))
    write_table("t", "s", {}, [b"x"])
    assert not old.exists() and fresh.exists()  # a writer at work keeps its file
