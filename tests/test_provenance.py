"""core/provenance.py: what results depend on besides input and settings (lead, session 23)."""

import subprocess
import sys
import unicodedata
from pathlib import Path

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


def test_an_editors_swap_file_is_not_the_package(tmp_path):
    """review-23: every file under cleaner/ was hashed, an editor's swap file included, so
    opening a module in an editor refused a resume and dropped a state's kept terms."""
    import shutil

    import cleaner
    from cleaner.core.provenance import source_hash

    copy = tmp_path / "cleaner"
    shutil.copytree(Path(cleaner.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = source_hash(copy)
    (copy / "dedup" / ".cluster.py.swp").write_bytes(b"b0VIM 9.0")
    (copy / "dedup" / "cluster.py~").write_text("# a backup\n")
    (copy / ".hidden").mkdir()
    (copy / ".hidden" / "x.py").write_text("x = 1\n")
    assert source_hash(copy) == before
    (copy / "dedup" / "new_module.py").write_text("x = 1\n")
    assert source_hash(copy) != before


def test_the_extractors_dependencies_are_named():
    """review-23: an upgraded justext, courlan or dateparser (trafilatura's and htmldate's own
    dependencies: main-text fallback, links, dates) can change documents.jsonl, and a resumed
    checkpoint then mixed two versions' results."""
    from cleaner.core.provenance import PACKAGES, package_versions

    assert {"justext", "courlan", "dateparser", "python-dateutil"} <= set(PACKAGES)
    assert package_versions()["justext"] != "not installed"
