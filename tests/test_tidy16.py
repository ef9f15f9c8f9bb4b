"""Session 16 clean-ups (tidy-16): what each must keep as it was."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from cleaner.inspect import explain as explain_module
from cleaner.inspect.runs import RunError
from cleaner.store.outdir import MANIFEST

UNUSABLE = "the run's manifest has settings this cleaner cannot use: "


def _run(config):
    return SimpleNamespace(manifest={"config": config}, dir=Path("/runs/r1"))


def test_a_bad_setting_names_the_manifest_file_and_key():
    with pytest.raises(RunError) as caught:
        explain_module._settings(_run({"near": {"threshold": "high"}}))
    assert str(caught.value) == (f"{UNUSABLE}{Path('/runs/r1') / MANIFEST}: config.near.threshold: "
                                 'must be a number, got a string "high"')


def test_a_failure_no_check_foresaw_names_the_manifest_file(monkeypatch):
    def fails(_):
        raise ValueError("no such thing")

    monkeypatch.setattr(explain_module, "config_from_dict", fails)
    with pytest.raises(RunError) as caught:
        explain_module._settings(_run({}))
    assert str(caught.value) == f"{UNUSABLE}{Path('/runs/r1') / MANIFEST}: no such thing"


def test_a_manifest_without_settings_takes_the_defaults():
    assert explain_module._settings(_run(None)) == explain_module._settings(_run({}))


# --- is_number: a date term is not a number term --------------------------------------------

def test_a_date_or_weekday_term_is_not_a_number_term():
    from cleaner.dedup.terms import is_number

    assert is_number("2025") and is_number("0340") and is_number("ie6")
    assert not is_number("@12-20")  # a date: its weight is story.date_weight, never a number's rarity
    assert not is_number("@w3")
    assert not is_number("odesa")


def test_date_terms_are_not_looked_up_as_number_shapes():
    from cleaner.core.config import config_from_dict
    from cleaner.core.document import Document
    from cleaner.dedup.term_weights import TermWeights
    from cleaner.stages.sign import Sign

    cfg = config_from_dict()
    sign = Sign.from_config(cfg)
    doc = sign.process(Document(id="d1", source="<test>", lang="en", date="2025-12-22",
                                text="Odesa, 20 December - The port of Odesa opened on Saturday, 12 piers."))
    terms = set(doc.features.terms) if doc.features is not None else set()
    assert {"@12-20", "12"} <= terms
    weigh = TermWeights(cfg["story"]).look_up([doc])
    assert "12" in weigh._numbers
    assert not [t for t in weigh._numbers if t.startswith("@")]


# --- Clusterer._near: its two orders of the same checks choose the same group ----------------

def test_near_chooses_the_same_group_estimate_first_or_shingles_first():
    import random

    from cleaner.core.config import config_from_dict
    from cleaner.core.document import Document
    from cleaner.dedup.cluster import Clusterer
    from cleaner.stages.sign import Sign

    cfg = config_from_dict()
    sign = Sign.from_config(cfg)
    rng = random.Random(16)
    vocab = [f"w{k}" for k in range(400)]
    bases = [[rng.choice(vocab) for _ in range(120)] for _ in range(4)]
    docs = []
    for k in range(160):
        words = list(rng.choice(bases))
        for _ in range(rng.choice([0, 2, 5, 10, 20, 40])):
            words[rng.randrange(len(words))] = rng.choice(vocab)
        docs.append(sign.process(Document(id=f"d{k}", source="<test>", lang="en", text=" ".join(words))))
    seen = []
    for shingles_first in (False, True):
        clusterer = Clusterer(cfg)
        clusterer.shingles_first = shingles_first
        joined = [clusterer.add(d) for d in docs]
        members = [[(m.doc.id, m.relation, m.similarity, m.estimated, m.reason) for m in r.members] for r in clusterer.records]
        seen.append((joined, members))
    assert seen[0] == seen[1]
    joined, members = seen[0]
    assert len(members) < len(docs) and any(m[1] == "near" for r in members for m in r)  # near copies were found
