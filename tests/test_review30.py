"""review-30: the known defects session 29 left (a state name over 255 bytes, report.html's
forked child hanging or killed, a Dask worker redone silently, `show STATE` suggesting no
document id, Dask's scratch folder), and new-user attacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LONG = "a" * 300  # a name over the file system's 255 bytes


def run_cli(*args, cwd=None, stdin=None, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, text=True, cwd=cwd,
                          input=stdin, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


# ---- 1. a state name over 255 bytes: the state's own error, wherever it is opened ----

def test_state_name_too_long_is_a_state_error(tmp_path):
    from cleaner.store.state import State, StateError

    for writer in (True, False):
        with pytest.raises(StateError) as exc:
            State(tmp_path / LONG, writer=writer)
        assert "state" in str(exc.value) and "a name in it is too long" in str(exc.value)
        assert "File name too long" in str(exc.value) and "\n" not in str(exc.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [("run", "{feed}", "--out", "-", "--state", LONG),
                                  ("run", "{feed}", "--out", "{out}", "--state", LONG),
                                  ("state", "info", LONG), ("state", "copy", LONG, "{db}")])
def test_state_name_too_long_says_the_same_in_the_cli(tmp_path, args):
    """`--state LONG` said "cannot open --state LONG: File name too long", `state info LONG`
    "cannot open state LONG: ...", `show LONG` "cannot use LONG: a name in it is too long
    (... 255 bytes a name)": now every state the same, the clearest."""
    feed = tmp_path / "in.jsonl"
    feed.write_text(json.dumps({"id": "a", "text": "Some words of a story."}) + "\n")
    names = {"feed": str(feed), "out": str(tmp_path / "out"), "db": str(tmp_path / "b.db")}
    done = run_cli(*(a.format(**names) for a in args), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr[-500:]
    assert f"cannot use state {LONG}: a name in it is too long" in done.stderr, done.stderr[-400:]
    assert "255 bytes" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


# ---- 2. report.html's forked child (store/output._Aside) stopped, hung or killed mid-write ----

def _child_writes(tmp_path: Path, trouble: str):
    """The aside's files: in the forked child alone, `trouble` comes after file "b" and half
    of "c" are written; the parent, writing them again itself, meets none."""
    import signal
    import time

    parent = os.getpid()

    def pages(name: str):
        yield name + "-1"
        if os.getpid() != parent:
            (tmp_path / "child-was-here").write_text(trouble)
            if trouble == "stop":
                os.kill(os.getpid(), signal.SIGSTOP)
            elif trouble == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif trouble == "sleep":
                time.sleep(3600)
        yield name + "-2"

    return lambda: [(tmp_path / "b", ["b"]), (tmp_path / "c", pages("c"))]


@pytest.mark.parametrize("trouble", ["stop", "kill", "sleep"])
def test_a_stopped_hung_or_killed_report_child_is_no_stall_and_loses_nothing(tmp_path, monkeypatch, trouble):
    """A child SIGSTOPped (or hung: no message, no CPU) left the main process reading its pipe
    for ever; one killed mid-write was redone here already. Now each is killed and its files
    written by the main process, whole; no temporary file left, no child left."""
    import signal
    import time

    from cleaner.store import output

    monkeypatch.setattr(output.threading, "active_count", lambda: 1)  # fork, as a run alone does
    monkeypatch.setattr(output, "_STOPPED_FOR", 0.5, raising=False)
    monkeypatch.setattr(output, "_QUIET_FOR", 3.0, raising=False)
    children = []
    real_start = output._Aside.start.__func__

    def start(cls, files):
        side = real_start(cls, files)
        children.append(side.pid)
        return side

    monkeypatch.setattr(output._Aside, "start", classmethod(start))
    def stalled(*_):
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        raise TimeoutError("the main process waited on its child for 40 s")

    began = time.monotonic()
    before = signal.signal(signal.SIGALRM, stalled)
    signal.alarm(40)
    try:
        output.atomic_writes([(tmp_path / "a", ["a"])], aside=_child_writes(tmp_path, trouble),
                             then=[(tmp_path / "d", ["d"])])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)
    assert time.monotonic() - began < 30
    assert (tmp_path / "child-was-here").read_text() == trouble and children
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "a": "a", "b": "b", "c": "c-1c-2", "d": "d", "child-was-here": trouble}
    with pytest.raises(ChildProcessError):  # reaped
        os.waitpid(children[0], os.WNOHANG)


# ---- 3. a Dask worker that dies: one line on stderr ----

def test_a_dask_worker_that_dies_is_said_in_one_line(monkeypatch):
    """Dask runs a dead worker's tasks again and said nothing: a run 2.5x as long, unexplained."""
    import logging
    import signal
    import time

    pytest.importorskip("distributed")
    from cleaner.exec.dask_engine import DaskExecutor

    said: list[str] = []

    class Said(logging.Handler):
        def emit(self, record):
            said.append(record.getMessage())

    log = logging.getLogger("cleaner")  # an earlier in-process main() set its handler, level, propagate
    monkeypatch.setattr(log, "handlers", [Said()])
    monkeypatch.setattr(log, "level", logging.WARNING)
    executor = DaskExecutor(2)
    try:
        with executor.reaching():
            pass
        assert said == []
        with executor.reaching():
            pids = executor.client.run(os.getpid)
            os.kill(next(iter(pids.values())), signal.SIGKILL)
            for _ in range(600):  # the scheduler sees it go (slower under load)
                time.sleep(0.1)
                if pids.keys() - executor.client.scheduler_info()["workers"].keys():
                    break
        assert len(said) == 1 and "a Dask worker was lost during the run (tcp://" in said[0], said
        assert "output is the same" in said[0] and "\n" not in said[0]
    finally:
        executor.close()


# ---- 4. `show` with a document id cut short: the ids it may mean, in a folder and a state alike ----

@pytest.fixture(scope="module")
def shown_both(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("show")
    feed = tmp / "in.jsonl"
    feed.write_text("".join(json.dumps({"id": f"base-{i:06d}", "text": f"Story {i}: the council voted on bridge "
                                        f"number {i} of the town, {i * 7} votes to {i * 3}."}) + "\n"
                            for i in range(12)))
    assert run_cli("run", str(feed), "--out", str(tmp / "out"), "-q").returncode == 0
    assert run_cli("run", str(feed), "--out", "-", "--state", str(tmp / "s.db"), "-q").returncode == 0
    return tmp


@pytest.mark.parametrize("where", ["out", "s.db"])
def test_show_suggests_the_ids_a_short_id_begins(shown_both, where):
    """`show STATE base-00000` (a document id one character short) suggested nothing; now a
    folder's `show` and a state's both name the ids it begins, as they did a record id's."""
    done = run_cli("show", str(shown_both / where), "base-00000")
    assert done.returncode != 0 and done.stderr.count("\n") == 1, done.stderr
    assert "did you mean 'base-000000', 'base-000001', 'base-000002', ... (10 ids)?" in done.stderr, done.stderr
    done = run_cli("show", str(shown_both / where), "base-000011")  # the whole id: no guess
    assert done.returncode == 0 and "did you mean" not in done.stderr


# ---- part 2: a Ctrl-C while the `cleaner` command's modules load ----

def test_ctrl_c_while_the_console_script_loads_is_one_line(tmp_path):
    """The `cleaner` command pip makes (`from cleaner.cli import main; sys.exit(main())`):
    a Ctrl-C in its first ~0.7 s, while cleaner.cli's modules load, printed a traceback
    (`python3 -m cleaner` said one line already). The script's entry point now loads them
    under the same guard as `python3 -m cleaner`."""
    import tomllib

    entry = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["cleaner"]
    module, function = entry.split(":")
    # What pip's wrapper does, with the Ctrl-C arriving while cleaner.cli is imported.
    script = f"""
import sys
class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "cleaner.cli":
            raise KeyboardInterrupt
sys.meta_path.insert(0, CtrlC())
from {module} import {function}
sys.exit({function}())
"""
    done = subprocess.run([sys.executable, "-c", script, "run", "x", "--out", "y"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 130 and done.stderr == "cleaner: interrupted\n", done.stderr[-600:]
    assert list(tmp_path.iterdir()) == []


# ---- part 2: --out a mount point (a container's volume), or in a folder that cannot be written ----

@pytest.fixture
def mounted(tmp_path):
    """A tmpfs mounted at tmp_path/vol (root only: skipped elsewhere); unmounted after."""
    vol = tmp_path / "vol"
    vol.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(vol)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield vol
    finally:
        subprocess.run(["umount", "-l", str(vol)], capture_output=True)


def _feed(tmp_path):
    feed = tmp_path / "in.jsonl"
    feed.write_text("".join(json.dumps({"id": f"n{i}", "text": f"Story {i} about the vote on bridge {i}."}) + "\n"
                            for i in range(5)))
    return feed


def test_out_a_mount_point_is_refused_before_the_run(tmp_path, mounted):
    """`--out /out` where /out is a volume (`docker run -v $PWD/clean:/out`): the run did all
    its work, then failed to swap the new folder in ("Device or resource busy ... --resume
    continues once it is fixed", which it never is). Now refused at once, saying what to do."""
    done = run_cli("run", str(_feed(tmp_path)), "--out", str(mounted), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "is a mount point" in done.stderr and f"{mounted}/" in done.stderr, done.stderr
    assert os.listdir(mounted) == []
    done = run_cli("run", str(_feed(tmp_path)), "--out", str(mounted / "clean"), "-q", cwd=tmp_path)
    assert done.returncode == 0 and (mounted / "clean" / "manifest.json").is_file(), done.stderr


def test_out_in_a_folder_that_cannot_be_written_is_refused_before_the_run(tmp_path, mounted):
    """OUT writable, its parent not (a read-only file system here; as a user, a folder of
    another's): the run's new folder is made beside OUT and swapped in, so it failed at the
    end, naming OUT. Now refused at once, naming the parent."""
    (mounted / "out").mkdir()
    assert subprocess.run(["mount", "-o", "remount,ro", str(mounted)]).returncode == 0
    inner = mounted / "out"
    assert subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(inner)]).returncode == 0
    try:
        done = run_cli("run", str(_feed(tmp_path)), "--out", str(inner), cwd=tmp_path)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "mount point" in done.stderr and os.listdir(inner) == [], done.stderr
        subprocess.run(["umount", str(inner)], check=True)
        done = run_cli("run", str(_feed(tmp_path)), "--out", str(mounted / "out"), cwd=tmp_path)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert f"{mounted}, which cannot be written" in done.stderr and "Read-only" in done.stderr, done.stderr
    finally:
        subprocess.run(["umount", "-l", str(inner)], capture_output=True)


# ---- part 2: a summary listing the first 20 rejections says how many more there are ----

@pytest.mark.parametrize("stream", [False, True])
def test_the_summary_says_how_many_rejections_it_does_not_list(tmp_path, stream):
    """20,000 empty files: the summary listed 20 rejections and stopped, as if they were all."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(25):
        (folder / f"e{i:02d}.txt").write_text("")
    if stream:
        done = run_cli("run", "-", "--out", "-", stdin="{}\n" * 25, cwd=tmp_path)
    else:
        done = run_cli("run", str(folder), "--out", str(tmp_path / "out"), cwd=tmp_path)
    lines = [line for line in done.stderr.splitlines() if line.startswith("  ")]
    assert done.returncode == 0 and len(lines) == 21, done.stderr
    assert lines[-1] == "  ... and 5 more rejected (each a row with its reason)", done.stderr
    few = run_cli("run", "-", "--out", "-", stdin="{}\n" * 20, cwd=tmp_path)
    assert "more rejected" not in few.stderr


# ---- 5. --engine dask's scratch folder: in TMPDIR, never in the user's folders ----

def test_dask_scratch_space_is_left_in_tmpdir_alone(tmp_path):
    """Dask makes `dask-scratch-space/` in its temporary-directory, else tempfile's folder
    (TMPDIR): not the current folder nor --out. Its per-process folders go when the cluster
    closes; the folder and its two empty lock files stay (Dask's, shared by every cluster)."""
    pytest.importorskip("distributed")
    work, tmp = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    tmp.mkdir()
    feed = _feed(work)
    done = run_cli("run", str(feed), "--out", str(work / "out"), "--engine", "dask", "-q", cwd=work,
                   env={"TMPDIR": str(tmp)})
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in work.iterdir()) == ["in.jsonl", "out"]
    assert sorted(p.name for p in (work / "out").iterdir()) == [
        "documents.jsonl", "manifest.json", "records.jsonl", "report-pages", "report.html"]
    assert sorted(p.name for p in tmp.rglob("*")) == ["dask-scratch-space", "global.lock", "purge.lock"]


# ---- part 2: an fsspec URL with a pattern ----

def test_a_url_pattern_says_it_is_not_expanded(tmp_path):
    """`cleaner run 'file:///data/*.txt'` said "does not exist", though the pattern matches files."""
    pytest.importorskip("fsspec")
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Some words of a story about a vote.")
    done = run_cli("run", f"file://{tmp_path}/*.txt", "--out", "-", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "a pattern is not expanded: it matches 2 file(s) here; give the folder" in done.stderr, done.stderr
    done = run_cli("run", f"file://{tmp_path}/*.gz", "--out", "-", cwd=tmp_path)  # matches nothing
    assert done.returncode == 2 and done.stderr.strip().endswith("*.gz does not exist"), done.stderr


# ---- part 2: a folder's stream into a state inside that folder ----

def test_a_folder_stream_never_reads_its_own_state(tmp_path):
    """`cleaner run FOLDER --out - --state FOLDER/s.db` read the state, its journal, its
    shared memory file and its lock as inputs (4 rejected rows, every batch), where a folder
    run (`--out DIR`) leaves them out, as it does cleaner's cache folder."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"a{i}.txt").write_text(f"Story {i} about the council vote on bridge number {i} in the town.")
    for _ in range(2):  # the second run meets the files the first left
        done = run_cli("run", str(folder), "--out", "-", "--state", str(folder / "s.db"), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        rows = [json.loads(line) for line in done.stdout.splitlines()]
        assert sorted(r["id"] for r in rows) == ["a0", "a1", "a2"], [(r["id"], r["error"]) for r in rows]
        assert "0 rejected" in done.stderr and "s.db" not in done.stderr.split("->")[0], done.stderr


@pytest.mark.parametrize("how", ["out", "state"])
def test_a_file_url_input_never_reads_the_runs_own_output_or_state(tmp_path, how):
    """`cleaner run file:///IN --out IN/clean`, run again: the previous run's documents.jsonl,
    records.jsonl, manifest and report pages were read as input (21 inputs became 59, and a
    15th record); a state inside IN was read as 4 rejected files. A local folder's walk left
    them out (input/walk.list_inputs' exclude); a file:// URL's listing now does too."""
    pytest.importorskip("fsspec")
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"a{i}.txt").write_text(f"Story {i} about the council vote on bridge number {i} in the town.")
    url = f"file://{folder}"
    args = ["--out", str(folder / "clean")] if how == "out" else ["--out", "-", "--state", str(folder / "s.db")]
    for _ in range(2):  # the second run meets what the first wrote
        done = run_cli("run", url, *args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "3 inputs:" in done.stderr and "0 rejected" in done.stderr, done.stderr


def _zipped(tmp_path):
    import zipfile

    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("feeds/f.jsonl", json.dumps({"id": "f1", "text": "A feed line about the hospital strike."}) + "\n")
        z.writestr("notes/a.txt", "A story about the vote on the bridge in the council.")
    return archive


@pytest.mark.parametrize("out", ["-", "folder"])
def test_a_chained_url_reads_its_text_files(tmp_path, out):
    """`zip://::file:///a.zip`: a text file's URL lost its chain (`zip://notes/a.txt`), so its
    worker opened the current folder: a stream said "read failed (internal error, a bug)", a
    folder run ended "cannot write to OUT: Is a directory". JSONL lines were read already."""
    pytest.importorskip("fsspec")
    target = "-" if out == "-" else str(tmp_path / "out")
    done = run_cli("run", f"zip://::file://{_zipped(tmp_path)}", "--out", target, cwd=tmp_path)
    assert done.returncode == 0 and "2 inputs: 2 kept" in done.stderr, done.stderr


def test_a_url_input_gone_since_its_listing_does_not_end_a_checkpointed_run(tmp_path):
    """A URL input's checkpoint key asked fsspec for the file's version (ukey): a file gone
    since the listing raised there, in a folder run's workers, and ended the run ("cannot
    write to OUT: No such file or directory"). Now the key has no version and the read
    stage rejects the file ("cannot read file")."""
    pytest.importorskip("fsspec")
    from cleaner.core.document import Document
    from cleaner.input.urls import url_key

    doc = Document(id="gone", source="gone.txt")
    doc.raw_path = f"file://{tmp_path}/gone.txt"
    assert json.loads(url_key(doc)) == ["gone.txt", doc.raw_path, None]
    (tmp_path / "here.txt").write_text("x")
    doc.raw_path = f"file://{tmp_path}/here.txt"
    assert json.loads(url_key(doc))[2] is not None
