import pytest
from click.testing import CliRunner

from cleaner.cli import cli as main
from cleaner.core.config import DEFAULT_CONFIG, SCHEMA, ConfigError, config_from_dict, load_config


def write(tmp_path, text, name="bad.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_cover_every_key():
    cfg = load_config()
    for section, keys in SCHEMA.items():
        assert set(cfg[section]) == set(keys)
    assert cfg.path == DEFAULT_CONFIG


def test_override_keeps_other_defaults(tmp_path):
    cfg = load_config(write(tmp_path, "[near]\nthreshold = 0.9\n"))
    assert cfg["near"]["threshold"] == 0.9
    assert cfg["near"]["word_ngram"] == load_config()["near"]["word_ngram"]
    # rule files still resolve to the shipped ones
    assert all(cfg.resolve(p).exists() for p in cfg["boilerplate"]["rule_files"])


@pytest.mark.parametrize("text,key,words", [
    ("[near]\nthreshold = 1.5\n", "near.threshold", "at most 1.0"),
    ("[near]\nthreshold = 'high'\n", "near.threshold", 'must be a number, got a string "high"'),
    ("[near]\nthreshhold = 0.5\n", "near.threshhold", "unknown key"),
    ("[nearr]\nthreshold = 0.5\n", "nearr", "unknown section"),
    ("[minhash]\nnum_perm = true\n", "minhash.num_perm", "must be an integer, got a boolean true"),
    ("[near]\nlsh_threshold = 0.9\nthreshold = 0.8\n", "near.lsh_threshold", "must not exceed"),
    ("[read]\nextensions = ['txt']\n", "read.extensions[0]", "must start with '.'"),
    ("[near\n", "(syntax)", "not valid TOML"),
    ("[near]\nlsh_threshold = 0.99\nthreshold = 1.0\n", "near.lsh_threshold", "cannot be used with minhash.num_perm"),
    # The key that names a missing rule file, in the file that names it (not only the path it resolved to).
    ("[boilerplate]\nrule_files = ['nope.toml']\n", "boilerplate.rule_files[0]", "'nope.toml' ("),
    ("[boilerplate]\nrule_files = ['.']\n", "boilerplate.rule_files[0]", "is a folder, not a file"),
    # A name the system refuses to look up (ENAMETOOLONG; EACCES as a user) is a configuration
    # error too, not a traceback from Path.is_file().
    ("[boilerplate]\nrule_files = ['" + "a" * 300 + ".toml']\n", "boilerplate.rule_files[0]", "cannot read: "),
])
def test_bad_values_name_file_key_and_reason(tmp_path, text, key, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.key == key
    assert words in err.value.reason
    assert str(path) in str(err.value)


def test_missing_file():
    with pytest.raises(ConfigError, match="no such file"):
        load_config("/nonexistent/cleaner.toml")


def test_dict_overrides_are_validated():
    assert config_from_dict({"story": {"date_window_days": 5}})["story"]["date_window_days"] == 5
    with pytest.raises(ConfigError, match="story.date_window_days"):
        config_from_dict({"story": {"date_window_days": -1}})


def test_cli_reports_config_error_in_one_line(tmp_path):
    path = write(tmp_path, "[near]\nthreshold = 2\n")
    (tmp_path / "in").mkdir()
    result = CliRunner().invoke(main, ["run", str(tmp_path / "in"), "--out", str(tmp_path / "out"),
                                       "--config", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "near.threshold" in lines[0] and str(path) in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_cli_reports_bad_rule_file(tmp_path):
    write(tmp_path, "[[rule]]\nid = 'x'\ncategory = 'c'\naction = 'drop'\nregex = '('\n"
                            "examples.match = ['a']\nexamples.no_match = ['b']\n", "rules.toml")
    cfg = write(tmp_path, "[boilerplate]\nrule_files = ['rules.toml']\n")
    (tmp_path / "in").mkdir()
    result = CliRunner().invoke(main, ["run", str(tmp_path / "in"), "--config", str(cfg),
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "rules.toml" in result.output and "regex" in result.output and "does not compile" in result.output


def test_a_rule_without_no_match_examples_says_the_list_is_missing(tmp_path):
    """It said "must be a list of non-empty strings", as if the list were of the wrong type."""
    from cleaner.stages.boilerplate.rules import load_rules

    path = write(tmp_path, "[[rule]]\nid = 'x'\ncategory = 'c'\naction = 'drop'\nregex = 'a'\n"
                           "examples.match = ['a']\n", "rules.toml")
    with pytest.raises(ConfigError) as err:
        load_rules([path])
    assert err.value.key.endswith("examples.no_match") and "required" in str(err.value) and "[] for none" in str(err.value)
    path.write_text(path.read_text() + "examples.no_match = []\n")
    assert [r.id for r in load_rules([path])] == ["x"]


@pytest.mark.parametrize("text,key", [
    ("[near]\nthreshold = nan\n", "near.threshold"),
    ("[minhash]\nseed = 5000000000\n", "minhash.seed"),
])
def test_non_finite_and_oversized_values(tmp_path, text, key):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert err.value.key == key


def test_unreadable_config_and_rule_files(tmp_path):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("[near]\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(bad)
    from cleaner.stages.boilerplate.rules import load_rules

    with pytest.raises(ConfigError, match="is a folder"):
        load_rules([tmp_path])
    with pytest.raises(ConfigError, match="array of tables"):
        load_rules([write(tmp_path, "rule = 5\n", "r.toml")])
