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
