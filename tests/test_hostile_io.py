"""Hostile input and failure, second review (issue #13): the holes a review found in
reading, ids, the output folder, workers, interruption and the inspection verbs."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cleaner import clean
from cleaner.pipeline import run_documents
from cleaner.read import read_dicts, read_inputs
from conftest import RAW

TEXTS = [
    "The harbour reopened on Monday after three weeks of repairs to the quay walls and cranes.",
    "The council voted on Tuesday to raise the budget for school buildings by a tenth this year.",
    "Floods closed the northern railway line for two days; engineers are checking the bridges.",
    "A new library opened in the old post office, with a reading room for children upstairs.",
]


def run_cli(*args, timeout=120, **kw):
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, text=True,
                          timeout=timeout, **kw)


def rows(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


# ---- ids (items 2, 3 and the "item" placeholder) ----

def test_renamed_ids_are_unique_whatever_ids_the_feed_has(tmp_path, cfg):
    ids = ["a", "a", "a@feed.jsonl:1", "a@feed.jsonl:1#1"]
    (tmp_path / "feed.jsonl").write_text(
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(ids, TEXTS)), encoding="utf-8")
    result = run_documents(read_inputs(tmp_path, [".jsonl"], 10**6, defer=True), cfg, spool=True)
    try:
        got = [d.id for d in result.documents]
        assert len(set(got)) == 4, got
        assert "a@feed.jsonl:1#1" in got and "a@feed.jsonl:1" in got  # input ids that were unique stay
        record_ids = [r.record_id for r in result.records]
        assert len(set(record_ids)) == len(record_ids) == 4
    finally:
        result.close()


def test_api_renamed_ids_are_unique_whatever_ids_the_items_have():
    items = [{"id": "a", "text": TEXTS[0]}, {"id": "a", "text": TEXTS[1]}, {"id": "a@<api>#1", "text": TEXTS[2]}]
    docs = clean(items).documents
    assert len({d["id"] for d in docs}) == 3
    assert "a@<api>#1" in {d["id"] for d in docs if "renamed" not in d["meta"].get("id", "")}


def test_api_renaming_takes_in_every_field():
    items = [{"id": "x", "text": TEXTS[0], "site": "one.example"},
             {"id": "x", "text": TEXTS[0], "site": "two.example"}]
    forward, backward = clean(items), clean(items[::-1])
    assert forward.documents == backward.documents and forward.records == backward.records


def test_a_real_id_item_is_kept():
    (doc,) = read_dicts([{"id": "item", "text": TEXTS[0]}])
    assert doc.id == "item"
