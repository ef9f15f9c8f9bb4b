r"""Which line rules can match which lines of a document, found for the whole document at
once instead of asking every rule about every line (#18).

Each line rule gets a *gate* at load, derived from the rule itself (rules are data: a new
rule needs nothing extra). A gate is a condition every line the rule tags meets, so a
line that fails it is skipped without asking the rule. It is only ever a *necessary*
condition: a line that passes still goes through `Rule.matches_line` in full, so the tags
are exactly those of asking every rule (tests/test_prefilter.py compares the two).

- *lead*: a regex that matches only at the start of a line, after characters it may skip
  (`^\W*(read more|see also)`, `^\s*+(By|Von)`, `^\s*+\d{4}-`): one of its texts (or a
  digit) must follow the line's first run of skippable characters (no text starts with
  one). One search per kind of skip, `"\n" + skip + (texts of every such rule, with the
  rule's own flags)`, over the whole text, finds the lines; the rules of that skip ask them.
  The texts of one flag go in as one trie (common prefixes factored out: it matches where
  one of them does), after a lookahead for their first characters, so a line whose first
  character starts no text costs one class test.
- *equals*: the line's fold, edges stripped, must be one of the rule's entries, so its
  fold starts (edges and spaces skipped) with an entry's first word. One search of the
  document's case-folded text finds the lines that do; those are folded and looked up.
- *probes*: short strings, one of which every line the rule tags contains once searched()
  (case-folded, the i-family made one letter). A probe is a piece (up to `PROBE_CHARS`,
  preferably starting with a rare character) of one of the rule's `any` phrases (or of an
  `all` phrase), or of literal text every match of its regex contains (`(?i)cookie`, the
  words of `(a|b|c)`, a class of a few characters: `[:：]`; found in the parsed pattern,
  as regex_check.py reads it). Why searched() keeps that true:
  - a phrase is found in `fold(line)`, the case-folded, NFKC-normalised line with
    whitespace runs made one space; for a line NFKC leaves as it is, a piece of a phrase
    without whitespace is in `line.casefold()`. On lines NFKC changes every phrase rule
    is asked.
  - a regex literal: `re` with IGNORECASE lets a pattern character match text characters
    with the same simple lower case (and the pairs of `re._casefix`); all of those look the
    same in searched(). Without IGNORECASE the text is the literal itself.
  All probes go into a few tries of alternatives (one per common first character, one
  for the rest), searched for over the document's searched() text. Where several probes
  match at one place, the trie gives the longest and the others are its prefixes; the
  search goes on from the next character, so every occurrence of every probe is found.
  A found probe is then checked against the literals it was cut from: the line must hold
  every segment (`segments_of`: the phrase's words, the literal's text) of one of them,
  for each set, or the rule is not asked. A probe of a common word ("comm", "cont") is on
  many lines of prose; its literal ("comments", "content on this site") is on few. The
  same argument as for the probe holds for each segment, so the check only removes lines
  the rule cannot tag.
  A rule whose `any` phrases are one of its gate's sets is then asked only about the
  phrases whose probe the line holds (`any_by_probe`): on a line NFKC leaves as it is, a
  phrase in the fold has its probe in searched(line), so no other phrase can be there and
  the answer is the same as asking all of them.
- *none*: a rule whose literals are all common (a full stop) or cannot be named sees every
  line, as before.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
# Private modules typeshed has no stubs for (their values are Any to mypy).
from re import _constants as C  # type: ignore[attr-defined]  # the parser's opcodes
from re import _parser  # type: ignore[attr-defined]
from typing import Any, Final, Iterable, Literal, Sequence

from cleaner.stages.boilerplate.regex_check import Item
from cleaner.stages.boilerplate.rules import _EDGE_PUNCT, Rule, fold

_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)
PROBE_CHARS = 4  # the longest probe: longer ones rarely make a line rarer
# How often a character occurs in prose of the languages the rules are written for (a
# rough share of the characters of a line; Cyrillic within Cyrillic text). Unlisted: rare.
_SHARES = {
    " ": .16, ".": .01, ",": .012, "-": .003, ":": .004, "'": .002, "’": .001, '"': .001, "(": .001, ")": .001,
    **{d: .003 for d in "0123456789"},
    "e": .12, "a": .08, "i": .07, "n": .07, "o": .07, "s": .065, "r": .065, "t": .065, "l": .045,
    "d": .04, "u": .04, "c": .035, "h": .03, "m": .028, "p": .022, "g": .018, "b": .013, "f": .012,
    "v": .01, "é": .01, "w": .008, "y": .008, "k": .008, "z": .006, "j": .003, "q": .003, "x": .002,
    **{c: .002 for c in "àèçáíóúñüäöâêôûœëï"},
    "о": .10, "е": .08, "а": .075, "и": .07, "н": .06, "т": .06, "с": .05, "і": .05, "р": .045, "в": .04,
    "л": .04, "к": .035, "м": .03, "д": .03, "п": .025, "у": .025, "я": .02, "ы": .018, "ь": .016,
    "г": .016, "з": .016, "б": .015, "ч": .013, "й": .011, "х": .009, "ж": .008, "ш": .007, "ю": .006,
    "ї": .006, "ц": .005, "є": .004, "щ": .003, "э": .003, "ф": .002,
}
_RARE_SHARE = .0005
# A gate whose probes are expected this many times a line or more is not worth having.
_MAX_EXPECTED = 3.0
_LINE_CHARS = 100  # a line of prose, for the expectations above
# Every character str.isspace() (and so str.split()) takes for whitespace (a test checks).
_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200b))) + \
    "\u2028\u2029\u202f\u205f\u3000"
_EDGE_OR_SPACE = _EDGE_PUNCT + _WHITESPACE
# A trie of probes: character -> subtree; "" marks the end of a probe.
Trie = dict[str, "Trie"]
# A gate set's probes -> the segments (segments_of) of each literal the probe was cut from.
CutFrom = dict[str, tuple[tuple[str, ...], ...]]
# Which (line, rule) may hold only these `any` phrases (Prefilter.scan).
Narrow = dict[tuple[int, int], tuple[str, ...]]


def _longest(sets: list[frozenset[str]]) -> frozenset[str]:
    """Of several required sets, the one whose shortest literal is longest."""
    return max(sets, key=lambda s: (min(map(len, s)), -len(s), sorted(s)))


def required_sets(items: Iterable[Item]) -> list[frozenset[str]]:
    """Sets of literals such that every match of the parsed sequence `items` contains one
    literal of each set. Conservative: anything not understood requires nothing."""
    sets: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in items:
        if op == C.LITERAL:
            run.append(chr(av))
            continue
        if run:
            sets.append(frozenset(["".join(run)]))
            run = []
        if op == C.IN and len(av) <= 4 and all(o == C.LITERAL for o, _ in av):
            sets.append(frozenset(chr(v) for _, v in av))  # a class of a few characters: [:：]
        elif op == C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if not add_flags and not del_flags:  # flags scoped to a group: not looked into
                sets += required_sets(sub)
        elif op == C.ATOMIC_GROUP:
            sets += required_sets(av)
        elif op in _REPEATS:
            lo, _hi, sub = av
            if lo >= 1:
                sets += required_sets(sub)
        elif op == C.BRANCH:
            needs = [required_sets(branch) for branch in av[1]]
            if needs and all(needs):  # one literal of one set of each alternative
                sets.append(frozenset().union(*(_longest(n) for n in needs)))
    if run:
        sets.append(frozenset(["".join(run)]))
    return sets


def regex_sets(pattern: re.Pattern[str]) -> list[frozenset[str]]:
    return required_sets(_parser.parse(pattern.pattern, pattern.flags))


def _one_i(text: str) -> str:
    return text.replace("ı", "i").replace("i\u0307", "i")


def searched(text: str) -> str:
    """What probes are looked for in: `text` case-folded, the i-family made one letter."""
    return _one_i(text.casefold())


def expected(probe: str) -> float:
    """About how many times a line of prose holds `probe` (letters follow each other far
    more often than their shares multiplied say: each one after the first counts 5 times)."""
    share = 1.0
    for ch in probe:
        share *= _SHARES.get(ch, _RARE_SHARE)
    together: int = 5 ** (len(probe) - 1)
    return share * _LINE_CHARS * together


def _cost(probe: str) -> tuple[int, bool, bool, float, str]:
    # The longest; then one that starts with a rare character (the search tries probes only
    # where their first character is, so a common one costs a try at every place it occurs);
    # then the rarest.
    first = _SHARES.get(probe[0], _RARE_SHARE)
    return (-len(probe), first >= .045, first >= .02, expected(probe), probe)


def probe_for(text: str, kind: str) -> str | None:
    """The best piece of `text` to look for in `searched(line)` (see the module docstring):
    `kind` "phrase" (a folded phrase: no whitespace in the probe) or "regex" (a regex
    literal). None when `text` has no piece."""
    pieces = [seg[k : k + PROBE_CHARS] for seg in segments_of(text, kind) for k in range(len(seg))]
    return min(pieces, key=_cost) if pieces else None


def segments_of(text: str, kind: str) -> tuple[str, ...]:
    """The pieces of `text` (a phrase or regex literal, as for `probe_for`) that a line it
    is in holds whole in searched(line): probes are cut from these, and the prefilter
    checks a found probe's literal by them (scan)."""
    segments = [_one_i(seg) for seg in text.split()] if kind == "phrase" else [searched(text)]
    segments = [piece for seg in segments for piece in seg.split("\u0307") if piece]
    return tuple(piece for seg in segments for piece in seg.split("\n") if piece)  # lines have none


def _trie_pattern(probes: list[str]) -> re.Pattern[str] | None:
    """One pattern matching any of `probes` at a position, the longest where several do
    (the others matching there are its prefixes)."""
    return re.compile(trie_source(probes)) if probes else None


def trie_source(probes: list[str]) -> str:
    """`probes` as one alternation, common prefixes factored out (it matches at a position
    where one of them does, whatever the flags around it)."""
    trie: Trie = {}
    for probe in probes:
        node = trie
        for ch in probe:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: Trie) -> str:
        # The most common characters first: where a line has one, it is found after few tries.
        order = sorted((ch for ch in node if ch), key=lambda ch: (-_SHARES.get(ch, 0), ch))
        alts = [re.escape(ch) + emit(node[ch]) for ch in order]
        if "" in node:
            alts.append("")  # tried last: a longer probe first
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return emit(trie)


# Items a regex may skip before its first word at the start of a line (`^\W*`, `^\s*+\(?`):
# repeats of non-word characters, spaces or one uncased character, none of them cased.
# (as patterns that never cross a line break: lines are searched for in the whole text)
_SKIP_CLASSES = {(C.IN, ((C.CATEGORY, C.CATEGORY_NOT_WORD),)): r"[^\w\n]",
                 (C.IN, ((C.CATEGORY, C.CATEGORY_SPACE),)): r"[^\S\n]"}


def _skip_item(item: Item) -> str | None:
    op, av = item
    if op not in _REPEATS or av[0] != 0 or len(av[2]) != 1:
        return None
    inner = av[2][0]
    key = (inner[0], tuple(inner[1])) if inner[0] == C.IN else None
    if key in _SKIP_CLASSES:
        return _SKIP_CLASSES[key]
    ch = chr(inner[1]) if inner[0] == C.LITERAL else ""
    if ch and ch != "\n" and not ch.isalnum() and ch.lower() == ch.upper():
        return re.escape(ch)
    return None


class _Digit(enum.Enum):
    DIGIT = "digit"


# Stands for "a decimal digit" (\d: str.isdecimal) among the texts a regex starts with
# (an enum member, so that `is DIGIT` tells it from the texts to mypy too).
DIGIT: Final = _Digit.DIGIT
Lead = str | Literal[_Digit.DIGIT]  # a text a match starts with, or DIGIT
_DIGIT_ITEM = (C.IN, [(C.CATEGORY, C.CATEGORY_DIGIT)])


def _leads(items: Sequence[Item]) -> set[Lead] | None:
    """The literal texts (or DIGIT) one of which starts every match of `items`; None if
    unknown."""
    if not items:
        return None
    op, av = items[0]
    if op in _REPEATS and av[0] >= 1 and len(av[2]) == 1 and av[2][0] == _DIGIT_ITEM:
        return {DIGIT}
    if op == C.LITERAL:
        run = []
        for op2, av2 in items:
            if op2 != C.LITERAL:
                break
            run.append(chr(av2))
        return {"".join(run)}
    if op == C.SUBPATTERN and not av[1] and not av[2]:
        return _leads(list(av[3]))
    if op == C.BRANCH:
        out: set[Lead] = set()
        for branch in av[1]:
            sub = _leads(list(branch))
            if not sub:
                return None
            out |= sub
        return out
    return None


def line_leads(pattern: re.Pattern[str]) -> tuple[str, frozenset[Lead]] | None:
    r"""For a regex `^`, then characters it may skip (`\W*`, `\s*+`, `\(?`), then one of
    some literal texts: the skipped characters (as a class) and the texts. Every match then
    has one of the texts right after the line's first run of skippable characters (the
    texts start with none of them). None for any other regex."""
    if pattern.flags & re.ASCII:  # \W would then skip letters beyond ASCII
        return None
    items = list(_parser.parse(pattern.pattern, pattern.flags))
    if not items or items[0] != (C.AT, C.AT_BEGINNING):
        return None
    skips = []
    k = 1
    while k < len(items) and (skipped := _skip_item(items[k])) is not None:
        skips.append(skipped)
        k += 1
    leads = _leads(items[k:])
    if not leads or "" in leads:
        return None
    skip = "(?:" + "|".join(sorted(set(skips))) + ")*+" if skips else ""
    skipper = re.compile(skip)
    if any(lead is not DIGIT and skipper.fullmatch(lead[0]) for lead in leads):
        return None
    return skip, frozenset(leads)


@dataclass
class Gate:
    kind: str  # "equals", "lead" or "probes"
    literals: frozenset[str] = frozenset()  # equals: the entries; lead: the texts
    skip: str = ""  # lead: the characters skipped before them, as a pattern
    flags: str = ""  # lead: "i" when the texts are matched ignoring case
    digit: bool = False  # lead: a decimal digit may start a match too (DIGIT was a lead)
    # probes: a line passes when it holds one probe of each set
    probes: tuple[frozenset[str], ...] = ()
    phrase: bool = False  # probes from folded phrases (valid on lines NFKC leaves as they are)
    # probes: for each set, probe -> the segments (segments_of) of each literal it was cut
    # from; a line holding the probe holds the rule's literal only if it holds all of them
    cut_from: tuple[CutFrom, ...] = ()


def gate_for(rule: Rule) -> Gate | None:
    """The rule's gate (see the module docstring), or None: the rule sees every line."""
    if rule.structural is not None:
        return None
    if rule.equals:
        return Gate("equals", frozenset(rule.equals))
    if rule.regex is not None:
        leads = line_leads(rule.regex)
        if leads is not None:
            return Gate("lead", frozenset(x for x in leads[1] if x is not DIGIT), leads[0],
                        "i" if rule.regex.flags & re.IGNORECASE else "", digit=DIGIT in leads[1])
    if rule.any or rule.all:
        sets = ([frozenset(rule.any)] if rule.any else []) + [frozenset([p]) for p in rule.all]
        kind = "phrase"
    elif rule.regex is not None:
        sets = regex_sets(rule.regex)
        kind = "regex"
    else:
        return None
    options: list[tuple[tuple[bool, float], list[str], frozenset[str], CutFrom]] = []
    for literals in sets:
        by_probe: dict[str, list[tuple[str, ...]]] = {}
        for x in sorted(literals):
            probe = probe_for(x, kind)
            if probe is None:  # a literal without a probe: the set cannot gate
                break
            by_probe.setdefault(probe, []).append(segments_of(x, kind))
        else:
            probes = frozenset(by_probe)
            # Short probes of common characters are found far more often than estimated.
            weak = any(len(p) < 3 and any(_SHARES.get(c, 0) > _RARE_SHARE for c in p) for p in probes)
            options.append(((weak, sum(map(expected, probes))), sorted(probes), probes,
                            {p: tuple(segs) for p, segs in sorted(by_probe.items())}))
    options.sort(key=lambda o: o[:2])
    if not options or options[0][0][1] > _MAX_EXPECTED:
        return None
    # The best set, and any other about as rare (a line must hold a probe of each).
    good = [options[0]] + [o for o in options[1:] if o[0] <= (False, 0.01)]
    return Gate("probes", probes=tuple(o[2] for o in good[:3]), phrase=kind == "phrase",
                cut_from=tuple(o[3] for o in good[:3]))


def _holds(by_probe: CutFrom, seen: set[str], line: str) -> bool:
    """Does `line` (searched) hold a whole literal of one gate set, among those whose probe
    was seen on it?"""
    for q in seen:
        for segs in by_probe.get(q, ()):
            for seg in segs:
                if seg not in line:
                    break
            else:
                return True
    return False


class Prefilter:
    """The gates of a list of rules (by index in that list), and which rules may match which
    lines of a document."""

    def __init__(self, rules: list[Rule]):
        self.rules = list(rules)
        self.gates: list[Gate | None] = [gate_for(r) for r in self.rules]
        line_rules = [k for k, r in enumerate(self.rules) if r.structural is None]
        gates = {k: g for k in line_rules if (g := self.gates[k]) is not None}  # the gated line rules'
        kinds = {k: gates[k].kind if k in gates else None for k in line_rules}
        self.ungated = [k for k in line_rules if kinds[k] is None]
        self.phrase_rules = [k for k in line_rules if kinds[k] == "probes" and gates[k].phrase]
        self.equals_rules = [k for k in line_rules if kinds[k] == "equals"]
        self.by_equals: dict[str, list[int]] = {}
        for k in self.equals_rules:
            for key in sorted(gates[k].literals):
                self.by_equals.setdefault(key, []).append(k)
        # Rules whose matches start right after a line's first run of skippable characters,
        # by what they skip: one pattern each, "\n", the skip, then one of the rules' texts
        # (with the rules' own flags) or a digit, searched for in "\n" + the whole text.
        groups: dict[str, list[int]] = {}
        for k in line_rules:
            if kinds[k] == "lead":
                groups.setdefault(gates[k].skip, []).append(k)
        self.leads: list[tuple[re.Pattern[str], list[int]]] = []
        for skip, ks in sorted(groups.items()):
            # The rules' texts, by flags, each set as one trie; first a lookahead for the
            # texts' first characters (with the texts' flags), so that the tries are only
            # tried after a line whose first character could start one.
            texts: dict[str, set[str]] = {"": set(), "i": set()}
            digit = False
            for k in ks:
                gate = gates[k]
                texts[gate.flags].update(gate.literals)
                digit = digit or gate.digit
            alts = [f"(?{flags}:" + trie_source(sorted(texts[flags])) + ")" for flags in ("", "i") if texts[flags]]
            ahead = [f"(?{flags}:[" + "".join(map(re.escape, sorted({x[0] for x in texts[flags]}))) + "])"
                     for flags in ("", "i") if texts[flags]]
            if digit:
                alts.append(r"\d")
                ahead.append(r"\d")
            self.leads.append((re.compile("\n" + skip + "(?=" + "|".join(ahead) + ")(?:" + "|".join(alts) + ")"), ks))
        # An `equals` line starts, edges and spaces skipped, with the first word of its entry,
        # case-folded (on text NFKC leaves as it is): searched for in searched(text).
        firsts = sorted({_one_i(key.split(" ")[0]) for key in self.by_equals}, key=lambda x: (-len(x), x))
        self.equals_lead = (re.compile("\n[" + re.escape(_EDGE_OR_SPACE.replace("\n", "")) + "]*+(?:"
                                       + "|".join(map(re.escape, firsts)) + ")") if firsts else None)
        # What tag_lines walks, in rule order: (index, rule, its regex if it has nothing else
        # (None otherwise), gated)
        self.plan = [(k, r, None if r.equals or r.any or r.all or r.none else r.regex,
                      self.gates[k] is not None) for k, r in enumerate(self.rules)]
        self.probe_sets = {k: gates[k].probes for k in line_rules if kinds[k] == "probes"}
        self.cut_from = {k: gates[k].cut_from for k in self.probe_sets}
        probes = sorted({p for sets in self.probe_sets.values() for s in sets for p in s})
        # A match of a probe is also a match of every probe that starts it.
        self.by_match: dict[str, tuple[frozenset[str], frozenset[int]]] = {}
        known = set(probes)
        for p in probes:
            # The probes p starts with are its prefixes that are probes: len(p) + 1 lookups,
            # not one startswith per probe (~0.04 s of setup at ~500 probes).
            starts = frozenset(q for q in (p[:i] for i in range(len(p) + 1)) if q in known)
            holders = frozenset(k for k, sets in self.probe_sets.items() if any(s & starts for s in sets))
            self.by_match[p] = (starts, holders)
        # A rule with `any` phrases whose probes are one of its gate's sets: on a line NFKC
        # leaves as it is, a phrase can only be in the line's fold if its probe was found, so
        # only those phrases need asking (the others cannot be there): probe -> phrases.
        self.any_by_probe: dict[int, dict[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {}
        for k in self.phrase_rules:
            by_probe: dict[str | None, list[tuple[str, tuple[str, ...]]]] = {}
            for phrase in self.rules[k].any:
                by_probe.setdefault(probe_for(phrase, "phrase"), []).append((phrase, segments_of(phrase, "phrase")))
            if by_probe and None not in by_probe and frozenset(by_probe) in self.probe_sets[k]:
                self.any_by_probe[k] = {q: tuple(ps) for q, ps in by_probe.items() if q is not None}
        # One trie for probes starting with a rarer character (the search stops at each of
        # those characters); one for each common first character, whose search goes from
        # one occurrence of it to the next: far cheaper than stopping at every one in one trie.
        common: dict[str, list[str]] = {}
        for p in probes:
            if _SHARES.get(p[0], 0) >= .02:
                common.setdefault(p[0], []).append(p)
        rare = [p for p in probes if _SHARES.get(p[0], 0) < .02]
        self.patterns = [t for t in [_trie_pattern(rare)] + [_trie_pattern(ps) for _, ps in sorted(common.items())]
                         if t is not None]

    def scan(self, lines: list[str], which: list[int]) -> tuple[dict[int, list[int]], dict[int, str], Narrow]:
        """For the lines `which` (indexes into `lines`, ascending): each gated rule's lines that
        pass its gate, in order (ungated rules, not listed, see every line), the folds it
        had to compute on the way (line -> fold(line)), and for (line, rule) of the rules of
        `any_by_probe`: the only `any` phrases that can be in the line's fold."""
        passed: dict[int, set[int]] = {}
        folds: dict[int, str] = {}
        narrow: Narrow = {}
        text = "\n".join(lines)
        if text.count("\n") != len(lines) - 1:  # lines are found in the text joined by line breaks
            return self._line_by_line(lines, which)
        eligible = set(which)
        joined = searched(text)
        cased = joined.split("\n")  # searched() of each line: it neither adds nor drops a line break
        if self.patterns:
            found: dict[int, set[str]] = {}
            offsets: list[int] = []  # computed once a probe is found
            for pattern in self.patterns:
                search = pattern.search
                m = search(joined)
                if m is not None and not offsets:
                    offsets = list(accumulate((len(c) + 1 for c in cased), initial=0))
                while m is not None:
                    found.setdefault(bisect_right(offsets, m.start()) - 1, set()).add(m.group())
                    m = search(joined, m.start() + 1)
            by_match, cut_from, any_by_probe = self.by_match, self.cut_from, self.any_by_probe
            for i, got in found.items():
                if i not in eligible:
                    continue
                seen = set().union(*(by_match[p][0] for p in got))
                line = cased[i]
                # A probe is a piece of a literal: the line must hold one whole literal of
                # each set (all its segments), which most lines holding a common probe
                # ("comm", "cont") do not: such a line never reaches the rule.
                ks = {k for k in set().union(*(by_match[p][1] for p in got))
                      if all(_holds(by_probe, seen, line) for by_probe in cut_from[k])}
                if not ks:
                    continue
                passed.setdefault(i, set()).update(ks)
                for k in ks & any_by_probe.keys():
                    by_probe = any_by_probe[k]
                    narrow[i, k] = tuple(ph for q in seen if q in by_probe for ph, segs in by_probe[q]
                                         if all(seg in line for seg in segs))
        starts = list(accumulate((len(line) + 1 for line in lines), initial=0))
        lined = "\n" + text
        for pattern, lead_rules in self.leads:
            for m in pattern.finditer(lined):
                i = bisect_right(starts, m.start()) - 1
                if i in eligible:
                    passed.setdefault(i, set()).update(lead_rules)
        if self.equals_rules or self.phrase_rules:
            maybe: set[int] = set()
            if unicodedata.is_normalized("NFKC", text):
                if self.equals_lead is not None:
                    cased_starts = list(accumulate((len(c) + 1 for c in cased), initial=0))
                    for m in self.equals_lead.finditer("\n" + joined):
                        maybe.add(bisect_right(cased_starts, m.start()) - 1)
            else:
                for i in which:
                    if not unicodedata.is_normalized("NFKC", lines[i]):
                        passed.setdefault(i, set()).update(self.phrase_rules)
                        for k in self.phrase_rules:  # the probes say nothing about this line's fold
                            narrow.pop((i, k), None)
                        maybe.add(i)
                    elif self.equals_lead is not None and self.equals_lead.match("\n" + cased[i]):
                        maybe.add(i)
            if self.equals_rules:
                for i in sorted(maybe & eligible):
                    folds[i] = fold(lines[i])
                    equal_rules = self.by_equals.get(folds[i].strip(_EDGE_PUNCT))
                    if equal_rules:
                        passed.setdefault(i, set()).update(equal_rules)
        gated: dict[int, list[int]] = {}
        for i in sorted(passed):
            for k in passed[i]:
                gated.setdefault(k, []).append(i)
        return gated, folds, narrow

    def _line_by_line(self, lines: list[str], which: list[int]) -> tuple[dict[int, list[int]], dict[int, str], Narrow]:
        """scan() for lines of which some hold a line break: those reach every gated rule."""
        gated: dict[int, list[int]] = {}
        folds: dict[int, str] = {}
        narrow: Narrow = {}
        every = sorted(k for k, g in enumerate(self.gates) if g is not None)
        for i in which:
            if "\n" in lines[i]:
                one = {k: [0] for k in every}
            else:
                one, fold_one, narrow_one = self.scan([lines[i]], [0])
                if 0 in fold_one:
                    folds[i] = fold_one[0]
                narrow.update(((i, k), ps) for (_, k), ps in narrow_one.items())
            for k in one:
                gated.setdefault(k, []).append(i)
        return gated, folds, narrow

    def candidates(self, line: str) -> list[int]:
        """The gated rules `line` passes the gate of (ungated ones see every line)."""
        gated, _, _ = self.scan([line], [0])
        return sorted(gated)

    def describe(self) -> list[dict[str, Any]]:
        """Each rule's gate, for benches and tests."""
        rows = []
        for rule, gate in zip(self.rules, self.gates):
            kind = gate.kind if gate else ("structural" if rule.structural else "none")
            rows.append({"rule": rule.id, "gate": kind,
                         "probes": [sorted(s) for s in gate.probes] if gate else [],
                         "expected": [round(sum(map(expected, s)), 3) for s in gate.probes] if gate else []})
        return rows
