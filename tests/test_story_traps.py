"""Trap set for the same-story tier (issue #12 point 4): tests/data/story_traps.json.

Each trap holds two different events on one topic (same place, country, leaders,
institution, kind of event, mostly in the same week), each told by two outlets written
independently: the story tier must join each event's two retellings and keep the two
events apart. The prose is original, written by the team; people and organisations are
invented.

Traps the story tier does not yet keep apart are marked xfail (strict: a fix that makes
one pass must remove it from NOT_YET, so the list cannot go stale). Issue #12 stays open
until NOT_YET is empty.
"""

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from cleaner import clean

TRAPS = json.loads((Path(__file__).resolve().parent / "data" / "story_traps.json").read_text(encoding="utf-8"))
NAMES = [t["name"] for t in TRAPS]
FIELDS = ("id", "site", "title", "date", "text")
# Not kept apart yet: none. (t04, t05, t08 are kept apart by the split step,
# story.split_ratio; t07, whose vote's first report names nobody in its title or lead, since
# the lead-name gate is off, story.wording_overlap keeping chance links out instead.)
NOT_YET: set[str] = set()
# Pairs of different events must score below this share of story.threshold.
MARGIN = 0.7


def traps(not_yet: set[str]):
    return [pytest.param(t, id=t["name"], marks=pytest.mark.xfail(strict=True, reason="not kept apart yet"))
            if t["name"] in not_yet else pytest.param(t, id=t["name"]) for t in TRAPS]


def items(traps):
    return [{k: d[k] for k in FIELDS} for t in traps for e in t["events"] for d in e["docs"]]


def trigrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


@pytest.fixture(scope="module")
def all_docs():
    """clean() over every trap's documents at once, by document id."""
    return {d["id"]: d for d in clean(items(TRAPS)).documents}


def check_trap(trap, docs: dict[str, dict]) -> None:
    """Each event's retellings share one record, and that record holds nothing else."""
    members = defaultdict(set)
    for d in docs.values():
        members[d["record_id"]].add(d["id"])
    problems = []
    for event in trap["events"]:
        ids = {d["id"] for d in event["docs"]}
        records = {docs[i]["record_id"] for i in ids}
        if len(records) > 1:
            problems.append(f"{event['label']!r}: retellings split over records {sorted(records)}")
        for rec in records:
            if extra := members[rec] - ids:
                problems.append(f"{event['label']!r}: record {rec} also holds {sorted(extra)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("trap", traps(NOT_YET))
def test_trap_alone(trap):
    check_trap(trap, {d["id"]: d for d in clean(items([trap])).documents})


@pytest.mark.parametrize("trap", traps(NOT_YET))
def test_trap_among_all_traps(trap, all_docs):
    check_trap(trap, all_docs)


def test_fixture_shape():
    ids = [d["id"] for d in items(TRAPS)]
    assert len(ids) == len(set(ids)), "document ids must be unique across the file"
    assert len(TRAPS) >= 10
    assert len(set(NAMES)) == len(NAMES)
    assert len({t["lang"] for t in TRAPS}) >= 4
    for trap in TRAPS:
        assert len(trap["events"]) == 2, trap["name"]
        for event in trap["events"]:
            assert len(event["docs"]) == 2, event["label"]
            assert len({d["site"] for d in event["docs"]}) == 2, f"{event['label']}: one outlet per retelling"
            for d in event["docs"]:
                assert d["date"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", d["date"]), d["id"]
                assert 120 <= len(re.findall(r"\w+", d["text"])) <= 300, d["id"]


@pytest.mark.parametrize("trap", TRAPS, ids=NAMES)
def test_retellings_are_not_near_duplicates(trap):
    """Word 3-gram Jaccard below 0.3: only the story tier, not the near tier, may join them."""
    for event in trap["events"]:
        a, b = event["docs"]
        j = jaccard(trigrams(a["text"]), trigrams(b["text"]))
        assert j < 0.3, f"{a['id']} / {b['id']}: word 3-gram Jaccard {j:.3f}"


@pytest.mark.parametrize("trap", TRAPS, ids=NAMES)
def test_language_matches(trap, all_docs):
    for event in trap["events"]:
        for d in event["docs"]:
            assert all_docs[d["id"]]["lang"] == trap["lang"], d["id"]


def trap_scores(trap) -> tuple[list[float], list[float]]:
    """Story similarity (term_weights.similarity) of each pair of the trap's documents, run
    through the per-document stages: (same event, different event)."""
    from cleaner.core.config import config_from_dict
    from cleaner.exec.local import process_one
    from cleaner.stages.build import build_stages
    from cleaner.input.read import read_dicts
    from cleaner.dedup.term_weights import TermWeights, doc_terms, similarity

    cfg = config_from_dict()
    stages = build_stages(cfg)
    docs = [stages.sign.process(process_one(d, stages.per_document)[0]) for d in read_dicts(items([trap]))]
    weigh = TermWeights(cfg["story"])
    terms = {d.id: doc_terms(d, weigh) for d in docs}
    event = {d["id"]: e["label"] for e in trap["events"] for d in e["docs"]}
    same, other = [], []
    for i, a in enumerate(docs):
        for b in docs[i + 1:]:
            (same if event[a.id] == event[b.id] else other).append(similarity(terms[a.id], terms[b.id]))
    return same, other


# Traps whose different events already score below MARGIN x threshold pair by pair. None do
# yet (measured 2026-12-02: up to 0.10-0.38 per trap; retellings 0.29 to 0.83): records keep some apart
# only through the date window and average linkage.
SCORED_APART: set[str] = set()


@pytest.mark.parametrize("trap", traps({n for n in NAMES if n not in SCORED_APART}))
def test_different_events_score_well_below_the_threshold(trap):
    from cleaner.core.config import config_from_dict

    threshold = config_from_dict()["story"]["threshold"]
    same, other = trap_scores(trap)
    assert max(other) < MARGIN * threshold, f"different events score up to {max(other):.3f}"
    assert min(same) >= threshold, f"a retelling pair scores only {min(same):.3f}"
