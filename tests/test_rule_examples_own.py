"""Rule examples are the team's own words, never evaluation data (issues #14, #19): no
example (examples.match, examples.no_match, examples.<language>) contains, or is
contained in, a trafilatura-eval snippet or an aeb gold text of 25 characters or more
(compared case-insensitively). Skips when ../shared/data is absent (a fresh clone)."""

import json
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
EVAL = DATA / "trafilatura-eval" / "evaldata.json"
AEB = DATA / "aeb" / "ground-truth.json"
MIN_CHARS = 25


def _examples() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "configs" / "rules").glob("*.toml")):
        for rule in tomllib.loads(path.read_text(encoding="utf-8")).get("rule", []):
            for kind, examples in rule.get("examples", {}).items():
                out += [(f"{path.name} {rule['id']} {kind}", e) for e in examples]
    return out


def _texts() -> list[str]:
    texts = []
    if EVAL.exists():
        texts += [s for entry in json.loads(EVAL.read_text(encoding="utf-8")).values()
                  for key in ("with", "without") for s in (entry.get(key) or [])]
    if AEB.exists():
        texts += [g.get("articleBody") or "" for g in json.loads(AEB.read_text(encoding="utf-8")).values()]
    return texts


def overlaps(examples: list[tuple[str, str]], texts: list[str], n: int = MIN_CHARS) -> list[str]:
    """The examples that contain one of `texts` of `n`+ characters, or are of `n`+
    characters and inside one of them (case-folded)."""
    folded = [t.casefold() for t in texts]
    whole = [t for t in folded if len(t) >= n]
    found = []
    for where, example in examples:
        e = example.casefold()
        if any(t in e for t in whole) or (len(e) >= n and any(e in t for t in folded)):
            found.append(f"{where}: {example!r}")
    return found


def test_overlap_is_found_either_way():
    ex = [("r", "Mehr zum Thema: the harbour reopened on Monday morning")]
    assert overlaps(ex, ["THE HARBOUR REOPENED ON MONDAY MORNING"])
    assert overlaps(ex, ["Officials said: mehr zum thema: the harbour reopened on Monday morning, and more"])
    assert not overlaps(ex, ["the harbour reopened on Sunday morning"])


def test_no_rule_example_comes_from_evaluation_data():
    if not EVAL.exists() and not AEB.exists():
        pytest.skip(f"no {DATA}")
    found = overlaps(_examples(), _texts())
    assert not found, "rule examples taken from evaluation data:\n" + "\n".join(found)
