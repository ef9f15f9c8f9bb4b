"""Tag: each line rule (and structural matcher) says which lines it finds, and why.

Nothing is removed here (tag, then decide, after allenai/dolma): decide.py applies the
tags. Rules are data (configs/rules/*.toml, loaded by rules.py)."""

from __future__ import annotations

import re
from bisect import bisect_left
from operator import is_
from dataclasses import dataclass

from cleaner.core.text import word_count
from cleaner.stages.boilerplate.prefilter import Prefilter
from cleaner.stages.boilerplate.rules import (MAX_MATCH_CHARS, Rule, ends_like_statement, fold, is_bullet,
                                              is_headline_like, is_sentence)

# Characters the line rules may examine in one document (a rule looking at a line counts
# its length). Counted, not timed, so whether a document is over it does not depend on the
# machine or its load. Each line is examined by some 40 rules: ordinary prose costs ~0.1 µs
# a character examined, runs of whitespace or separators up to ~0.5 µs on average over the
# rules. So this lets documents of up to ~500 KB of short lines through (the benchmark
# pages examine 2.2 M at most) and bounds a document's rule time to about 10 s
# (BENCHMARKS.md, "Worst case per document").
RULE_BUDGET_CHARS = 20_000_000


@dataclass
class Tag:
    line: int  # 0-based index into the document's lines
    rule: Rule
    note: str | None = None
    match: re.Match[str] | None = None
    # Part of a run of separator+headline pairs: the run is the evidence, so decide's guards
    # (long sentence lines) do not keep the line.
    in_run: bool = False
    # Every item of its run is a title: the run goes even when it is most of the text
    # (decide's max_removed_fraction). A run with statements among its items ("The council
    # voted on Monday ...") might be the text itself, so the share limit judges it.
    run_all_titles: bool = False


_INNER_BREAK = re.compile(r"[.!?…]\s+\w")


def _title_like(line: str, headline_max_words: int) -> bool:
    """A headline, short or long: headline-like, or one long sentence that does not end
    in a full stop."""
    return not ends_like_statement(line) and (
        word_count(line.strip()) <= headline_max_words or not _INNER_BREAK.search(line.strip()[:-1]))


def _bullet_headlines(lines: list[str], filled: list[int], rule: Rule, headline_max_words: int,
                      tagged: set[int]) -> list[Tag]:
    """Separator lines ("-", "•") and the headline after each: links to other stories.

    A lone pair drops its headline only if it is headline-like. A run of `rule.min_run` or
    more pairs (blank lines between them do not count) is a list of links, and then every
    item goes, however long or however it ends, when both hold:
    - at least half of the items are titles: headline-like, or one long sentence that does
      not end like a statement ("... What do we know about the National Guard?"); a list
      the article writes out (key points, a newsletter's items) is made of statements;
    - the line before the run is not the article's own prose introducing it with a colon
      ("The plan has three parts:"); a colon line an earlier rule tagged ("Read more:")
      is clutter, and counts for the run, not against it.
    Otherwise each pair falls back to the lone-pair test.
    """
    bullet = [is_bullet(lines[i]) for i in filled]
    if not any(bullet):  # most documents: no separator line, nothing to find
        return []
    pairs = [k for k in range(len(filled) - 1) if bullet[k] and not bullet[k + 1]]
    runs: list[list[int]] = []  # each run: the filled-positions of its separators
    for k in pairs:
        if runs and runs[-1][-1] + 2 == k:
            runs[-1].append(k)
        else:
            runs.append([k])
    in_run: dict[int, int] = {}  # separator position -> pairs in its run
    all_titles: set[int] = set()  # separator positions of runs whose items are all titles
    for run in runs:
        titles = sum(_title_like(lines[filled[k + 1]], headline_max_words) for k in run)
        intro = filled[run[0] - 1] if run[0] > 0 else None
        introduced = intro is not None and intro not in tagged and lines[intro].rstrip().endswith((":", "："))
        if len(run) >= rule.min_run and 2 * titles >= len(run) and not introduced:
            in_run.update((k, len(run)) for k in run)
            if titles == len(run):
                all_titles.update(run)
    tags: list[Tag] = []
    for k, i in enumerate(filled):
        if bullet[k]:
            tags.append(Tag(i, rule, in_run=k in in_run, run_all_titles=k in all_titles))
            nxt = filled[k + 1] if k + 1 < len(filled) else None
            if k in in_run:
                assert nxt is not None  # a pair's separator has a line after it
                tags.append(Tag(nxt, rule, f"headline after bullet line {i + 1}, in a run of {in_run[k]} pairs",
                                in_run=True, run_all_titles=k in all_titles))
            elif nxt is not None and is_headline_like(lines[nxt], headline_max_words):
                tags.append(Tag(nxt, rule, f"headline after bullet line {i + 1}"))
    return tags


_LIST_ITEM = re.compile(r"^\s*([-*•–—|>]|\[?\d+[.)\]])")


def _is_paragraph(line: str) -> bool:
    return is_sentence(line) and word_count(line) >= 12


def _headline_runs(lines: list[str], filled: list[int], rule: Rule, headline_max_words: int) -> list[Tag]:
    """Runs of headline-like lines between two prose paragraphs: lists of other stories.

    Lists that are content (steps, ingredients, table rows) are usually marked as list
    items or do not sit between two paragraphs, so both are required.
    """
    def fits(i: int) -> bool:
        line = lines[i]
        # is_headline_like(line, headline_max_words), its cheap half first: most lines are prose
        return (not ends_like_statement(line) and rule.min_words <= word_count(line)
                and word_count(line.strip()) <= headline_max_words
                and not _LIST_ITEM.match(line) and line.strip()[0].isupper())

    tags: list[Tag] = []
    k = 1
    while k < len(filled):
        if not fits(filled[k]):
            k += 1
            continue
        end = k
        while end < len(filled) and fits(filled[end]):
            end += 1
        run = filled[k:end]
        if (len(run) >= rule.min_run and _is_paragraph(lines[filled[k - 1]])
                and end < len(filled) and _is_paragraph(lines[filled[end]])):
            tags.extend(Tag(j, rule, f"run of {len(run)} headline-like lines between paragraphs") for j in run)
        k = end
    return tags


def _link_dense(lines: list[str], filled: list[int], rule: Rule, density: dict[str, float]) -> list[Tag]:
    """Runs of lines that were (almost) all link text on the page: lists of other stories.

    A single linked line inside prose is usually the article's own subheading or call to
    action, so only runs of `min_run` or more count.
    """
    tags: list[Tag] = []
    run: list[tuple[int, float]] = []
    for i in filled[1:] + [None]:  # the first line is the title, often a link to the page itself
        d = density.get(" ".join(lines[i].split()), 0.0) if i is not None else 0.0
        if i is not None and d >= rule.min_link_density and rule.min_words <= word_count(lines[i]) <= rule.max_words:
            run.append((i, d))
            continue
        if len(run) >= rule.min_run:
            tags.extend(Tag(j, rule, f"{dj:.0%} link text, in a run of {len(run)} linked lines") for j, dj in run)
        run = []
    return tags


class OverBudget(Exception):
    """The line rules would examine more of a document than `budget` allows."""


def _examined(lines: list[str], filled: list[int], rules: list[Rule]) -> int:
    """Characters the line rules examine in one document: each rule counts the length of
    every line in its scope whose word count is within its limits, as if every rule looked
    at every such line (whatever the prefilter skips), so the budget does not depend on it."""
    words = {i: word_count(lines[i]) if len(lines[i]) <= MAX_MATCH_CHARS else -1 for i in filled}
    spent = 0
    for rule in rules:
        if rule.structural is not None:
            continue
        scope = {"any": filled, "first": filled[:1], "last": filled[-1:]}[rule.position]
        spent += sum(len(lines[i]) for i in scope if rule.min_words <= words[i] <= rule.max_words)
    return spent


def tag_lines(lines: list[str], rules: list[Rule], headline_max_words: int,
              link_density: dict[str, float] | None = None, budget: int | None = None,
              prefilter: Prefilter | None = None) -> list[Tag]:
    """Every (line, rule) hit, in rule order; nothing is removed here.

    `link_density` (from HTML extraction) maps a line's text to the share of it that was
    link text on the page; without it, link-density rules find nothing. `budget`: how many
    characters the line rules may examine in all (each rule that looks at a line counts
    the line's length); over it, OverBudget is raised before any rule runs. `prefilter`:
    `Prefilter(rules)`, built once by the caller (built here when not given); a line only
    reaches the rules whose gate it passes (prefilter.py), which gives the tags asking
    every rule would.
    """
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        return []
    if (prefilter is None or len(prefilter.rules) != len(rules)
            or not all(map(is_, prefilter.rules, rules))):
        prefilter = Prefilter(rules)
    if budget is not None and sum(len(lines[i]) for i in filled) * len(rules) > budget:
        if _examined(lines, filled, rules) > budget:
            raise OverBudget
    # rule index -> the lines its gate lets through, in order (ungated rules: every line),
    # and line -> fold(line), computed once, when needed
    gated, folds, narrow = prefilter.scan(lines, [i for i in filled if len(lines[i]) <= MAX_MATCH_CHARS])
    tags: list[Tag] = []
    for k, rule, only_regex, gated_rule in prefilter.plan:
        if rule.structural == "bullet_headline":
            tags.extend(_bullet_headlines(lines, filled, rule, headline_max_words, {t.line for t in tags}))
            continue
        if rule.structural == "headline_run":
            tags.extend(_headline_runs(lines, filled, rule, headline_max_words))
            continue
        if rule.structural == "link_dense":
            if link_density:  # without densities no line is link text: nothing to find
                tags.extend(_link_dense(lines, filled, rule, link_density))
            continue
        if gated_rule:
            scope = gated.get(k)
            if not scope:
                continue
            if rule.position != "any":
                scope = [i for i in scope if i == (filled[0] if rule.position == "first" else filled[-1])]
        else:
            scope = {"any": filled, "first": filled[:1], "last": filled[-1:]}[rule.position]
        # A rule that is a regex alone fails on most lines it sees: asked first, before
        # the word count and fold it would otherwise need (the answer is the same).
        for i in scope:
            line = lines[i]
            if len(line) > MAX_MATCH_CHARS or (only_regex is not None and only_regex.search(line) is None):
                continue
            words = word_count(line)
            if not rule.min_words <= words <= rule.max_words:  # most lines, most rules: no call
                continue
            if i not in folds:
                folds[i] = fold(line)
            hit = rule.matches_line(line, words, folds[i], narrow.get((i, k)) if narrow else None)
            if not hit:
                continue
            match = hit if isinstance(hit, re.Match) else None
            tags.append(Tag(i, rule, match=match))
            # "Read more: <headline>" names its one link itself; only a bare marker heads a list.
            if rule.followed_by and not (match and word_count(line[match.end():]) >= 2):
                after = bisect_left(filled, i) + 1
                for j in filled[after : after + rule.followed_by]:
                    if not is_headline_like(lines[j], headline_max_words):
                        break
                    tags.append(Tag(j, rule, f"listed after marker line {i + 1}"))
    return tags


def example_hits(rule: Rule, example: str, headline_max_words: int) -> bool:
    """Does `rule` tag any line of one of its own examples? (Link-density examples are HTML.)"""
    density = None
    if rule.structural == "link_dense":
        from cleaner.stages.extract import page_blocks

        blocks = page_blocks(example)
        lines = [b.text for b in blocks]
        density = {b.text: b.link_density for b in blocks}
    else:
        lines = example.split("\n")
    return any(t.rule is rule for t in tag_lines(lines, [rule], headline_max_words, density))
