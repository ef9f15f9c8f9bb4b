"""A URL's host name, for the code that groups documents by where they come from.

`urllib.parse.urlsplit` raises ValueError on text it cannot split ("http://[::1",
"//[Bruges Daily]"). A document's `url` and `site` are the user's data, or a rule's
metadata move, so a bad one must cost the document its host, never the run.
"""
from __future__ import annotations

from urllib.parse import urlsplit


def url_host(value: str) -> str | None:
    """The host name of `value` (lower case), or None when it has none or cannot be split."""
    try:
        return urlsplit(value).hostname
    except ValueError:  # an unclosed or misplaced "[" (IPv6 syntax), a bad port
        return None
