"""Decide: one step applies the tags (tag.py) to a document. Guards keep long prose lines
from heuristic rules, keep the ambiguous lines of a text the rules would mostly remove
(boilerplate.max_removed_fraction; certain_categories and runs of related-link titles go
anyway) and never empty a document; every removal, move to metadata and overruled tag is
written into the document's audit."""

from __future__ import annotations

import re
from typing import Any

from cleaner.core.dates import normalise_date
from cleaner.core.document import Document
from cleaner.core.text import word_count
from cleaner.stages.boilerplate.rules import is_sentence
from cleaner.stages.boilerplate.tag import Tag

def _entry(tag: Tag, text: str, **extra: Any) -> dict[str, Any]:
    return {"rule": tag.rule.id, "category": tag.rule.category, "line_no": tag.line + 1,
            "text": text, **({"note": tag.note} if tag.note else {}), **extra}


def _protected(line: str, min_words: int) -> bool:
    return word_count(line) >= min_words and is_sentence(line)


def _set_metadata(doc: Document, tag: Tag, value: str) -> None:
    field = tag.rule.meta_field
    assert field is not None  # a metadata rule names its field (rules.py)
    if field == "date":
        parsed = normalise_date(value)
        if parsed is None:  # a date a calendar does not have stays out of the date field
            doc.meta.setdefault("date_unparsed", value)
            return
        value = parsed
    if getattr(doc, field, None):
        doc.meta.setdefault(f"{field}_also_in_text", value)
        return
    setattr(doc, field, value)
    doc.meta[field] = f"text prefix (rule {tag.rule.id}, line {tag.line + 1})"


def decide(doc: Document, lines: list[str], tags: list[Tag], protect_min_words: int,
           max_removed_fraction: float, certain: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """Apply tags to the document; returns (line number, line) for the lines that stay,
    metadata prefixes cut off. `certain`: rule categories whose lines go even when the
    rules would remove more than `max_removed_fraction` (boilerplate.certain_categories)."""
    # A line in a run of separator+headline pairs is exempt from the guards whichever rule
    # tagged it first (a "Read more:" marker may have claimed the run's first lines).
    run_lines = {t.line for t in tags if t.in_run}
    title_run_lines = {t.line for t in tags if t.run_all_titles}
    chosen: dict[int, Tag] = {}
    for tag in tags:
        if tag.line in chosen:
            continue  # the first rule (file order) that tags a line decides it
        line = lines[tag.line]
        # Only a drop loses text; a metadata move keeps the rest of the line.
        if (tag.rule.action == "drop" and not tag.rule.long_lines and tag.line not in run_lines
                and _protected(line, protect_min_words)):
            doc.flags.append(_entry(tag, line.strip(), flag="kept_by_guard",
                                    reason=f"long sentence line ({word_count(line)} words)"))
            continue
        if tag.rule.action == "flag":
            doc.flags.append(_entry(tag, line.strip(), flag=tag.rule.category))
            continue
        chosen[tag.line] = tag

    # Lines of a run of titles go whatever share of the text they are; the share limit
    # judges the other drops (a run with statements among its items too) against the text
    # the run leaves. Only if the run is all the text does the limit apply to it too (a
    # document is never emptied).
    runs = {i for i, t in chosen.items() if i in title_run_lines and t.rule.action == "drop"}
    if all(i in runs for i, line in enumerate(lines) if line.strip()):
        runs = set()
    drops = {i: t for i, t in chosen.items() if t.rule.action == "drop" and i not in runs}

    def text_left() -> bool:
        """Whether a line keeps text after the drops: a metadata move keeps only what
        follows its prefix ("Updated 20.12.2025 10:05" alone keeps nothing)."""
        return any(line.strip() and i not in runs and i not in drops
                   and (i not in chosen or _after_prefix(line, chosen[i])[1].strip()) for i, line in enumerate(lines))

    # The share and text_left only for a document with drops: this runs for every document,
    # most have none (the share's sum over every line was ~4 µs of them).
    if drops:
        total = sum(len(line.strip()) for i, line in enumerate(lines) if i not in runs) or 1
        dropped = sum(len(lines[i].strip()) for i in drops)
        over = dropped / total > max_removed_fraction
    if drops and (over or not text_left()):
        # Decided per line: a short text may be mostly clutter. Lines of the categories that
        # are clutter beyond doubt (consent, copyright) still go; the limit protects only
        # the ambiguous ones, which might be the text itself. Never all of it: a document
        # that is nothing but such lines (and metadata) keeps them (and the flag says so).
        held = {i: t for i, t in drops.items() if t.rule.category not in certain}
        if not held and not text_left():
            held = drops
        went = sorted(set(drops) - set(held))
        doc.flags.append({
            "flag": "removal_over_limit",
            "reason": (f"rules would remove {dropped / total:.0%} of the text "
                       f"(boilerplate.max_removed_fraction = {max_removed_fraction}); " if over else
                       "rules would remove every line that is not metadata; ")
                      + (f"{len(went)} line(s) of certain categories ({', '.join(sorted(certain))}) removed, "
                         if went else "") + f"{len(held)} line(s) kept",
            "would_remove": [_entry(t, lines[i].strip()) for i, t in sorted(held.items())],
        })
        chosen = {i: t for i, t in chosen.items() if i not in held}

    kept: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        line_tag = chosen.get(i)
        if line_tag is None:
            kept.append((i + 1, line))
        elif line_tag.rule.action == "drop":
            doc.removed.append(_entry(line_tag, line.strip(), action="drop"))
        else:  # metadata: the prefix moves to a field, the rest of the line stays
            match, rest = _after_prefix(line, line_tag)
            value = match.group("value").strip()
            _set_metadata(doc, line_tag, value)
            doc.removed.append(_entry(line_tag, line[: match.end()].strip(), action="metadata",
                                      field=line_tag.rule.meta_field, value=value))
            if rest.strip():
                kept.append((i + 1, rest))
    return kept


def _after_prefix(line: str, tag: Tag) -> tuple[re.Match[str], str]:
    """A metadata tag's match on its line, and what follows the prefix (what stays)."""
    regex = tag.rule.regex
    match = tag.match or (regex.search(line) if regex is not None else None)
    assert match is not None  # a metadata rule's regex matched the line it tagged (rules.py)
    return match, line[match.end():]


def join_lines(numbered: list[tuple[int, str]]) -> tuple[str, list[int]]:
    """Numbered lines back to text (trailing spaces gone, at most one blank line in a row),
    with the original line number of each line of the result."""
    out: list[tuple[int, str]] = []
    for n, line in numbered:
        line = line.rstrip()
        if line or (out and out[-1][1]):
            out.append((n, line))
    while out and not out[-1][1]:
        out.pop()
    return "\n".join(line for _, line in out), [n for n, _ in out]
