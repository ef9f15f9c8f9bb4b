"""Lead, session 25: small mends found by review-25's attack, each test failing before."""

from __future__ import annotations

import pytest

import cleaner


@pytest.mark.parametrize("wait", ["no", "", 0, 1, None])
def test_deduplicator_wait_must_be_a_bool(tmp_path, wait):
    # wait="no" is truthy: it waited for another writer when the caller meant not to.
    with pytest.raises(TypeError, match="wait must be True or False"):
        cleaner.Deduplicator(state=str(tmp_path / "s.db"), wait=wait)
    assert not (tmp_path / "s.db").exists()  # refused before the state is opened


def test_deduplicator_wait_true_still_opens(tmp_path):
    with cleaner.Deduplicator(state=str(tmp_path / "s.db"), wait=True) as dedup:
        rows = list(dedup.add([{"id": "a", "text": "One line of a short note about the harbour."}]))
    assert [r["status"] for r in rows] == ["kept"]
