"""The rule prefilter (#18): a line skipped by a rule's gate is a line the rule would not
have tagged. Every test compares tag_lines (prefiltered) with a plain loop asking every
rule about every line, as tag_lines did before the prefilter."""

import random
import re
import unicodedata
from re import _casefix

import _sre
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.config import load_config
from cleaner.core.text import word_count
from cleaner.stages.boilerplate.prefilter import (_EDGE_OR_SPACE, DIGIT, Prefilter, gate_for, line_leads,
                                                  probe_for, regex_sets, searched)
from cleaner.stages.boilerplate.rules import MAX_MATCH_CHARS, fold, is_headline_like, load_rules
from cleaner.stages.boilerplate.tag import OverBudget, Tag, tag_lines

CFG = load_config()
RULES = load_rules(CFG.rule_paths())
LINE_RULES = [r for r in RULES if r.structural is None]
PREFILTER = Prefilter(RULES)
HEADLINE = CFG["boilerplate"]["headline_max_words"]


def brute_force(lines, rules, headline_max_words, budget=None):
    """The line rules, every one on every line in its scope (tag_lines before #18, without
    the structural rules): the tags, and whether the budget was exceeded."""
    spent = 0
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        return []
    position = {i: k for k, i in enumerate(filled)}
    info = {}
    tags = []
    for rule in rules:
        if rule.structural:
            continue
        scope = {"any": filled, "first": filled[:1], "last": filled[-1:]}[rule.position]
        for i in scope:
            if i not in info:
                info[i] = (word_count(lines[i]), fold(lines[i])) if len(lines[i]) <= MAX_MATCH_CHARS else (-1, "")
            words, folded = info[i]
            if not rule.min_words <= words <= rule.max_words:
                continue
            spent += len(lines[i])
            if budget is not None and spent > budget:
                raise OverBudget
            hit = rule.matches_line(lines[i], words, folded)
            if not hit:
                continue
            match = hit if isinstance(hit, re.Match) else None
            tags.append((i, rule.id, match.span() if match else None, None))
            if rule.followed_by and not (match and word_count(lines[i][match.end():]) >= 2):
                k = position[i] + 1
                for j in filled[k : k + rule.followed_by]:
                    if not is_headline_like(lines[j], headline_max_words):
                        break
                    tags.append((j, rule.id, None, f"listed after marker line {i + 1}"))
    return tags


LINE_PREFILTER = Prefilter(LINE_RULES)


def same(lines):
    want = brute_force(lines, LINE_RULES, HEADLINE)
    got = [(t.line, t.rule.id, t.match.span() if t.match else None, t.note)
           for t in tag_lines(lines, LINE_RULES, HEADLINE, None, None, LINE_PREFILTER)]
    assert got == want, lines


EXAMPLES = [ex for r in RULES if r.structural is None for kind in ("match", "no_match") for ex in r.examples[kind]]


@pytest.mark.parametrize("rule", LINE_RULES, ids=[r.id for r in LINE_RULES])
def test_every_rule_sees_its_own_matches_through_its_gate(rule):
    for example in rule.examples["match"]:
        for line in example.split("\n"):
            if rule.matches_line(line):
                assert rule.id in {RULES[k].id for k in PREFILTER.candidates(line)} or PREFILTER.gates[
                    RULES.index(rule)] is None, (rule.id, line)


def test_the_shipped_rules_are_gated():
    """A rule is ungated only when it names nothing to look for (a change to the gates
    that drops a rule to every line shows here)."""
    ungated = sorted(r.id for r, g in zip(RULES, PREFILTER.gates) if g is None and r.structural is None)
    assert ungated == ["credit.agency-signature"]


def _variants(line: str, rng: random.Random) -> list[str]:
    """The line as pages print it: other cases, edge marks, spacing, look-alike letters
    (ſ, K, İ, ı, ß, fullwidth, ligatures), cut, or inside other text."""
    out = [line, line.upper(), line.lower(), line.title(), line.swapcase(), f"  {line}  ", f"» {line}",
           f"- {line} -", f"| {line} |", f"*{line}:", line.replace(" ", "  "), line.replace(" ", "\u00a0"),
           line.replace(" ", "\t"), line + " and more words after it", "Before it, " + line,
           line.replace("s", "ſ"), line.replace("k", "\u212a"), line.replace("i", "İ"), line.replace("I", "ı"),
           line.replace("ss", "ß"), line.replace("fi", "\ufb01"), unicodedata.normalize("NFD", line),
           "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in line), line[: len(line) // 2],
           line[len(line) // 3 :], line.replace("e", "é"), line + ".", line.rstrip(".:")]
    words = line.split()
    if len(words) > 2:
        rng.shuffle(words)
        out.append(" ".join(words))
    return out


def test_every_example_and_its_variants_tag_the_same_with_and_without_the_prefilter():
    rng = random.Random(18)
    lines = [v for ex in EXAMPLES for line in ex.split("\n") for v in _variants(line, rng)]
    for start in range(0, len(lines), 25):  # documents of 25 lines, as the corpus has
        same(lines[start : start + 25])
    for line in lines:  # and each alone (first and last lines of their document)
        same([line])


_ALPHABET = st.sampled_from(list("aeiouklmnprstyzAEIKLMNPRST ._-:/|()»©0123456789")
                            + ["ſ", "K", "İ", "ı", "ß", "é", "ü", "ф", "Ф", "я", "і", "图", "\u00a0", "\u3000", "ﬁ",
                               "Ａ", "\u0307", "\u0345"])


@st.composite
def documents(draw):
    """Lines made of pieces of the rules' own examples and literals, and noise."""
    pieces = [ex for ex in EXAMPLES] + [p for r in LINE_RULES for p in (r.any + r.all + r.equals)]
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        parts = draw(st.lists(st.one_of(st.sampled_from(pieces), st.text(_ALPHABET, max_size=12)), max_size=4))
        line = draw(st.sampled_from(["", " ", "» ", "- ", "(", "  "])) + " ".join(parts)
        lines.append(draw(st.sampled_from([line, line.upper(), line.title(), line.swapcase()])))
    return lines


@settings(max_examples=400, deadline=None)
@given(documents())
def test_prefiltered_and_brute_force_agree_on_any_document(lines):
    same(lines)


def test_prefiltered_and_brute_force_agree_on_prose_and_clutter():
    """Generated articles (real sentences, clutter lines, names) as the benches use."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from generate import generate

    for item in generate(200, seed=18):
        same(item["text"].split("\n"))


def test_the_budget_is_the_same_with_the_prefilter():
    lines = ["Advertisement", "Share this article", "Photo: Reuters", "The council met on Monday to vote."] * 50
    total = sum(len(x) for x in lines) * len(LINE_RULES)
    for budget in (10, 1000, 5000, 20_000, total):
        try:
            brute_force(lines, LINE_RULES, HEADLINE, budget)
            want = False
        except OverBudget:
            want = True
        try:
            tag_lines(lines, LINE_RULES, HEADLINE, None, budget, LINE_PREFILTER)
            got = False
        except OverBudget:
            got = True
        assert got == want, budget


def test_lines_holding_a_line_break_reach_every_gated_rule():
    line = "Wir verwenden\nCookies, um die Seite zu verbessern"
    assert set(PREFILTER.scan([line], [0])[0]) == {k for k, g in enumerate(PREFILTER.gates) if g is not None}
    same([line, "Advertisement"])


def test_searched_text_keeps_every_ignorecase_match():
    """`re` with IGNORECASE lets a character match another when their simple lower cases are
    equal (or `re._casefix` pairs them); such characters must look alike once searched()."""
    groups: dict[int, list[int]] = {}
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        low = _sre.unicode_tolower(code)
        groups.setdefault(min((low,) + tuple(_casefix._EXTRA_CASES.get(low, ()))), []).append(code)
    for members in groups.values():
        if len(members) > 1:
            assert len({searched(chr(c)) for c in members}) == 1, [hex(c) for c in members]


def test_whitespace_is_what_str_split_splits_on():
    from cleaner.stages.boilerplate.prefilter import _WHITESPACE

    assert set(_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def test_case_folding_keeps_edges_and_spaces_apart():
    """The `equals` gate skips edges and spaces in searched text as fold() does in the line."""
    edge = set(_EDGE_OR_SPACE)
    for code in range(0x110000):
        ch = chr(code)
        if 0xD800 <= code <= 0xDFFF or ch in edge:
            continue
        folded = ch.casefold()
        assert folded and not edge & set(folded), hex(code)


@pytest.mark.parametrize("pattern,sets", [
    (r"(?i)cookie", [{"cookie"}]),
    (r"^\W*(read more|see also)\s*[:：]", [{"read more", "see also"}, {":", "："}]),
    (r"(^|\s)/\s?(Reuters|[A-Z][a-z]+)\s*$", [{"/"}]),
    (r"(a|b)?xyz", [{"xyz"}]),
    (r"(?i:ab)cd", [{"cd"}]),
])
def test_required_literals(pattern, sets):
    assert [set(s) for s in regex_sets(re.compile(pattern))] == sets


@pytest.mark.parametrize("pattern,skip,texts", [
    (r"(?i)^\W*(anzeige|werbung)\s*[-:]", r"(?:[^\w\n])*+", {"anzeige", "werbung"}),
    (r"^\s*+(By|Von)\s++\w+", r"(?:[^\S\n])*+", {"By", "Von"}),
    (r"^\s*+(?P<value>\d{4}-\d{2})", r"(?:[^\S\n])*+", {DIGIT}),
    (r"^\W*(\(c\)|x)", None, None),  # "(" is skippable: no lead
    (r"(?a)^\W*(x)", None, None),  # \W beyond ASCII skips letters
    (r"\W*(x)", None, None),  # not at the start of the line
])
def test_line_leads(pattern, skip, texts):
    got = line_leads(re.compile(pattern))
    assert (got is None) if skip is None else (got[0] == skip and set(got[1]) == texts)


def test_probes_avoid_whitespace_in_phrases():
    assert " " not in probe_for("we use cookies", "phrase")
    assert probe_for("a", "phrase") == "a"


def test_a_new_rule_needs_nothing_but_its_data(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text("[[rule]]\nid = 'x.kiosk'\ncategory = 'promo'\naction = 'drop'\nregex = '(?i)visit our kiosk'\n"
                    "examples.match = ['Visit our KIOSK today']\nexamples.no_match = ['x']\n", encoding="utf-8")
    rules = load_rules([path])
    assert gate_for(rules[0]) is not None
    lines = ["Visit our KIOSK today", "Nothing here.", "VISIT OUR ĸiosk"]
    assert [t.line for t in tag_lines(lines, rules, HEADLINE)] == [0]
    assert isinstance(tag_lines(lines, rules, HEADLINE)[0], Tag)


def _probe_only_lines():
    """(rule, line): for each rule gated by one set of probes, each probe of it that is
    shorter than every literal it was cut from, alone in a line ("zz" + probe + "zz")."""
    for k, (rule, gate) in enumerate(zip(RULES, PREFILTER.gates)):
        if gate is None or gate.kind != "probes" or len(gate.probes) != 1:
            continue
        for probe, literals in sorted(gate.cut_from[0].items()):
            line = f"zz{probe}zz"
            if not any(all(seg in searched(line) for seg in segs) for segs in literals):
                yield k, line


def test_a_probe_without_its_literal_does_not_reach_the_rule():
    """A probe is a piece of a literal ("comm" of "comments"): a line holding the probe but
    no whole literal is not asked (most lines holding a common probe hold none)."""
    cases = list(_probe_only_lines())
    assert len(cases) > 50
    for k, line in cases:
        assert k not in PREFILTER.candidates(line), (RULES[k].id, line)
        whole = next(iter(PREFILTER.gates[k].cut_from[0][line[2:-2]]))
        assert k in PREFILTER.candidates(" ".join(whole)), (RULES[k].id, whole)
