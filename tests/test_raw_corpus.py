"""The shipped sample corpus, end to end: the acceptance checks of the pipeline."""

import json
import re

import lxml.html
import pytest

from conftest import RAW

BULLET = re.compile(r"^\W*$")


def record_of(raw_docs, doc_id):
    return raw_docs[doc_id].record_id


def test_every_input_is_accounted_for(raw_run, expectations):
    ids = {d.id for d in raw_run.documents}
    assert set(expectations["languages"]) == ids
    assert all(d.status in ("kept", "duplicate") for d in raw_run.documents)
    assert all(d.record_id for d in raw_run.documents)


def test_languages(raw_docs, expectations):
    wrong = {i: raw_docs[i].lang for i, lang in expectations["languages"].items() if raw_docs[i].lang != lang}
    assert wrong == {}


@pytest.mark.parametrize("group", range(4))
def test_same_story_and_copies_form_one_record(raw_docs, expectations, group):
    ids = expectations["same_record"][group]
    assert len({record_of(raw_docs, i) for i in ids}) == 1, ids


def test_strike_record_has_all_outlets_with_similarity(raw_run, expectations):
    strike = set(expectations["same_record"][0])
    (rec,) = [r for r in raw_run.records if {m.doc.id for m in r.members} & strike]
    assert {m.doc.id for m in rec.members} == strike
    relations = {m.doc.id: m.relation for m in rec.members}
    assert relations["wires/odesa-strike-wire"] == "canonical"
    assert relations["syndicated/odesa-strike-partner"] == "near"
    assert {relations[i] for i in strike} == {"canonical", "near", "story"}
    for m in rec.members:
        assert 0.0 < m.similarity <= 1.0
        if m.relation == "story":
            assert len(m.shared_terms) >= 5 and "derevianko" in m.shared_terms


def test_related_but_different_events_stay_apart(raw_docs, expectations):
    for a, b in expectations["separate_records"]:
        assert record_of(raw_docs, a) != record_of(raw_docs, b), (a, b)


def test_every_clutter_line_is_removed_with_a_rule(raw_docs, expectations):
    for doc_id, lines in expectations["clutter"].items():
        doc = raw_docs[doc_id]
        for line in lines:
            assert line not in doc.text, (doc_id, line)
        # Whether HTML extraction or a line rule removed it, the audit names it.
        removed = {r["text"] for r in doc.removed}
        assert set(lines) <= removed, (doc_id, set(lines) - removed)
        assert all(r["rule"] and r["category"] and r["line_no"] >= 1 for r in doc.removed)


def test_must_keep_sentences_and_metadata(raw_docs, expectations):
    for doc_id, keep in expectations["must_keep"].items():
        for sentence in keep:
            assert sentence in raw_docs[doc_id].text, (doc_id, sentence)
    for doc_id, fields in expectations["metadata"].items():
        for name, value in fields.items():
            assert getattr(raw_docs[doc_id], name) == value, (doc_id, name)


def _article_lines(path):
    """Every paragraph a reader would call the article's, from the raw file."""
    if path.suffix == ".html":
        tree = lxml.html.fromstring(path.read_bytes())
        return [" ".join(el.text_content().split()) for el in tree.xpath("//article//p | //article//h1")]
    if path.suffix == ".jsonl":
        return [line for row in path.read_text(encoding="utf-8").splitlines() for line in json.loads(row)["text"].split("\n")]
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))["text"].split("\n")
    return path.read_text(encoding="utf-8").split("\n")


def test_no_article_sentence_is_lost(raw_run, expectations):
    clutter = {line for lines in expectations["clutter"].values() for line in lines}
    texts = {}
    for doc in raw_run.documents:
        texts.setdefault(doc.source, []).append(doc.text)
    lost = []
    for source, cleaned in texts.items():
        joined = "\n".join(cleaned)
        for line in _article_lines(RAW / source):
            line = re.sub(r"^\s*date \d{4}-\d{2}-\d{2}\s*", "", line)  # the moved date prefix
            line = re.sub(r"^Updated \d{4}-\d{2}-\d{2} \d{2}:\d{2}$", "", line)
            if line.strip() and line not in clutter and not BULLET.match(line) and line.strip() not in joined:
                lost.append((source, line))
    assert lost == []


def test_rule_hits_cover_every_category(raw_run):
    categories = {r["category"] for d in raw_run.documents for r in d.removed}
    assert {"consent", "legal", "contact", "navigation", "related", "credit", "metadata"} <= categories
