"""review2-29: defects found in session 29's merged changes (0c65a2c), each with its test."""

from cleaner.stages.boilerplate.cached import Prefilter
from cleaner.stages.boilerplate.rules import load_rules

# ---- a rule's regex that can match empty behind phrases (any, all, equals) is taken ----

_BYLINE = """[[rule]]
id = "my-byline"
category = "byline"
action = "metadata"
field = "author"
any = ["by "]
regex = '^(?:By\\s++)?(?P<value>[^,|]*+)'
examples.match = ["By Jane Doe"]
examples.no_match = ["Weather today"]
"""


def test_a_regex_behind_phrases_that_can_match_empty_is_taken(tmp_path):
    """review-29 refused a regex that finds an empty string in any line (it tags every line);
    behind `any` phrases the phrases pick the lines, the regex only the value: such a rule
    loaded at 95cc9a4 and tags only the lines its phrases name."""
    path = tmp_path / "mine.toml"
    path.write_text(_BYLINE, encoding="utf-8")
    rules = load_rules([path])
    assert [r.id for r in rules] == ["my-byline"]
    rule = rules[0]
    assert rule.matches_line("By Jane Doe")
    assert not rule.matches_line("Weather today") and not rule.matches_line("")
    Prefilter(rules)  # the prefilter takes it too
