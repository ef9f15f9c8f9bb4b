"""A JSONL line's checkpoint key (store/checkpoint.input_key) is hashed from its parts, never
from the JSON of [source, line, raw line] (whole-18n: ~15 us a document less), and still
names one input: the same input the same key, any other input another."""

import json

import pytest

from cleaner.core.document import Document
from cleaner.store import checkpoint
from cleaner.store.checkpoint import input_key


def _line(source, line, raw):
    return Document(id="d", source=source, line=line, raw_line=raw)


def test_a_deferred_line_is_keyed_without_encoding_it_as_json(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("json.dumps called for a deferred line")

    monkeypatch.setattr(checkpoint.json, "dumps", refuse)
    key = input_key(_line("feed.jsonl", 3, '{"id": "a", "text": "The council met.\\nIt voted."}'))
    assert len(key) == 40 and int(key, 16) >= 0


def test_the_same_input_gets_the_same_key_and_any_other_input_another():
    raw = '{"id": "a", "text": "Zürich: the council met."}'
    same = [input_key(_line("feed.jsonl", 3, raw)) for _ in range(2)]
    assert same[0] == same[1]
    others = [
        _line("feed2.jsonl", 3, raw), _line("feed.jsonl", 4, raw), _line("feed.jsonl", 3, raw + " "),
        _line("feed.jsonl", None, raw),
        # parts whose plain concatenation would agree
        _line("feed.jsonl\x003", 3, raw), _line("feed.jsonl", 33, raw[1:]), _line("feed.jsonl3", 3, raw),
    ]
    keys = {input_key(doc) for doc in others}
    assert len(keys) == len(others) and same[0] not in keys


@pytest.mark.parametrize("raw", ['{"text": "a lone surrogate \ud800"}', ""])
def test_a_line_of_any_text_gets_a_key(raw):
    assert len(input_key(_line("feed.jsonl", 1, raw))) == 40


def test_a_parsed_document_keeps_its_json_key():
    doc = Document(id="d", source="a.txt", text="The council met.")
    assert input_key(doc) == checkpoint.hashlib.sha1(
        json.dumps([doc.to_json(), doc.html], ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
