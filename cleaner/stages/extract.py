"""Main text and metadata out of HTML pages, with trafilatura."""

from __future__ import annotations

import logging
import re
from html import unescape
import unicodedata
from collections import Counter
import warnings
from dataclasses import dataclass
from typing import Any, TypedDict

from cleaner.core.dates import normalise_date
from cleaner.core.document import Document
from cleaner.core.stage import Stage

# trafilatura logs every page it finds too short; the document's own status says it.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

EXTRACTION_RULE = "extract.trafilatura"
# libxml2 stops building the tree this deep (without XML_PARSE_HUGE), so trafilatura never
# sees text below it; such pages get their tags stripped instead, with a flag.
PARSER_MAX_DEPTH = 255
_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_INVISIBLE = re.compile(r"<(script|style|template|noscript)\b", re.I)
_INVISIBLE_END = {name: re.compile(rf"</{name}\s*>", re.I) for name in ("script", "style", "template", "noscript")}
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "dt", "dd", "blockquote", "pre",
           "figcaption", "caption", "nav", "header", "footer", "aside", "div", "section", "article",
           "button", "label", "form", "main", "figure", "table", "ul", "ol", "dl"}


_BREAKS = _BLOCKS | {"br", "hr", "tr"}

# Markup lxml/libxml2 and trafilatura cannot take in bounded time, refused before they see
# it: libxml2's attribute parsing is quadratic in a tag's attribute count (one <p> with
# 100,000 attributes: 433 s), and trafilatura's time grows faster than the element count
# (300,000 <br>: 86 s). Real pages stay far below both (the benchmark pages: 10,126 tags at
# most, and a few dozen attributes on a tag).
MAX_TAG_ATTRIBUTES = 100  # more, and the tag loses its attributes (its text stays)
MAX_TAGS = 30_000  # more, and the page's tags are stripped instead of extracted (flagged)
# A start tag as libxml2 reads it: its name, then names, spaces and `=value`s (a quote opens
# a value only after '=') up to '>'; a script or style runs on, as raw text, to its end tag
# (so `i<n;...` in a script is not a tag). Every part possessive and the ends optional, so a
# match never fails once started and one pass over the page is linear, however broken it is.
_START_TAG = re.compile(r"""(?i)<(?:(?P<raw>script|style)\b|[a-z][^\s/>=]*+)"""
                        r"""(?P<attrs>(?:[^>=\s]++|\s++|=\s*+(?:"[^"]*+"|'[^']*+'|[^\s>]*+))*+)"""
                        r"""(?(raw)>?(?:[^<]++|<(?!/(?P=raw)))*+)""")
_TAG_OPENS = re.compile(r"<[a-zA-Z]")
_QUOTED_VALUE = re.compile(r"""=\s*+(?:"[^"]*+"|'[^']*+')""")
_ATTRIBUTE = re.compile(r"[^\s=/]++(?:\s*+=\s*+[^\s=]*+)?")


def _attribute_count(body: str) -> int:
    if len(body) < 2 * MAX_TAG_ATTRIBUTES:  # each attribute takes a space and a character
        return 0
    return len(_ATTRIBUTE.findall(_QUOTED_VALUE.sub("=", body)))


def guard_markup(html: str) -> tuple[str, int, int]:
    """(html with the attributes of over-attributed tags dropped, how many tags lost them,
    how many start tags the page has)."""
    tags = len(_TAG_OPENS.findall(html))
    if tags > MAX_TAGS:  # stripped, not parsed: attributes do not matter
        return html, 0, tags
    crowded = [m.span("attrs") for m in _START_TAG.finditer(html)
               if _attribute_count(m.group("attrs")) > MAX_TAG_ATTRIBUTES]
    if crowded:
        parts, pos = [], 0
        for start, end in crowded:
            parts.append(html[pos:start])
            pos = end
        html = "".join(parts) + html[pos:]
    return html, len(crowded), tags


@dataclass(frozen=True)
class Block:
    text: str  # whitespace-collapsed visible text
    line: int | None  # line in the HTML source
    link_density: float  # share of the text inside links


# An element of a page parsed by lxml (through trafilatura); lxml ships no type information.
HtmlTree = Any


def _own_text(el: HtmlTree, parts: list[str], in_link: bool, counts: list[int]) -> None:
    """Text of `el` that no nested block owns; counts[0] += characters inside links."""
    def add(text: str | None, linked: bool) -> None:
        if text:
            parts.append(text)
            if linked:
                counts[0] += len("".join(text.split()))

    add(el.text, in_link)
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _BLOCKS:
            _own_text(child, parts, in_link or child.tag == "a", counts)
        add(child.tail, in_link)


def page_blocks(page: str | HtmlTree) -> list[Block]:
    """Every block of visible text on the page (text owned by no nested block), in order.
    `page` is HTML, or its tree as trafilatura's `load_html` parses it; a tree is stripped of
    scripts and the like, so pass it after extraction (which works on its own copy)."""
    if isinstance(page, str):
        import trafilatura

        page = trafilatura.load_html(page)
        if page is None:
            return []
    tree = page
    for bad in tree.xpath("//script | //style | //noscript | //template | //head"):
        bad.drop_tree()
    blocks = []
    for el in tree.iter(*_BLOCKS, "body"):
        parts: list[str] = []
        linked = [0]
        try:
            _own_text(el, parts, el.tag == "a", linked)
        except RecursionError:
            continue
        text = " ".join(" ".join(parts).split())
        if text:
            density = min(1.0, linked[0] / max(1, len(text.replace(" ", ""))))
            blocks.append(Block(text, el.sourceline, round(density, 3)))
    return blocks


def _grams(words: list[str], n: int = 4) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def dropped_blocks(blocks: list[Block], kept: str) -> list[dict[str, Any]]:
    """The page's text blocks that extraction left out, for the audit trail.

    trafilatura decides what the main content is but does not say what it dropped; this
    lists every block of visible text (with its source line) that is not in the extracted
    text, so an HTML page's removals are as auditable as a text file's.
    """
    # Each kept line accounts for one block with its text: a menu repeated in header and
    # body, with only the body copy kept, still shows the header copy as dropped.
    kept_lines = Counter(" ".join(line.split()) for line in kept.split("\n"))
    # Long blocks may be split or joined differently by extraction: they count as kept when
    # nearly all their word 4-grams are in the text (a set lookup, not a substring scan,
    # so a huge page stays linear).
    kept_grams = _grams(kept.split())
    out = []
    for block in blocks:
        if kept_lines[block.text] > 0:
            kept_lines[block.text] -= 1
            continue
        grams = _grams(block.text.split())
        if len(grams) >= 3 and sum(g in kept_grams for g in grams) >= 0.9 * len(grams):
            continue
        out.append({"rule": EXTRACTION_RULE, "category": "extraction", "line_no": block.line,
                    "text": block.text, "action": "drop",
                    "note": "left out by HTML extraction; line_no is the HTML source line"})
    return out


def nesting_depth(html: str, stop: int = PARSER_MAX_DEPTH + 1) -> int:
    """How deep elements nest (counted up to `stop`), by open and close tags."""
    depth = deepest = 0
    for match in _TAG.finditer(html, 0, _tags_end(html)):
        closing, name, self_closing = match.groups()
        if closing:
            depth = max(0, depth - 1)
        elif not self_closing and name.lower() not in _VOID:
            depth += 1
            deepest = max(deepest, depth)
            if deepest >= stop:
                break
    return deepest


def _tags_end(html: str) -> int:
    """Where tags can end: a '<' with no '>' after it starts none. _TAG scans from a '<'
    to the next '>', so without this cut every '<' of a tail like "<a <a <a ..." would
    scan to the end of the page (quadratic)."""
    return html.rfind(">") + 1


def _drop_invisible(html: str) -> str:
    """Scripts, styles and the like out, each up to its end tag (one left open stays).

    A search for the end tag fails at most once per kind: then no later one can close
    either (a lazy regex from every "<script" to its end tag took 104 s on 20,000 of
    them left open)."""
    parts, pos, open_ended = [], 0, set()
    while match := _INVISIBLE.search(html, pos):
        name = match.group(1).lower()
        end = None if name in open_ended else _INVISIBLE_END[name].search(html, match.end())
        if end is None:
            open_ended.add(name)
            parts.append(html[pos:match.end()])
            pos = match.end()
            continue
        parts.append(html[pos:match.start()] + " ")
        pos = end.end()
    parts.append(html[pos:])
    return "".join(parts)


def strip_tags(html: str) -> str:
    """Visible text of markup no parser can hold: tags out, one line per block."""
    html = _drop_invisible(html)
    cut = _tags_end(html)
    html = _TAG.sub(lambda m: "\n" if m.group(2).lower() in _BREAKS else "", html[:cut]) + html[cut:]
    text = unescape(html)
    return unicodedata.normalize("NFC", "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip()))


# htmldate's settings as trafilatura's defaults give them (original date, extensive search),
# but for the latest date a page may carry: trafilatura makes it today, in the machine's own
# time zone, so a page's date depended on the day and TZ of the run (a page stamped
# 2027-03-14 had no date run today and that date run after it: a Tokyo article's morning
# date dropped by a run in UTC's evening of the day before). A fixed day instead: the
# same dates as today's default on trafilatura-eval and aeb's 1,214 pages (none changed).
_DATE_PARAMS = {"original_date": True, "extensive_search": True, "max_date": "2099-12-31"}


class _Options(TypedDict):
    """trafilatura's extraction settings that the configuration's [extract] sets."""

    favor_precision: bool
    include_tables: bool
    include_comments: bool


class Extract(Stage):
    """HTML -> text (paragraphs one per line), title, date, url, site name and author."""

    name = "extract"

    def __init__(self, favor_precision: bool = False, include_tables: bool = True,
                 include_comments: bool = False):
        self.options = _Options(favor_precision=favor_precision, include_tables=include_tables,
                                include_comments=include_comments)

    def process(self, doc: Document) -> Document:
        if doc.html is None:
            return doc
        import trafilatura  # heavy import, only where HTML is present

        html, doc.html = doc.html, None
        html, crowded, tags = guard_markup(html)
        if crowded:
            doc.flags.append({"flag": "markup_guard", "rule": "extract.too-many-attributes",
                              "reason": f"{crowded} tag(s) with more than {MAX_TAG_ATTRIBUTES} attributes: "
                                        "their attributes were dropped before parsing (their text is kept)"})
        if tags > MAX_TAGS:
            depth = nesting_depth(html)  # the older, more specific reason first
            if depth > PARSER_MAX_DEPTH:
                return self._stripped(doc, html, f"HTML nested {depth}+ levels deep, beyond the parser's "
                                                 f"{PARSER_MAX_DEPTH}", "extract.too-deep")
            return self._stripped(doc, html, f"{tags} tags, over the {MAX_TAGS} extraction takes",
                                  "extract.too-many-tags")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # Parsed once, with trafilatura's own parser settings: extraction copies the
                # tree (trafilatura's bare_extraction does), and the audit reads it after.
                tree = trafilatura.load_html(html)
                if tree is None and html.strip():
                    # trafilatura takes whole pages only: a fragment (a feed's "<p>...</p>",
                    # an article body from a CMS, plain text saved as .html) is "not HTML" to
                    # it. Inside a page of its own, on the same line (source lines unchanged).
                    tree = trafilatura.load_html(f"<html><body>{html}</body></html>")
                result = None if tree is None else trafilatura.bare_extraction(
                    tree, url=doc.url, with_metadata=True, output_format="python",
                    date_extraction_params=dict(_DATE_PARAMS), **self.options
                )
        except Exception as exc:  # trafilatura raises many types on broken markup
            return doc.reject(f"HTML extraction failed: {type(exc).__name__}: {exc}")
        text = getattr(result, "text", None) if result is not None else None
        if not text or not text.strip():
            depth = nesting_depth(html)
            if depth <= PARSER_MAX_DEPTH:
                return doc.reject("HTML extraction found no main text")
            return self._stripped(doc, html, f"HTML nested {depth}+ levels deep, beyond the parser's "
                                             f"{PARSER_MAX_DEPTH}", "extract.too-deep")
        # Entities in the page (&#x9bc;) can decompose characters again: back to NFC, like all text.
        doc.text = unicodedata.normalize("NFC", text)
        blocks = page_blocks(tree)
        doc.removed.extend(dropped_blocks(blocks, text))
        # For the link-density rule: which kept lines were (mostly) links on the page.
        doc.link_density = {b.text: b.link_density for b in blocks if b.link_density > 0}
        for name, attr in (("title", "title"), ("url", "url"), ("site", "sitename"), ("author", "author")):
            value = getattr(result, attr, None)
            if value and not getattr(doc, name):
                setattr(doc, name, value)
                doc.meta[name] = f"html metadata ({attr})"
        found = normalise_date(getattr(result, "date", None))
        if found and not doc.date:
            doc.date = found
            doc.meta["date"] = "html metadata (trafilatura/htmldate)"
        return doc

    @staticmethod
    def _stripped(doc: Document, html: str, why: str, rule: str) -> Document:
        """The page's text with its tags stripped, for markup extraction cannot take."""
        text = strip_tags(html)
        if not text:
            return doc.reject(f"{why}, and no text outside the tags")
        doc.text = text
        doc.flags.append({"flag": "extraction_fallback", "rule": rule,
                          "reason": f"{why}: tags stripped instead of trafilatura's extraction, "
                                    "so page clutter may remain"})
        return doc
