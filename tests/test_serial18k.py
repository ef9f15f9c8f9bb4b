"""serial-18k: less of a run's serial part in the main process (issue #18 points 1, 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Runs `cleaner run` in a child whose executor's map notes, when it starts and when its
# first result is handed on, whether clustering's module has been imported.
_CHILD = textwrap.dedent("""
    import json, runpy, sys
    import cleaner.exec.local as local
    seen = {}
    real = local.LocalExecutor.map
    def noted(self, *a, **k):
        seen["at map"] = "cleaner.dedup.cluster" in sys.modules
        for n, item in enumerate(real(self, *a, **k)):
            yield item
            if n == 1:  # the flow took the first result and asked for the second
                seen["after the first result"] = "cleaner.dedup.cluster" in sys.modules
    local.LocalExecutor.map = noted
    sys.argv = ["cleaner"] + sys.argv[2:]
    try:
        runpy.run_module("cleaner", run_name="__main__", alter_sys=True)
    finally:
        with open(NOTE, "w") as fh:
            json.dump(seen, fh)
""")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(folder))
    return folder


def _jsonl(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            text = "\n".join(f"Sentence {j} of story {i % 5} tells of the harbour at Nordby and its ferry {j}."
                             for j in range(8))
            fh.write(json.dumps({"id": f"d{i}", "text": text, "title": f"Story {i % 5}"}) + "\n")
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_clustering_is_imported_while_the_workers_run_not_before(tmp_path, workers):
    """dedup/cluster.py (stories, term_weights, regex) was imported with exec/flow.py, in the
    run's serial start; it is imported after the executor's first result now."""
    note = tmp_path / "note.json"
    child = tmp_path / "child.py"
    child.write_text(f"NOTE = {str(note)!r}\n" + _CHILD)
    data = _jsonl(tmp_path / "in.jsonl", 40)
    env = dict(os.environ, PYTHONPATH=str(ROOT), CLEANER_CACHE_DIR=str(tmp_path / "cache"))
    subprocess.run([sys.executable, str(child), "x", "run", str(data), "--out", str(tmp_path / "out"), "-q",
                    "--workers", workers], env=env, check=True, timeout=300)
    seen = json.loads(note.read_text())
    assert seen == {"at map": False, "after the first result": True}
    assert sum(1 for _ in open(tmp_path / "out" / "documents.jsonl")) == 40


def test_two_installations_keep_their_own_tables(cache, monkeypatch):
    """One file a table for every installation made two checkouts (or virtualenvs) used in
    turn overwrite it on each run, each deriving the table again; each has its own now."""
    import cleaner.core.table_cache as table_cache

    monkeypatch.setattr(table_cache, "_install", lambda: "aaaa")
    table_cache.write_table("t", "stamp a", {}, [b"from a"])
    monkeypatch.setattr(table_cache, "_install", lambda: "bbbb")
    assert table_cache.read_table("t", "stamp a") is None  # not this installation's
    table_cache.write_table("t", "stamp b", {}, [b"from b"])
    got = table_cache.read_table("t", "stamp b")
    assert got is not None and bytes(got[1]) == b"from b"
    monkeypatch.setattr(table_cache, "_install", lambda: "aaaa")
    got = table_cache.read_table("t", "stamp a")
    assert got is not None and bytes(got[1]) == b"from a"


def test_another_installations_old_table_is_swept(cache, monkeypatch):
    import cleaner.core.table_cache as table_cache

    cache.mkdir()
    old, recent, before = cache / "t-v1-000000.table", cache / "t-v1-111111.table", cache / "t-v1.table"
    other_table = cache / "u-v1-000000.table"
    for path in (old, recent, before, other_table):
        path.write_bytes(b"x")
    past = old.stat().st_mtime - (table_cache.OTHER_INSTALL_DAYS + 1) * 86400
    for path in (old, before, other_table):
        os.utime(path, (past, past))
    table_cache.write_table("t", "s", {}, [b"mine"])
    assert not old.exists() and not before.exists()
    assert recent.exists() and other_table.exists()  # in use elsewhere; another table's
    assert table_cache.cache_path("t").exists()


def test_install_is_stable_and_names_the_package_folder():
    import cleaner.core.table_cache as table_cache

    assert table_cache._install() == table_cache._install()
    assert table_cache.cache_path("t").name.startswith("t-v1-")
