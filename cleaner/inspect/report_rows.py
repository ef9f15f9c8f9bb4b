"""A record member's row in report.html's page files, in pieces: the fields the stored
document fixes (chars, date, flags, lang, removed lines, source, text, title, url),
encoded where the document is stored (a worker: store/spool.py keeps them beside the
documents.jsonl row parts), and the fields the run's clustering decides (id, relation,
similarity, reason, shared terms, evidence), encoded when the report is written. Joined,
they are exactly `script_json` of the member's dict (keys sorted, the same separators
and escapes): each value's JSON does not depend on where it sits, and the escapes
replace single characters. So writing the report neither reads whole documents back nor
encodes their texts again in the main process.
"""

from __future__ import annotations

from typing import Any

from cleaner.core.document import Document, json_encoder

# str.replace per character, not str.translate: translate with a dict costs ~20 ns a
# character, three quarters of a 10,000-record report's time.
_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))
_REMOVED_KEYS = ("rule", "category", "line_no", "action", "text", "note", "field")
_ENCODE = json_encoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))

# (six pieces of the member's row, each "key":value[,"key":value]; each removed line's
# (rule, category or "")): what report.html needs of a stored document.
StoredPieces = tuple[tuple[str, str, str, str, str, str], tuple[tuple[str, str], ...]]


def script_json(value: Any) -> str:
    """JSON that is inert inside a <script> block (and valid JSON still)."""
    return inert(_ENCODE(value))


def inert(text: str) -> str:
    """JSON text with the characters that could end a <script> block (or a JS string) as \\u escapes."""
    for char, escaped in _JSON_ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


def stored_pieces(doc: Document, text: str | None = None) -> StoredPieces:
    """The member row's fields a stored document fixes, encoded, in key order, and its
    removed lines' rules (report.html's counts by category). `text`: the text's JSON as
    documents.jsonl encodes it (the same string encoding: ensure_ascii off), if at hand."""
    return with_text(text_apart(doc), script_json(doc.text) if text is None else inert(text))


def text_apart(doc: Document) -> StoredPieces:
    """stored_pieces without the text (the last piece starts at "title"): what a spool
    keeps, beside the text's JSON it keeps for documents.jsonl anyway (with_text)."""
    s = script_json
    removed = [{k: r.get(k) for k in _REMOVED_KEYS if k in r} for r in doc.removed]
    pieces = (f'"chars":{len(doc.text)},"date":{s(doc.date)}',
              f'"flags":{s(doc.flags)}',
              f'"lang":{s(doc.lang)}',
              f'"removed":{s(removed)}',
              f'"source":{s(doc.source)}',
              f',"title":{s(doc.title)},"url":{s(doc.url)}')
    return pieces, tuple((r["rule"], r.get("category") or "") for r in doc.removed)


def with_text(apart: StoredPieces, text: str) -> StoredPieces:
    """text_apart's pieces with the text's inert JSON put back in the last piece."""
    pieces, rules = apart
    return (pieces[0], pieces[1], pieces[2], pieces[3], pieces[4], f'"text":{text}{pieces[5]}'), rules


def member_row(pieces: tuple[str, ...], doc_id: str, relation: str, similarity: float, reason: str,
               terms: list[str] | None, evidence: list[dict[str, Any]] | None) -> str:
    """script_json of the member's dict (report._member), from its stored pieces."""
    s = script_json
    out = [pieces[0]]
    if evidence is not None:
        out.append(f'"evidence":{s(evidence)}')
    out += [pieces[1], f'"id":{s(doc_id)}', pieces[2], f'"reason":{s(reason)},"relation":{s(relation)}',
            pieces[3], f'"similarity":{s(round(similarity, 4))}', pieces[4]]
    if terms is not None:
        out.append(f'"terms":{s(terms)}')
    out.append(pieces[5])
    return "{" + ",".join(out) + "}"
