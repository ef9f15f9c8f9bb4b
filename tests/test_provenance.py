"""core/provenance.py: what results depend on besides input and settings (lead, session 23)."""

import subprocess
import sys
import unicodedata

from cleaner.core.config import load_config
from cleaner.core.provenance import code_fingerprint, run_fingerprint


def test_another_unicode_version_is_another_fingerprint(monkeypatch):
    """Python's Unicode tables decide what a word, a letter and NFKC are: a checkpoint made
    under another Python's tables must not be resumed (its documents' words may differ), and
    a state's kept terms made under them must be dropped (incremental.terms_settings)."""
    from cleaner.dedup.incremental import terms_settings

    cfg = load_config()
    before = (code_fingerprint(), run_fingerprint(cfg), terms_settings(cfg))
    monkeypatch.setattr(unicodedata, "unidata_version", "0.0.1")
    after = (code_fingerprint(), run_fingerprint(cfg), terms_settings(cfg))
    assert all(a != b for a, b in zip(before, after))
    assert "unicode 0.0.1" in after[1]


def test_the_state_path_does_not_import_the_writer():
    """dedup/incremental (the state path: the API's Deduplicator, a stream) reads the code's
    fingerprint without importing store/output (the report's and the writer's modules)."""
    code = ("import sys, cleaner.dedup.incremental\n"
            "print('cleaner.store.output' in sys.modules, 'cleaner.inspect.report' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
