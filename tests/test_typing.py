"""The package is clean under `mypy --strict` (issue #19): CI runs this with the test extra,
which installs mypy. The configuration is pyproject.toml's [tool.mypy]."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_strict_finds_nothing(tmp_path):
    pytest.importorskip("mypy")
    # The cache goes to a temporary folder: a test run leaves nothing in the checkout.
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
                           "cleaner"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Success: no issues found" in proc.stdout
