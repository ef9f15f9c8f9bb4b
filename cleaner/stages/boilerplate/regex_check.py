r"""Regexes that can backtrack catastrophically, found from the pattern alone (at config load).

Python's `re` backtracks: `\s*(credit)?\s*:` on a line of spaces with no colon tries
every way to split the spaces between the two repeats, and `search` does that from every
start, so the cost grows with a power of the line length (a 1.5 KB line took 87 s). Three
shapes cause it, and all are refused:

- *adjacent*: an unbounded repeat that can give characters back, then (with only optional
  parts, or parts that can match those same characters, in between) another unbounded
  repeat that can match some of the same characters;
- *nested*: an unbounded repeat around another unbounded repeat, or around alternatives
  that can match the same text (`(a|aa)*`);
- *split*: a group repeated more than once, bounded or not, whose iterations can end by
  giving back characters the next iteration can start with (`(\w+\s?){0,50}`), or a
  back-reference inside a repeat.

A possessive repeat (`*+`, `++`) or an atomic group (`(?>...)`) never gives characters
back, and a repeat bounded to at most `LARGE` (10) is cheap, so neither counts as the
first of a pair. (`LARGE` was 100 until a review showed four `{0,100}` repeats in a row,
and groups repeated up to 50 times, stalling a run.) Character sets are compared on a
sample of characters (ASCII, Latin-1 and the scripts the shipped rules use), which is
what the shapes above need in practice.
"""

from __future__ import annotations

import re
# Private modules typeshed has no stubs for (their values are Any to mypy).
from re import _compiler, _parser  # type: ignore[attr-defined]
from re import _constants as C  # type: ignore[attr-defined]  # the parser's opcodes
from typing import Any, Callable, Iterable, Sequence

LARGE = 10  # a repeat allowed more than this many times counts as unbounded
_SAMPLE = "".join(map(chr, range(0x300))) + "\u2000\u2003\u200b\u3000：；（）。！？，图片热线фотоФотолінія"
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)
_CHAR_OPS = (C.LITERAL, C.NOT_LITERAL, C.IN, C.ANY)
# One (opcode, argument) of a pattern parsed by re's parser; the argument's shape depends
# on the opcode (a code point, a (lo, hi, body) repeat, a group's (..., body), ...).
Item = tuple[Any, Any]


_CHARS: dict[tuple[Any, str, bool], frozenset[str]] = {}


def _chars(op: Any, av: Any, fold: bool) -> frozenset[str]:
    """The sample characters one character-matching item can match: the item compiled on
    its own, run over the sample (worked out once per item: rules repeat the same few)."""
    key = (op, repr(av), fold)
    if key not in _CHARS:
        flags = re.IGNORECASE if fold else 0
        item = _parser.SubPattern(_parser.State(), [(op, av)])
        item.state.flags = flags
        _CHARS[key] = frozenset(_compiler.compile(item, flags).findall(_SAMPLE))
    return _CHARS[key]


def _consumed(items: Iterable[Item], fold: bool) -> frozenset[str]:
    """Every character a sequence may consume anywhere."""
    out: set[str] = set()
    for op, av in items:
        if op in _CHAR_OPS:
            out |= _chars(op, av, fold)
        elif op == C.SUBPATTERN:
            out |= _consumed(av[3], fold)
        elif op == C.ATOMIC_GROUP:
            out |= _consumed(av, fold)
        elif op == C.BRANCH:
            for branch in av[1]:
                out |= _consumed(branch, fold)
        elif op in _REPEATS:
            out |= _consumed(av[2], fold)
    return frozenset(out)


def _nullable(items: Iterable[Item]) -> bool:
    for op, av in items:
        if op in _CHAR_OPS or op == C.GROUPREF:
            return False
        if op == C.SUBPATTERN and not _nullable(av[3]):
            return False
        if op == C.ATOMIC_GROUP and not _nullable(av):
            return False
        if op == C.BRANCH and not any(_nullable(b) for b in av[1]):
            return False
        if op in _REPEATS and av[0] > 0 and not _nullable(av[2]):
            return False
    return True


def _first(items: Iterable[Item], fold: bool) -> frozenset[str]:
    """Characters a match of the sequence can start with."""
    out: set[str] = set()
    for k, (op, av) in enumerate(items):
        if op in _CHAR_OPS:
            return frozenset(out | _chars(op, av, fold))
        inner: Callable[[], Any] | None = {C.SUBPATTERN: lambda: [av[3]], C.ATOMIC_GROUP: lambda: [av],
                                           C.BRANCH: lambda: av[1]}.get(op)
        bodies = inner() if inner else ([av[2]] if op in _REPEATS else [])
        for body in bodies:
            out |= _first(body, fold)
        if not _nullable([(op, av)]):
            break
    return frozenset(out)


def _tail(items: Sequence[Item], fold: bool) -> frozenset[str]:
    """Characters the end of a match of the sequence can give back to what follows: those of
    every variable-length, backtracking repeat at its end (bounded or not)."""
    out: set[str] = set()
    for op, av in reversed(items):
        if op in _REPEATS:
            lo, hi, body = av
            if op != C.POSSESSIVE_REPEAT and hi > lo:
                out |= _consumed(body, fold)
            out |= _tail(body, fold)
            if lo > 0 and not _nullable(body):
                break
        elif op == C.SUBPATTERN:
            out |= _tail(av[3], fold)
            if not _nullable(av[3]):
                break
        elif op == C.BRANCH:
            for branch in av[1]:
                out |= _tail(branch, fold)
            if not any(_nullable(b) for b in av[1]):
                break
        elif op in _CHAR_OPS or op in (C.ATOMIC_GROUP, C.GROUPREF):
            break
    return frozenset(out)


def _example(chars: frozenset[str]) -> str:
    return " " if " " in chars else min(chars)


class _Walk:
    def __init__(self, fold: bool):
        self.fold = fold
        self.problems: list[str] = []

    def seq(self, items: Iterable[Item], pending: frozenset[str], atomic: bool = False,
            inside: bool = False) -> frozenset[str]:
        """Walk a sequence; `pending` holds the characters an earlier backtracking unbounded
        repeat could still hand on to what comes next. Returns it after the sequence."""
        for op, av in items:
            if op in _CHAR_OPS:
                pending = pending & _chars(op, av, self.fold)
            elif op in (C.ASSERT, C.ASSERT_NOT):
                self.seq(av[1], frozenset(), atomic, inside)
            elif op == C.SUBPATTERN:
                pending = self.seq(av[3], pending, atomic, inside)
            elif op == C.ATOMIC_GROUP:
                pending = self.seq(av, pending, True, inside)
            elif op == C.BRANCH:
                if inside:
                    self._overlapping_branches(av[1])
                pending = frozenset().union(*(self.seq(b, pending, atomic, inside) for b in av[1]))
            elif op in _REPEATS:
                pending = self._repeat(op, av, pending, atomic, inside)
        return pending

    def _repeat(self, op: Any, av: Any, pending: frozenset[str], atomic: bool, inside: bool) -> frozenset[str]:
        lo, hi, body = av
        backtracks = op != C.POSSESSIVE_REPEAT and not atomic
        if backtracks and any(o == C.GROUPREF for o, _ in body):
            self.problems.append("a back-reference inside a repeat (its cost has no bound here)")
        if backtracks and hi > 1:
            # Bounded or not, a group repeated more than once whose every iteration can end
            # by giving back characters the next one can start with splits a line in a number
            # of ways that grows with a power of its length: (\w+\s?){0,50}, (a{1,99}){1,99}.
            split = _tail(body, self.fold) & _first(body, self.fold)
            if split and not (len(body) == 1 and body[0][0] in _CHAR_OPS):
                self.problems.append(f"the repeats of a repeated group can split the same text between them "
                                     f"(at {_example(split)!r})")
        if hi <= LARGE:  # bounded: one pass through the body stands for all of them
            out = self.seq(body, pending, atomic, inside)
            return pending | out if lo == 0 or _nullable(body) else out
        chars, first = _consumed(body, self.fold), _first(body, self.fold)
        if pending & first:
            self.problems.append(f"two unbounded repeats in a row can both match {_example(pending & first)!r} "
                                 "(backtracking grows with a power of the line length)")
        if inside and backtracks:
            self.problems.append("an unbounded repeat inside another unbounded repeat")
        self.seq(body, frozenset(), atomic, inside or backtracks)
        through = pending if lo == 0 or _nullable(body) else pending & first
        # Given back: characters of a one-character repeat, or whole iterations of a group
        # (which start like the group does).
        handed = chars if len(body) == 1 and body[0][0] in _CHAR_OPS else first
        return through | handed if backtracks else through

    def _overlapping_branches(self, branches: Sequence[Sequence[Item]]) -> None:
        r"""Alternatives that can match the same text inside a repeat make the number of ways
        to split a line grow exponentially: (a|aa)*, (\w+|\d)*. Plain words ("van|von")
        only collide when one is a prefix of the other."""
        firsts = [_first(b, self.fold) for b in branches]
        words = [_literal(b, self.fold) for b in branches]
        for i in range(len(firsts)):
            for j in range(i + 1, len(firsts)):
                word_i, word_j = words[i], words[j]
                if word_i is not None and word_j is not None:
                    collide = word_i.startswith(word_j) or word_j.startswith(word_i)
                else:
                    collide = bool(firsts[i] & firsts[j])
                if collide:
                    self.problems.append("alternatives inside an unbounded repeat can match the same text")
                    return


def _literal(items: Sequence[Item], fold: bool) -> str | None:
    """The text a sequence of plain characters matches (None if it is not one)."""
    if not all(op == C.LITERAL for op, _ in items):
        return None
    text = "".join(chr(av) for _, av in items)
    return text.casefold() if fold else text


def backtracking_problem(pattern: re.Pattern[str]) -> str | None:
    """Why `pattern` can backtrack catastrophically, with a hint at the fix; None if it cannot
    (as far as these shapes go)."""
    parsed = _parser.parse(pattern.pattern, pattern.flags)
    walk = _Walk(bool(parsed.state.flags & re.IGNORECASE))
    walk.seq(parsed, frozenset())
    if not walk.problems:
        return None
    return (f"{walk.problems[0]}: make the inner or first repeat possessive (*+, ++, {{m,}}+) or put it "
            "in an atomic group (?>...)")
