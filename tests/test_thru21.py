"""#18 (thru-21): what a stored document costs outside the stages.

A row's JSON is encoded by one C encoder made once, not one made at every call
(core/document.json_encoder: ~58,000 values a 3,000-document run); a stored document is
copied by calling its class with its values (core/features.copy_with), not by
dataclasses.replace; templates' line keys count every line's words at once from the
word-character table (signatures.line_word_counts), not by a regex a line. The same text,
copies and counts: output byte-identical.
"""

from __future__ import annotations

import dataclasses
import json
import json.encoder
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.document import Document, Stored, dump, json_encoder
from cleaner.core.features import Features, copy_with
from cleaner.core.text import UNSPACED, word_count
from cleaner.dedup import signatures
from cleaner.dedup.signatures import line_word_counts
from cleaner.exec import flow
from cleaner.inspect import report_rows
from cleaner.stages import templates
from cleaner.stages.templates import Templates
from cleaner.store.spool import Spool

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=20)
ODD = [{"b": 1, "a": [1.5, None, "x<y&z"], "c": {"z": math.nan, "y": -math.inf}}, "é\u2028\x00\ud800",
       3, 1e300, -0.0, True, [], {}, {1: "int key", "k": (1, 2)}, [{"rule": "r", "line_no": 3, "text": "a\"b"}]]


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_json_encoder_is_the_json_modules_text(value):
    assert dump(value) == json.dumps(value, ensure_ascii=False)
    assert report_rows._ENCODE(value) == json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize("options", [{}, {"ensure_ascii": False}, {"ensure_ascii": False, "sort_keys": True},
                                     {"separators": (",", ":"), "sort_keys": True}, {"indent": 2}])
def test_json_encoder_on_odd_values(value, options):
    try:
        want = json.JSONEncoder(**options).encode(value)
    except TypeError:  # sort_keys over int and str keys: refused alike
        with pytest.raises(TypeError):
            json_encoder(**options)(value)
        return
    assert json_encoder(**options)(value) == want


def test_json_encoder_refuses_what_the_json_module_refuses():
    with pytest.raises(TypeError):
        dump({"a": object()})


def test_a_rows_json_makes_no_encoder_per_call(monkeypatch):
    """JSONEncoder.encode made a C encoder at every call of a list or dict (~1 µs of ~2)."""
    made = []
    real = json.encoder.c_make_encoder

    def counted(*args):
        made.append(1)
        return real(*args)

    monkeypatch.setattr(json.encoder, "c_make_encoder", counted)
    doc = Document(id="d", text="a <b> & c", source="s", lang="en", lang_prob=0.99, title="T",
                   removed=[{"rule": "r", "line_no": 1, "text": "x"}], meta={"title": "first line"})
    doc.json_parts()
    doc.json_line()
    report_rows.stored_pieces(doc)
    assert made == []


def _signed(text: str = "Alpha beta gamma.\nDelta epsilon zeta.\nShare this") -> Document:
    doc = Document(id="d1", text=text, source="src", lang="en", lang_prob=0.999, title="Alpha",
                   removed=[{"rule": "share", "line_no": 3, "text": "Share this"}], meta={"title": "first line"},
                   line_no=[0, 1], link_density={"Share this": 1.0}, raw_line='{"id": "d1"}')
    doc.features = Features(exact="ab" * 20, near=np.array([3, 1, 2], dtype=np.uint32),
                            near_mh=np.arange(8, dtype=np.uint32), story_mh=np.arange(8, dtype=np.uint32),
                            terms=("alpha", "delta"), lead=("alpha",), term_lines=b"\x01\x00\x00\x00" * 2,
                            words=6, removed=1, line_words=b"\x02\x00\x00\x00")
    doc.stored = Stored(input_key="k1")
    return doc


@pytest.mark.parametrize("changes", [{}, {"text": "", "html": None, "removed": [], "features": None},
                                     {"stored": None, "raw_line": None, "status": "kept"}])
def test_copy_with_is_dataclasses_replace(changes):
    doc = _signed()
    before = {f.name: getattr(doc, f.name) for f in dataclasses.fields(Document)}
    got, want = copy_with(doc, **changes), dataclasses.replace(doc, **changes)
    assert type(got) is Document and got is not doc
    for f in dataclasses.fields(Document):  # the very same values, as replace passes them on
        assert getattr(got, f.name) is getattr(want, f.name), f.name
    assert {f.name: getattr(doc, f.name) for f in dataclasses.fields(Document)} == before  # the original untouched
    features = copy_with(doc.features, near=b"raw", line_words=b"")
    assert features == dataclasses.replace(doc.features, near=b"raw", line_words=b"")
    assert doc.features.near is not features.near


def test_a_stored_document_is_copied_without_dataclasses_replace(monkeypatch):
    """flow.pack copied a document twice and a store once more by dataclasses.replace (~4 µs
    each, its keywords and checks): now by copy_with. The stored document and the slim
    copy are the same as before."""
    def refused(*args, **kwargs):
        raise AssertionError("dataclasses.replace called")

    for module in (dataclasses, flow, __import__("cleaner.core.document", fromlist=["x"])):
        monkeypatch.setattr(module, "replace", refused, raising=False)
    with Spool() as spool:
        doc = _signed()
        slim = flow.pack(doc, Templates(), spool, keyed=True)
        stored = spool.get(slim.stored.ref)
        assert slim.text == "" and slim.removed == [] and slim.line_no is None and slim.link_density is None
        assert slim.stored.input_key is None and slim.title == "Alpha" and slim.meta == {"title": "first line"}
        assert [spool.get_array(getattr(slim.features, name)).tolist() for name in ("near", "near_mh")] == \
            [[3, 1, 2], list(range(8))]
        assert stored.text == doc.text and stored.removed == doc.removed and stored.line_no == [0, 1]
        assert stored.features is None and stored.stored is None and stored.raw_line is None
        assert stored.link_density is None
        assert spool.get_parts(slim.stored.ref) == doc.json_parts()


# Every code point, each between two letters ("a" + c + "a": one word or two), a line of 64.
EVERY = [chr(c) for c in range(0x110000) if c != 10]
LINES_ALPHABET = st.sampled_from(list("ab _-'\n\t.,1é\u0301\u00a0\u200b") + ["\ud800", "ß", "İ", "\u0660"])


def _by_regex(text: str) -> list[int]:
    return [word_count.__wrapped__(line) for line in text.split("\n")]


def test_line_word_counts_on_every_code_point():
    lines = ["".join("a" + c + "a " for c in EVERY[k:k + 64]) for k in range(0, len(EVERY), 64)]
    text = "\n".join(line for line in lines if not UNSPACED.search(line))
    assert line_word_counts(text) == _by_regex(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=LINES_ALPHABET, max_size=120) | st.text(max_size=120))
def test_line_word_counts_is_word_count_of_each_line(text):
    assert line_word_counts(text) == _by_regex(text)  # unspaced text too (session 22)


@pytest.mark.parametrize("text", ["", "\n", "one", "one two\n\nthree_four five-six\n", "\n\nx y\n", "a\u0301b c"])
def test_line_word_counts_on_edges(text):
    assert line_word_counts(text) == _by_regex(text)


def test_template_line_keys_count_words_without_a_regex_a_line(monkeypatch):
    """Templates' line keys counted each line's words by regex (word_count, ~2.8 µs a line
    not seen before): now every line's at once from the word-character table, with the
    same keys; a text in an unspaced script still counts by word_count. The unspaced check
    is line_word_counts' own (session 22: templates made it before calling it), so the
    function is a drop-in for word_count a line on any text."""
    text = "Alpha beta gamma.\nSubscribe to our newsletter\n" + " ".join(["word"] * 45) + ".\n\nShare"
    doc = Document(id="d", text=text, source="s", site="example.com")
    want = Templates().line_keys(doc)
    assert len(want) == 3  # the 45-word sentence and the empty line are not candidates

    def refused(line):
        raise AssertionError("word_count called")

    monkeypatch.setattr(signatures, "word_count", refused)
    assert Templates().line_keys(doc) == want
    monkeypatch.undo()
    unspaced = Document(id="u", text="新闻稿件\n订阅我们的新闻", source="s", site="example.com")
    counted = []
    monkeypatch.setattr(signatures, "word_count", lambda line: counted.append(line) or word_count(line))
    assert Templates().line_keys(unspaced)
    assert counted == unspaced.text.split("\n")


@pytest.mark.parametrize("text", ["新闻稿件\n订阅我们的新闻", "News 新闻 today\n\nplain words here", "ไทย ข่าว\nx"])
def test_line_word_counts_takes_unspaced_text_too(text):
    """line_word_counts is word_count a line on any text: an unspaced script counts as
    word_count counts it (characters), not as runs of word characters."""
    assert UNSPACED.search(text)
    assert line_word_counts(text) == _by_regex(text)