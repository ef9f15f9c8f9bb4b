"""Boilerplate rules: loaded from TOML data files, validated, and matched against lines.

A rule only *tags* lines (which rule, which line, what action it asks for); deciding what
is actually removed is decide.py's job, so guards can overrule a tag without the
tag being lost from the audit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from cleaner.core.config import ConfigError, read_toml
from cleaner.stages.boilerplate.regex_check import backtracking_problem
from cleaner.core.text import word_count

ACTIONS = ("drop", "metadata", "flag")
POSITIONS = ("any", "first", "last")
STRUCTURAL = ("bullet_headline", "headline_run", "link_dense")
METADATA_FIELDS = ("date", "author", "title", "site", "url")
RULE_KEYS = {
    "id", "category", "action", "description", "any", "all", "none", "equals",
    "regex", "position", "max_words", "min_words", "followed_by", "field", "structural", "long_lines",
    "min_run", "min_link_density", "examples",
}
DEFAULT_MAX_WORDS = 60
# Regexes never see lines longer than this: a pathological line cannot make a rule hang.
MAX_MATCH_CHARS = 2000

_SENTENCE_END = tuple(".!?…。！？\"”»'’)")
_BULLETS = set("-–—•*·▪►>»")
_EDGE_PUNCT = " \t\u00a0:：;|·•-–—*>»«\"'()[]"


# Lines with nothing in common, the empty one first: a regex found in each matches anywhere.
_UNLIKE_LINES = ("", "x", "Lorem ipsum dolor.", "2024", "— * —", "東京の天気")


def fold(text: str) -> str:
    """The form phrases are compared in: NFKC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def is_sentence(line: str) -> bool:
    return line.rstrip().endswith(_SENTENCE_END)


# Headlines may ask or exclaim ("What makes the Iskander so hard to stop?"), never end in a full stop.
STATEMENT_END = tuple(".。,;:")
CLOSING = "\"'”’»)]」』"
_STATEMENT_CHARS = frozenset(STATEMENT_END)


def ends_like_statement(line: str) -> bool:
    """Empty, or ends in a full stop or the like; a quoted statement ends in its full stop
    inside the quote, so closing quotes and brackets are looked past."""
    if line and line[-1] in _STATEMENT_CHARS:  # most prose (neither a space nor a closing mark)
        return True
    bare = line.strip().rstrip(CLOSING)
    return not bare or bare.endswith(STATEMENT_END)


def is_headline_like(line: str, max_words: int) -> bool:
    return not ends_like_statement(line) and word_count(line.strip()) <= max_words


def is_bullet(line: str) -> bool:
    """A lone list marker ("-", "•", "»"); table rules like |---|---| are not bullets."""
    stripped = line.strip()
    return 0 < len(stripped) <= 3 and set(stripped) <= _BULLETS


@dataclass
class Rule:
    id: str
    category: str
    action: str
    source: str
    description: str = ""
    any: list[str] = field(default_factory=list)
    all: list[str] = field(default_factory=list)
    none: list[str] = field(default_factory=list)
    equals: list[str] = field(default_factory=list)
    regex: re.Pattern[str] | None = None
    position: str = "any"
    max_words: int = DEFAULT_MAX_WORDS
    min_words: int = 0
    followed_by: int = 0
    min_run: int = 3  # headline_run: this many headline-like lines in a row; bullet_headline: pairs in a run
    min_link_density: float = 0.8  # link_dense: share of the line's text inside links
    meta_field: str | None = None  # TOML key 'field'
    structural: str | None = None
    long_lines: bool = False
    examples: dict[str, list[str]] = field(default_factory=dict)

    def matches_line(self, line: str, words: int | None = None, folded: str | None = None,
                     any_phrases: tuple[str, ...] | None = None) -> re.Match[str] | bool:
        """Does this line-rule tag `line`? (Structural rules look at neighbours instead.)

        `words` and `folded` (word_count and fold of the line) may be passed in, computed
        once per line rather than once per rule. `any_phrases`: the only `any` phrases that
        can be in `folded` (the prefilter's, from the probes it found), asked instead of all."""
        if len(line) > MAX_MATCH_CHARS:
            return False
        words = word_count(line) if words is None else words
        if not self.min_words <= words <= self.max_words:
            return False
        folded = fold(line) if folded is None else folded
        if self.equals and folded.strip(_EDGE_PUNCT) not in self.equals:
            return False
        if self.any and not any(p in folded for p in (self.any if any_phrases is None else any_phrases)):
            return False
        if self.all and not all(p in folded for p in self.all):
            return False
        if self.none and any(p in folded for p in self.none):
            return False
        if self.regex is not None:
            return self.regex.search(line) or False
        return True


def _fail(path: Path, where: str, reason: str) -> NoReturn:
    raise ConfigError(path, where, reason)


def _str_list(path: Path, where: str, value: Any, folded: bool = True) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        _fail(path, where, "must be a list of non-empty strings")
    if not folded:
        return list(value)
    phrases = [fold(v) for v in value]
    for i, phrase in enumerate(phrases):
        if not phrase:  # " ", "\u3000": "" is in every line, so the rule tagged every short line
            _fail(path, f"{where}[{i}]", f"{value[i]!r} is empty once folded (spacing, case): it is in every line")
    return phrases


def _build(path: Path, index: int, raw: Any) -> Rule:
    where = f"rule[{index}]"
    if not isinstance(raw, dict):
        _fail(path, where, "must be a table ([[rule]])")
    if isinstance(raw.get("id"), str):
        where = f"rule {raw['id']!r}"
    unknown = set(raw) - RULE_KEYS
    if unknown:
        _fail(path, f"{where}.{sorted(unknown)[0]}", f"unknown key (known: {', '.join(sorted(RULE_KEYS))})")
    for key in ("id", "category", "action"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            _fail(path, f"{where}.{key}", "required, a non-empty string")
    if raw["action"] not in ACTIONS:
        _fail(path, f"{where}.action", f"must be one of {', '.join(ACTIONS)}, got {raw['action']!r}")
    rule = Rule(id=raw["id"], category=raw["category"], action=raw["action"], source=path.name,
                description=str(raw.get("description", "")))
    for key in ("any", "all", "none", "equals"):
        if key in raw:
            setattr(rule, key, _str_list(path, f"{where}.{key}", raw[key]))
    if "equals" in raw:
        rule.equals = [v.strip(_EDGE_PUNCT) for v in rule.equals]
        if "" in rule.equals:  # a line is stripped of them too: every line of only such marks matched
            i = rule.equals.index("")
            _fail(path, f"{where}.equals[{i}]", f"{raw['equals'][i]!r} is only marks that equals ignores at a line's "
                  "edges: it would match every line made of such marks (a regex such as '^—$' names one line)")
    if "regex" in raw:
        if not isinstance(raw["regex"], str):
            _fail(path, f"{where}.regex", "must be a string")
        if not raw["regex"]:
            _fail(path, f"{where}.regex", "is empty: it matches every line")
        try:
            rule.regex = re.compile(raw["regex"])
        except (re.error, OverflowError, RecursionError) as exc:  # "x{99999999999}"; groups nested thousands deep
            _fail(path, f"{where}.regex", f"does not compile: {exc}")
        # Refused at load: one such line would otherwise stall a worker for minutes.
        problem = backtracking_problem(rule.regex)
        if problem:
            _fail(path, f"{where}.regex", problem)
        # A regex that finds an empty string in any line ('promo|', 'x*', '(?i)') tags every
        # line, as an empty one would: refused as that is (review-29). Not behind phrases
        # (any, all, equals: read first, matches()): those pick the lines, the regex only
        # its metadata value ('^(?:By\s+)?(?P<value>[^,]*)' behind any = ["by "], review2-29).
        if not (rule.any or rule.all or rule.equals) \
                and all(rule.regex.search(line) is not None for line in _UNLIKE_LINES):
            _fail(path, f"{where}.regex", "matches an empty string in any line, so it tags every line "
                  "(an empty alternative 'a|', or a '*' or '?' on the whole pattern?)")
    position = raw.get("position", "any")
    if position not in POSITIONS:
        _fail(path, f"{where}.position", f"must be one of {', '.join(POSITIONS)}, got {position!r}")
    rule.position = position
    for key, lo in (("max_words", 1), ("min_words", 0), ("followed_by", 0), ("min_run", 2)):
        if key in raw:
            value = raw[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < lo:
                _fail(path, f"{where}.{key}", f"must be a whole number >= {lo}, got {value!r}")
            setattr(rule, key, value)
    # (a headline_run's lines are bounded by boilerplate.headline_max_words instead; a
    # bullet_headline's by neither: tag._bullet_headlines reads neither word count)
    if rule.min_words > rule.max_words and raw.get("structural") not in ("headline_run", "bullet_headline"):
        _fail(path, f"{where}.min_words", f"{rule.min_words} is above max_words ({rule.max_words}): the rule matches no line")
    if "min_link_density" in raw:
        value = raw["min_link_density"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 1:
            _fail(path, f"{where}.min_link_density", f"must be a number in (0, 1], got {value!r}")
        rule.min_link_density = float(value)
    if "long_lines" in raw:
        if not isinstance(raw["long_lines"], bool):
            _fail(path, f"{where}.long_lines", "must be true or false")
        rule.long_lines = raw["long_lines"]
    if "structural" in raw:
        if raw["structural"] not in STRUCTURAL:
            _fail(path, f"{where}.structural", f"must be one of {', '.join(STRUCTURAL)}")
        rule.structural = raw["structural"]
    elif not (rule.any or rule.all or rule.equals or rule.regex):
        _fail(path, where, "needs a matcher: any, all, equals, regex or structural")
    if "field" in raw and rule.action != "metadata":
        _fail(path, f"{where}.field", f"only a rule whose action is 'metadata' takes a field (this one's is {rule.action!r})")
    if rule.action == "metadata":
        if raw.get("field") not in METADATA_FIELDS:
            _fail(path, f"{where}.field", f"action 'metadata' needs field, one of {', '.join(METADATA_FIELDS)}")
        if rule.regex is None or "value" not in rule.regex.groupindex:
            _fail(path, f"{where}.regex", "action 'metadata' needs a regex with a (?P<value>...) group")
        if not re.sub(r"^\(\?[aiLmsux]+\)", "", rule.regex.pattern).startswith("^"):
            _fail(path, f"{where}.regex", "action 'metadata' regex must be anchored with '^' (a prefix moves to metadata)")
        rule.meta_field = raw["field"]
    examples = raw.get("examples")
    if not isinstance(examples, dict):
        _fail(path, f"{where}.examples", "required: examples.match and examples.no_match lists")
    for kind in ("match", "no_match"):
        if kind not in examples:  # missing is not a wrong type: say what the list is for
            _fail(path, f"{where}.examples.{kind}",
                  f"required: a list of lines the rule must {'not ' if kind == 'no_match' else ''}match ([] for none)")
        rule.examples[kind] = _str_list(path, f"{where}.examples.{kind}", examples[kind], folded=False)
    for kind in sorted(set(examples) - {"match", "no_match"}):  # examples.pt: lines in Portuguese it must tag
        if not isinstance(kind, str) or not _LANGUAGE_CODE.fullmatch(kind):  # a typo: examples.no_mach
            _fail(path, f"{where}.examples.{kind}", "unknown key (match, no_match, or a language's code: "
                  "lines in that language the rule must tag)")
        rule.examples[kind] = _str_list(path, f"{where}.examples.{kind}", examples[kind], folded=False)
    return rule


_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]+)*", re.ASCII)  # en, zh-tw (langdetect's codes)


def load_rules(paths: list[Path]) -> list[Rule]:
    """All rules from the given files, in order; ids must be unique across files."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in paths:
        data = read_toml(path)
        extra = set(data) - {"rule"}
        if extra:
            _fail(path, sorted(extra)[0], "unknown top-level key (rules are [[rule]] tables)")
        if not isinstance(data.get("rule", []), list):
            _fail(path, "rule", "must be an array of tables ([[rule]])")
        for i, raw in enumerate(data.get("rule", [])):
            rule = _build(path, i, raw)
            if rule.id in seen:
                _fail(path, f"rule {rule.id!r}.id", f"duplicate id (also in {seen[rule.id]})")
            seen[rule.id] = path.name
            rules.append(rule)
    return rules
