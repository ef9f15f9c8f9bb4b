"""thru-25 (#18 point 2): Document, Features and Stored pickle by position (their fields'
values in order, core/features.by_position), not as {field name: value}: a checkpoint
entry and a worker's slim copy cost less to pickle and to read back. The pickled layout
changed, so the checkpoint format did too (store/spool.CHECKPOINT_FORMAT 3)."""

from __future__ import annotations

import copy
import json
import pickle
import re
from array import array
from dataclasses import fields

import numpy as np
import pytest

from cleaner.core.config import load_config
from cleaner.core.document import Document, Stored
from cleaner.core.features import Features
from cleaner.stages.build import build_stages
from cleaner.store.checkpoint import Checkpoint
from cleaner.store.spool import CHECKPOINT_FORMAT, META, PARTIAL_DIR, ResumeError


def _document() -> Document:
    doc = Document(id="d1", source="feed.jsonl", text="Some text.\nMore text.", title="A headline", lang="en",
                   lang_prob=0.99, removed=[{"rule": "r"}], meta={"date": "input field"},
                   line_no=[1, 3])
    doc.features = Features(exact="ab" * 20, near=np.array([1, 5, 9], dtype=np.uint32), near_mh=b"\x01\x00\x00\x00",
                            story_mh=np.arange(4, dtype=np.uint32), terms=("kyiv", "2025"), lead=("kyiv",),
                            term_lines=b"\x02\x00\x00\x00\x00\x00\x00\x00", dateline="12-20", credits=("reuters",),
                            words=4, removed=1, line_words=b"")
    doc.stored = Stored(ref=12345, input_key="key", hits=["r"], template_keys=array("Q", [7, 1 << 63]))
    return doc


def _same(one: object, two: object) -> None:
    assert type(one) is type(two)
    for f in fields(one):  # type: ignore[arg-type]
        a, b = getattr(one, f.name), getattr(two, f.name)
        if isinstance(a, (Features, Stored)):
            _same(a, b)
        elif isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        else:
            assert a == b and type(a) is type(b), f.name


@pytest.mark.parametrize("protocol", [2, 4, pickle.HIGHEST_PROTOCOL])
def test_each_class_pickles_without_its_field_names_and_reads_back_the_same(protocol):
    doc = _document()
    for obj in (doc, doc.features, doc.stored):
        blob = pickle.dumps(obj, protocol=protocol)
        for f in fields(obj):  # type: ignore[arg-type]
            # Short names ("id", "text") also stand in the values, "features" in a module's name.
            if len(f.name) > 4 and f.name not in Features.__module__:
                assert f.name.encode() not in blob, f.name
        _same(obj, pickle.loads(blob))


def test_copies_are_what_they_were():
    doc = _document()
    shallow = copy.copy(doc)
    _same(doc, shallow)
    assert shallow.removed is doc.removed and shallow.features is doc.features
    deep = copy.deepcopy(doc)
    _same(doc, deep)
    assert deep.removed is not doc.removed and deep.features is not doc.features


def test_a_checkpoint_of_format_2_is_refused_in_one_line(tmp_path):
    # Its entries hold {field name: value} pickles, which this code would read into the
    # wrong fields if it read them by position: refused as another version's, not read.
    assert CHECKPOINT_FORMAT == 3
    out = tmp_path / "out"
    Checkpoint(out, "fp", resume=False).close(keep=True)
    (out / PARTIAL_DIR / META).write_text(json.dumps({"fingerprint": "fp", "format": 2}) + "\n")
    with pytest.raises(ResumeError, match=re.escape("checkpoint format 2, this one reads 3); run without --resume")):
        Checkpoint(out, "fp", resume=True)


def test_line_keys_after_signing_fold_the_text_once_and_give_the_same_keys(monkeypatch):
    # A worker signs a document, then takes its template line keys (exec/flow.pack): both
    # read the text NFKC-normalised and case-folded, now folded once (signatures.folded).
    from cleaner.dedup import signatures
    from cleaner.stages import templates
    from cleaner.stages.templates import _line_key, source_key

    stages = build_stages(load_config(None))
    stages.sign.setup()
    text = "Straße ＡＢＣ Kyiv, Dec 20.\nRead more at Example News\nΣΊΣΥΦΟΣ said 42 people came.\nﬁnal word"
    doc = Document(id="d", source="feed.jsonl", text=text, line=1, lang="de")
    calls: list[str] = []
    for module in (signatures, templates):  # whichever normalises (before: each of them)
        if hasattr(module, "nfkc"):
            real = module.nfkc
            monkeypatch.setattr(module, "nfkc", lambda t, real=real: calls.append(t) or real(t))
    signatures.folded.cache_clear()
    stages.sign.process(doc)
    keys = stages.templates.line_keys(doc)
    assert calls == [text]  # the signing stage's fold, read again by the line keys (before: twice)
    source = source_key(doc)
    assert keys == sorted({_line_key(source, line) for line in text.split("\n")})
