"""Rule examples are the team's own words, never evaluation data (issue #14): no example
contains, or is contained in, a trafilatura-eval snippet of 25 characters or more
(compared case-insensitively). Skips when ../shared/data is absent (a fresh clone)."""

import json
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "data" / "trafilatura-eval" / "evaldata.json"
MIN_CHARS = 25


def test_no_rule_example_comes_from_trafilatura_eval():
    if not EVAL.exists():
        pytest.skip(f"no {EVAL}")
    snippets = {s.casefold() for entry in json.loads(EVAL.read_text(encoding="utf-8")).values()
                for key in ("with", "without") for s in (entry.get(key) or []) if len(s) >= MIN_CHARS}
    found = []
    for path in sorted((ROOT / "configs" / "rules").glob("*.toml")):
        for rule in tomllib.loads(path.read_text(encoding="utf-8")).get("rule", []):
            for kind in ("match", "no_match"):
                for example in rule.get("examples", {}).get(kind, []):
                    e = example.casefold()
                    if any(s in e or (len(e) >= MIN_CHARS and e in s) for s in snippets):
                        found.append(f"{path.name} {rule['id']} {kind}: {example!r}")
    assert not found, "rule examples taken from evaluation data:\n" + "\n".join(found)
