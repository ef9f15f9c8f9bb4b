"""Main text and metadata out of HTML pages, with trafilatura."""

from __future__ import annotations

import logging
import warnings

from .dates import normalise_date
from .document import Document
from .stage import Stage

# trafilatura logs every page it finds too short; the document's own status says it.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


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
