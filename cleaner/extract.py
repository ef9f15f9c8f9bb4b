"""Main text and metadata out of HTML pages, with trafilatura."""

from __future__ import annotations

import logging
from collections import Counter
import warnings

from .dates import normalise_date
from .document import Document
from .stage import Stage

# trafilatura logs every page it finds too short; the document's own status says it.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

EXTRACTION_RULE = "extract.trafilatura"
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "dt", "dd", "blockquote", "pre",
           "figcaption", "caption", "nav", "header", "footer", "aside", "div", "section", "article",
           "button", "label", "form", "main", "figure", "table", "ul", "ol", "dl"}


def dropped_blocks(html: str, kept: str) -> list[dict]:
    """The page's text blocks that extraction left out, for the audit trail.

    trafilatura decides what the main content is but does not say what it dropped; this
    lists every innermost block of visible text (with its source line) that is not in the
    extracted text, so an HTML page's removals are as auditable as a text file's.
    """
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    for bad in tree.xpath("//script | //style | //noscript | //template | //head"):
        bad.drop_tree()
    # Each kept line accounts for one block with its text: a menu repeated in header and
    # body, with only the body copy kept, still shows the header copy as dropped.
    kept_lines = Counter(" ".join(line.split()) for line in kept.split("\n"))
    kept_flat = " ".join(kept.split())
    out = []
    for el in tree.iter(*_BLOCKS):
        if any(isinstance(child.tag, str) and child.tag in _BLOCKS for child in el.iterdescendants()):
            continue  # not innermost: its blocks are listed on their own
        text = " ".join(el.text_content().split())
        if not text:
            continue
        if kept_lines[text] > 0:
            kept_lines[text] -= 1
        elif len(text.split()) < 4 or text not in kept_flat:  # long blocks may be re-split
            out.append({"rule": EXTRACTION_RULE, "category": "extraction", "line_no": el.sourceline,
                        "text": text, "action": "drop",
                        "note": "left out by HTML extraction; line_no is the HTML source line"})
    return out


class Extract(Stage):
    """HTML -> text (paragraphs one per line), title, date, url and site name."""

    name = "extract"

    def __init__(self, favor_precision: bool = False, include_tables: bool = True,
                 include_comments: bool = False):
        self.options = dict(favor_precision=favor_precision, include_tables=include_tables,
                            include_comments=include_comments)

    def process(self, doc: Document) -> Document:
        if doc.html is None:
            return doc
        import trafilatura  # heavy import, only where HTML is present

        html, doc.html = doc.html, None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = trafilatura.bare_extraction(
                    html, url=doc.url, with_metadata=True, output_format="python", **self.options
                )
        except Exception as exc:  # trafilatura raises many types on broken markup
            return doc.reject(f"HTML extraction failed: {type(exc).__name__}: {exc}")
        text = getattr(result, "text", None) if result is not None else None
        if not text or not text.strip():
            return doc.reject("HTML extraction found no main text")
        doc.text = text
        doc.removed.extend(dropped_blocks(html, text))
        for name, attr in (("title", "title"), ("url", "url"), ("site", "sitename")):
            value = getattr(result, attr, None)
            if value and not getattr(doc, name):
                setattr(doc, name, value)
                doc.meta[name] = f"html metadata ({attr})"
        found = normalise_date(getattr(result, "date", None))
        if found and not doc.date:
            doc.date = found
            doc.meta["date"] = "html metadata (trafilatura/htmldate)"
        return doc
