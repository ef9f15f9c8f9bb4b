"""Every rule's own examples, and the rule-file validator."""

import pytest

from cleaner.stages.boilerplate.tag import example_hits
from cleaner.core.config import ConfigError, load_config
from cleaner.stages.boilerplate.rules import is_headline_like, load_rules
from cleaner.core.text import word_count

CFG = load_config()
RULES = load_rules(CFG.rule_paths())
CASES = [(r, kind, ex) for r in RULES for kind in ("match", "no_match") for ex in r.examples[kind]]


@pytest.mark.parametrize("rule,kind,example", CASES, ids=[f"{r.id}:{k}:{i}" for i, (r, k, _) in enumerate(CASES)])
def test_rule_examples(rule, kind, example):
    assert example_hits(rule, example, CFG["boilerplate"]["headline_max_words"]) == (kind == "match")


def test_every_rule_has_both_kinds_of_example():
    for rule in RULES:
        assert rule.examples["match"] and rule.examples["no_match"], rule.id


def rule_file(tmp_path, body):
    path = tmp_path / "r.toml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD = "id = 'a'\ncategory = 'c'\naction = 'drop'\nany = ['x']\nexamples.match = ['x']\nexamples.no_match = ['y']\n"


@pytest.mark.parametrize("body,key", [
    ("[[rule]]\nid = 'a'\ncategory = 'c'\naction = 'drop'\nany = ['x']\n", "rule 'a'.examples"),
    ("[[rule]]\nid = 'a'\ncategory = 'c'\naction = 'explode'\nany = ['x']\n", "rule 'a'.action"),
    ("[[rule]]\nid = 'a'\ncategory = 'c'\naction = 'drop'\nexamples.match = ['x']\nexamples.no_match = ['y']\n", "rule 'a'"),
    ("[[rule]]\n" + GOOD + "colour = 'red'\n", "rule 'a'.colour"),
    # `languages` was read by nothing (#14): a rule applies to every language.
    ("[[rule]]\n" + GOOD + "languages = ['en']\n", "rule 'a'.languages"),
    ("[[rule]]\n" + GOOD + "[[rule]]\n" + GOOD, "rule 'a'.id"),
    ("[[rule]]\n" + GOOD.replace("any = ['x']", "regex = '[a'"), "rule 'a'.regex"),
    ("[[rule]]\n" + GOOD.replace("action = 'drop'", "action = 'metadata'\nfield = 'date'").replace("any = ['x']", "regex = '^d (?P<v>x)'"), "rule 'a'.regex"),
    ("[[rule]]\n" + GOOD.replace("action = 'drop'", "action = 'metadata'\nfield = 'colour'"), "rule 'a'.field"),
    ("[[rule]]\n" + GOOD + "max_words = 0\n", "rule 'a'.max_words"),
    ("[[rule]]\nid = 'a'\n", "rule 'a'.category"),
    ("rules = 1\n", "rules"),
])
def test_bad_rule_files_are_reported(tmp_path, body, key):
    path = rule_file(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_rules([path])
    assert err.value.key == key
    assert err.value.file == str(path)


def test_word_count_handles_unspaced_scripts():
    assert word_count("one two three") == 3
    assert word_count("上海港集装箱年吞吐量") == 5
    assert word_count("CHOOSE YOUR LANGUAGE | 中文 | English") == 5


def test_headline_like():
    assert is_headline_like("Explainer: what makes the Iskander so hard to stop?", 16)
    assert not is_headline_like("The port reopened on Monday.", 16)
    assert not is_headline_like(" ".join(["word"] * 20), 16)


# Examples by language (`examples.pt = [...]`): lines in that language the rule must tag.
# They are what README's table of languages is made from (bench/rules_table.py).
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import rules_table  # noqa: E402

RAW = {r["id"]: r for r in rules_table.raw_rules(CFG.rule_paths())}
LANG_CASES = [(r, lang, ex) for r in RULES for lang, exs in rules_table.language_examples(RAW[r.id]).items()
              for ex in exs]


@pytest.mark.parametrize("rule,lang,example", LANG_CASES,
                         ids=[f"{r.id}:{lang}:{i}" for i, (r, lang, _) in enumerate(LANG_CASES)])
def test_language_examples_are_tagged(rule, lang, example):
    assert lang in rules_table.LANGUAGES, f"{rule.id}: examples.{lang}: not a language of the table"
    assert isinstance(example, str) and example
    assert example_hits(rule, example, CFG["boilerplate"]["headline_max_words"])


def test_readme_table_of_languages_is_the_scripts():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert rules_table.readme_section(readme) == rules_table.table(list(RAW.values())), \
        "README's table of languages is stale: run python3 bench/rules_table.py --write"


def test_issue_19_languages_have_consent_related_and_copyright_rules():
    covered = {(r["category"], lang) for r in RAW.values() for lang in rules_table.language_examples(r)}
    for lang in ("en", "de", "fr", "es", "it", "ru", "uk", "ar", "pt", "nl", "pl", "tr", "sv", "cs", "ro", "el",
                 "ja", "ko", "zh"):
        for category in ("consent", "related", "legal", "navigation", "promo"):
            assert (category, lang) in covered, (category, lang)


def test_language_examples_tag_the_same_with_and_without_the_prefilter():
    """The examples by language, as pages print them (cases, marks, inside other text),
    through the prefilter and through every rule on every line (tests/test_prefilter.py)."""
    import random

    from test_prefilter import _variants, same

    rng = random.Random(19)
    lines = [v for _, _, ex in LANG_CASES for line in ex.split("\n") for v in _variants(line, rng)]
    for start in range(0, len(lines), 25):
        same(lines[start : start + 25])


@pytest.mark.parametrize("match,no_match,key", [
    ("We use cookie files", "the monster", None),
    ("nothing here", "the monster", "rule 'a'.examples.match[0]"),  # a typo in `any`: the rule did nothing
    ("We use cookie files", "cookie monster", "rule 'a'.examples.no_match[0]"),
])
def test_a_users_rule_file_is_checked_against_its_own_examples(tmp_path, match, no_match, key):
    """Only the shipped rules' examples were checked (by this file): a user's rule that
    missed its own examples.match loaded without a word."""
    from cleaner.stages.build import build_stages

    (tmp_path / "mine.toml").write_text(f"[[rule]]\nid = 'a'\ncategory = 'c'\naction = 'drop'\nany = ['cookie']\n"
                                        f"examples.match = [{match!r}]\nexamples.no_match = [{no_match!r}]\n",
                                        encoding="utf-8")
    cfg_path = tmp_path / "cfg.toml"
    cfg_path.write_text("[boilerplate]\nrule_files = ['mine.toml']\ncertain_categories = []\n", encoding="utf-8")
    if key is None:
        build_stages(load_config(cfg_path))
        return
    with pytest.raises(ConfigError) as err:
        build_stages(load_config(cfg_path))
    assert err.value.key == key and err.value.file == str(tmp_path / "mine.toml"), err.value


def test_a_users_rule_file_beside_the_shipped_ones_is_checked_too(tmp_path):
    """A user's file put in configs/rules/ was skipped for lying in the shipped rules'
    folder: shipped means named by the default configuration, not found in its folder."""
    import os

    from cleaner.core.config import DEFAULT_CONFIG
    from cleaner.stages.build import build_stages

    mine = DEFAULT_CONFIG.parent / "rules" / f"zz-user-test-{os.getpid()}.toml"
    mine.write_text("[[rule]]\nid = 'a'\ncategory = 'c'\naction = 'drop'\nany = ['cookie']\n"
                    "examples.match = ['nothing here']\nexamples.no_match = ['the monster']\n", encoding="utf-8")
    try:
        cfg_path = tmp_path / "cfg.toml"
        cfg_path.write_text(f"[boilerplate]\nrule_files = [{str(mine)!r}]\ncertain_categories = []\n",
                            encoding="utf-8")
        with pytest.raises(ConfigError) as err:
            build_stages(load_config(cfg_path))
        assert err.value.key == "rule 'a'.examples.match[0]", err.value
    finally:
        mine.unlink()
