"""review-27b: the boilerplate rules read back from the cache folder (cpu-27,
stages/boilerplate/cached.py) must be what load_rules derives now, and a rule refused at load
(review-27) must say a true reason. Each test fails under efd614b."""

from __future__ import annotations

import os
import sys

import pytest

from cleaner.core.config import ConfigError


def _rule_file(path, rule_id: str, phrase: str, extra: str = "") -> None:
    path.write_text(f"""[[rule]]
id = "{rule_id}"
category = "promo"
action = "drop"
any = ["{phrase}"]
examples.match = []
examples.no_match = []
{extra}
""", encoding="utf-8")


def test_a_file_changed_while_it_loads_does_not_leave_its_new_rules_under_its_old_bytes(tmp_path, monkeypatch):
    """The stamp read the old bytes, load_rules the new ones (an editor saving meanwhile):
    the rules of the new bytes were kept under the old bytes' stamp, so a later run that met
    the old bytes again (a version swapped back) got the new rules."""
    from cleaner.stages.boilerplate import cached
    from cleaner.stages.boilerplate.rules import load_rules

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path / "cache"))
    mine = tmp_path / "mine.toml"
    _rule_file(mine, "mine.old", "join our club")
    real = cached.load_rules

    def saved_meanwhile(paths):
        _rule_file(mine, "mine.new", "be our member")
        return real(paths)

    monkeypatch.setattr(cached, "load_rules", saved_meanwhile)
    got, _ = cached.rules_and_prefilter([mine])
    assert [r.id for r in got] == ["mine.new"]  # what the file held when it was loaded
    monkeypatch.setattr(cached, "load_rules", real)
    _rule_file(mine, "mine.old", "join our club")  # the old version back
    again, pre = cached.rules_and_prefilter([mine])
    assert again == load_rules([mine]) and [r.id for r in again] == ["mine.old"]
    assert pre.rules[0] is again[0]


def test_a_rule_file_loaded_under_a_higher_integer_limit_still_raises_under_the_default(tmp_path, monkeypatch):
    """tomllib's int() of more than sys.get_int_max_str_digits() digits raises (ConfigError):
    a run with PYTHONINTMAXSTRDIGITS=0 loaded and cached the file, and a run with the default
    limit then read it back instead of saying what is wrong with it."""
    from cleaner.stages.boilerplate import cached

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path / "cache"))
    mine = tmp_path / "mine.toml"
    _rule_file(mine, "mine.long", "join our club", f"max_words = 1{'0' * 4400}")
    limit = sys.get_int_max_str_digits()
    try:
        sys.set_int_max_str_digits(0)
        got, _ = cached.rules_and_prefilter([mine])
        assert got[0].max_words == 10 ** 4400
    finally:
        sys.set_int_max_str_digits(limit)
    with pytest.raises(ConfigError, match="4,300 digits"):
        cached.rules_and_prefilter([mine])


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_two_links_to_one_rule_file_keep_their_own_source(tmp_path, monkeypatch):
    """A rule's `source` is the name its file was given (a.toml), and the stamp held only the
    file's real path: through b.toml a run read back rules whose source was a.toml."""
    from cleaner.stages.boilerplate import cached
    from cleaner.stages.boilerplate.rules import load_rules

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path / "cache"))
    real = tmp_path / "rules.toml"
    _rule_file(real, "mine.one", "join our club")
    for name in ("a.toml", "b.toml"):
        os.symlink(real, tmp_path / name)
    for name in ("a.toml", "b.toml", "a.toml"):
        got, _ = cached.rules_and_prefilter([tmp_path / name])
        assert got == load_rules([tmp_path / name]) and got[0].source == name


def test_a_bullet_headline_rule_with_min_words_above_max_words_still_loads(tmp_path):
    """_bullet_headlines reads neither min_words nor max_words (nor does headline_run read
    max_words): the rule tags lines all the same, so 'the rule matches no line' refused a
    rule that loaded before review-27 and works."""
    from cleaner.stages.boilerplate.rules import load_rules

    mine = tmp_path / "mine.toml"
    mine.write_text('[[rule]]\nid = "mine.bullets"\ncategory = "related"\naction = "drop"\n'
                    'structural = "bullet_headline"\nmin_words = 70\nexamples.match = []\nexamples.no_match = []\n', encoding="utf-8")
    assert [r.structural for r in load_rules([mine])] == ["bullet_headline"]
    # a line rule so written still matches nothing: still refused
    _rule_file(mine, "mine.line", "join our club", "min_words = 70")
    with pytest.raises(ConfigError, match="above max_words"):
        load_rules([mine])
