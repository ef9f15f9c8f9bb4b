"""serial-30 (#18 points 2 and 3): the `cleaner` command ends its process without the
interpreter's teardown (cli.command), keeping what that teardown did that anyone could see:
the exit status, atexit handlers, stdout and stderr flushed, threads waited for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _input(tmp_path: Path, n: int = 5, bad: bool = False) -> Path:
    inp = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": f"d{k}", "text": f"Line {k} of a short text.\nAnother line."}) for k in range(n)]
    if bad:
        lines.append("{not json")
    inp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return inp


def _command(tmp_path: Path, before: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`cleaner ARGS` as the installed command runs it (cli.command), after `before`; its
    marks (MARK.atexit, MARK.del, ...) are tmp_path/out.*."""
    code = textwrap.dedent(before) + "\nimport sys\nfrom cleaner.cli import command\nsys.argv = ['cleaner', *sys.argv[1:]]\ncommand()\n"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), CLEANER_CACHE_DIR=str(tmp_path / "cache"),
                                   MARK=str(tmp_path / "out")))


# An object whose finaliser runs only in the interpreter's teardown (held by the sys module,
# which that teardown clears; gc.freeze, cli._before_exit, does not keep it from it); an
# atexit handler; text left in stdout's and stderr's buffers (no newline, stdout a pipe:
# block-buffered).
_WATCH = """
    import atexit, os, sys
    class Watch:
        def __del__(self, open=open, mark=os.environ["MARK"]):  # bound: the teardown clears modules
            open(mark + ".del", "w").close()
    sys.cleaner_test_watch = Watch()
    atexit.register(lambda: open(os.environ["MARK"] + ".atexit", "w").close())
    sys.stdout.write("left in stdout's buffer")
    sys.stderr.write("left in stderr's buffer")
"""


def test_the_command_ends_without_the_teardown_and_keeps_what_it_owes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _command(tmp_path, _WATCH, "run", str(_input(tmp_path)), "--out", str(out), "-q", "--workers", "1",
                    "--config", str(ROOT / "configs" / "default.toml"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "left in stdout's buffer"
    assert "left in stderr's buffer" in proc.stderr
    assert Path(f"{out}.atexit").exists()  # atexit handlers ran
    assert not Path(f"{out}.del").exists()  # the teardown did not (the point of it)
    assert {p.name for p in out.iterdir()} >= {"documents.jsonl", "records.jsonl", "report.html", "manifest.json"}
    assert not (out / ".cleaner-partial").exists()  # the checkpoint removed, as before
    assert len((out / "documents.jsonl").read_text(encoding="utf-8").splitlines()) == 5


def test_the_command_keeps_its_exit_status(tmp_path: Path) -> None:
    # --strict with a rejected input: 1, from inside the run; a usage error: 2.
    out = tmp_path / "out"
    proc = _command(tmp_path, _WATCH, "run", str(_input(tmp_path, bad=True)), "--out", str(out), "-q",
                    "--workers", "2", "--strict", "--bogus")
    assert proc.returncode == 2, proc.stderr  # the extra argument: click's usage error
    proc = _command(tmp_path, _WATCH, "run", str(_input(tmp_path, bad=True)), "--out", str(out), "-q",
                    "--workers", "2", "--strict")
    assert proc.returncode == 1, proc.stderr
    assert (out / "documents.jsonl").exists()
    assert Path(f"{out}.atexit").exists()


def test_a_thread_still_running_gets_the_ordinary_exit(tmp_path: Path) -> None:
    """A thread other than the main one (a library's): the ordinary exit, which waits for
    it, and then the teardown as before."""
    before = _WATCH + """
    import threading, time
    def late():  # alive when the run ends: it waits for the run's outputs, then a second
        while not os.path.exists(os.path.join(os.environ["MARK"], "documents.jsonl")):
            time.sleep(0.05)
        time.sleep(1.0)
        open(os.environ["MARK"] + ".thread", "w").close()
    threading.Thread(target=late).start()
    """
    out = tmp_path / "out"
    proc = _command(tmp_path, before, "run", str(_input(tmp_path)), "--out", str(out), "-q", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert Path(f"{out}.thread").exists()
    assert Path(f"{out}.atexit").exists()
    assert Path(f"{out}.del").exists()  # the ordinary teardown


def test_main_with_argv_keeps_nothing_and_returns(tmp_path: Path) -> None:
    """main(argv) (a caller's process, a test) is as before: it raises SystemExit and
    keeps nothing for an end it does not make."""
    from cleaner import cli

    out = tmp_path / "out"
    try:
        cli.main(["run", str(_input(tmp_path)), "--out", str(out), "-q", "--workers", "1"])
    except SystemExit as exc:
        assert exc.code == 0
    assert cli._KEPT is None
    assert (out / "documents.jsonl").exists()


def test_the_installed_command_and_python_m_are_the_command() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    # The script's entry point loads cli under the Ctrl-C guard (tests/test_review30), then runs
    # cli.command, as python -m cleaner does.
    assert scripts["cleaner"] == "cleaner.__main__:run"
    main_py = (ROOT / "cleaner" / "__main__.py").read_text(encoding="utf-8")
    assert "from .cli import command" in main_py and "command()" in main_py


def _spooled(tmp_path: Path, n: int = 300):
    """Generated near copies processed into a spool: slim copies whose arrays are references."""
    from collections import Counter

    from cleaner.core.config import load_config
    from cleaner.dedup.ids import make_ids_unique
    from cleaner.exec.flow import process_documents
    from cleaner.exec.local import LocalExecutor
    from cleaner.input.read import read_dicts
    from cleaner.stages.build import build_stages
    from cleaner.store.spool import Spool

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    cfg = load_config()
    store = Spool(str(tmp_path))
    items = [{"id": it["id"], "text": it["text"]} for it in generate(n, seed=11)]
    docs, _ = process_documents(read_dicts(items), build_stages(cfg), LocalExecutor(), store, Counter(), Counter())
    make_ids_unique(docs)
    return cfg, store, docs


class _Counting:
    """A store's get_array, counted."""

    def __init__(self, store: object) -> None:
        self.store, self.reads = store, 0

    def get_array(self, ref: int):  # type: ignore[no-untyped-def]
        self.reads += 1
        return self.store.get_array(ref)  # type: ignore[attr-defined]


def test_the_copy_tier_reads_a_canonicals_arrays_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Clusterer keeps the canonicals' MinHashes and shingles it read from a store (up to
    KEPT_BYTES): the same records, from fewer reads."""
    import copy

    from cleaner.core.document import dump
    from cleaner.dedup import cluster as clustering

    cfg, store, docs = _spooled(tmp_path)
    try:
        def records(kept: int) -> tuple[list[str], int]:
            monkeypatch.setattr(clustering, "KEPT_BYTES", kept)
            counting = _Counting(store)
            found = clustering.cluster(copy.deepcopy(docs), cfg, store=counting)  # type: ignore[arg-type]
            return [dump(r.to_json("")) for r in found], counting.reads

        kept = clustering.KEPT_BYTES
        before, reads_before = records(0)  # nothing kept: every read as before
        after, reads_after = records(kept)
        assert sum('"relation": "near"' in r for r in after) > 10  # near copies were compared
        assert after == before
        assert reads_after < reads_before
    finally:
        store.close()


def test_a_new_canonical_of_a_group_is_read_again(tmp_path: Path) -> None:
    """Clusterer.index with a new canonical for a group (a state's promotion) drops what was
    kept of the old one's arrays."""
    import numpy as np

    from cleaner.dedup.cluster import Clusterer, Member, Record

    cfg, store, docs = _spooled(tmp_path, 20)
    try:
        clusterer = Clusterer(cfg, store=store)
        first, second = docs[0], docs[1]
        clusterer.records.append(Record([Member(first, "canonical", 1.0)], key="k"))
        assert np.array_equal(clusterer.canonical_signature(0), store.get_array(first.features.near_mh))
        assert (0, "near_mh") in clusterer._kept
        clusterer.records[0].members.insert(0, Member(second, "canonical", 1.0))
        clusterer.index(0, second, store.get_array(second.features.near_mh))
        assert not clusterer._kept
        assert np.array_equal(clusterer.canonical_signature(0), store.get_array(second.features.near_mh))
        assert np.array_equal(clusterer.canonical_shingles(0), store.get_array(second.features.near))
    finally:
        store.close()


def test_outputs_are_written_through_a_large_buffer(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """_write_temp writes through WRITE_BUFFER (a MiB), not a write a row: the same bytes."""
    from cleaner.store import output

    opened = []
    real = os.fdopen

    def fdopen(fd, mode="r", buffering=-1, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(buffering)
        return real(fd, mode, buffering, **kwargs)

    monkeypatch.setattr(output.os, "fdopen", fdopen)
    rows = [f"row {n} " * 500 + "\n" for n in range(300)]
    output.atomic_write(tmp_path / "rows.jsonl", [r if n % 2 else r.encode() for n, r in enumerate(rows)])
    assert opened == [output.WRITE_BUFFER] and output.WRITE_BUFFER >= 1 << 20
    assert (tmp_path / "rows.jsonl").read_text(encoding="utf-8") == "".join(rows)
