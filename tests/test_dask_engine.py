"""`--engine dask` (#17 points 1, 2, 5): the per-document stages on a Dask LocalCluster
(worker processes on loopback), with output byte-identical to the local engine."""

import json
import subprocess
import sys

import pytest

from conftest import RAW
from hostile_folder import EN, build_hostile

pytest.importorskip("distributed", reason="the dask extra (pip install 'cleaner[dask]'); CI installs it")

OUTPUTS = ("documents.jsonl", "records.jsonl")


def run_cli(*args, cwd=None, stdin: str = "", env=None):
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, timeout=600, cwd=cwd,
                          input=stdin.encode(), env=env)


@pytest.mark.parametrize("corpus", ["raw", "hostile"])
def test_dask_output_is_byte_identical_to_local(tmp_path, corpus):
    if corpus == "raw":
        source = RAW
    else:
        source = tmp_path / "hostile" / "in"
        source.mkdir(parents=True)
        build_hostile(source)
    local = run_cli("run", str(source), "--out", str(tmp_path / "local"), "--workers", "2", "-q")
    dask = run_cli("run", str(source), "--out", str(tmp_path / "dask"), "--engine", "dask", "--workers", "2")
    assert local.returncode == 0 and dask.returncode == 0, dask.stderr
    for name in OUTPUTS:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert b"Traceback" not in dask.stderr
    # hostile's 10 MB one-line file made Dask warn of a "large graph" in six lines (-q too)
    assert b"Warning" not in dask.stderr, dask.stderr


def test_dask_streams_and_states_give_the_same_rows(tmp_path):
    lines = "\n".join(json.dumps({"id": f"d{i}", "text": f"{EN} Item {i}."}) for i in range(40)) + "\n{broken\n"
    local = run_cli("run", "-", "--out", "-", "--state", str(tmp_path / "a.db"), "--batch-size", "16", "-q",
                    stdin=lines, cwd=tmp_path)
    dask = run_cli("run", "-", "--out", "-", "--state", str(tmp_path / "b.db"), "--batch-size", "16", "-q",
                   "--engine", "dask", "--workers", "2", stdin=lines, cwd=tmp_path)
    assert local.returncode == 0 and dask.returncode == 0, dask.stderr
    assert dask.stdout == local.stdout and len(local.stdout.splitlines()) == 41


def test_engine_errors_are_one_line(tmp_path):
    proc = run_cli("run", str(RAW), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9")
    assert proc.returncode == 2 and b"--scheduler needs --engine dask" in proc.stderr
    proc = run_cli("run", str(RAW), "--out", str(tmp_path / "o"), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9")
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and "cannot reach the Dask scheduler" in err and len(err.splitlines()) == 1
    # Without Dask installed: a stand-in `distributed` that fails to import, as a missing one would.
    fake = tmp_path / "nodask"
    fake.mkdir()
    (fake / "distributed.py").write_text("raise ImportError('No module named distributed')\n")
    import os

    env = dict(os.environ, PYTHONPATH=f"{fake}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    proc = run_cli("run", str(RAW), "--out", str(tmp_path / "o"), "--engine", "dask", env=env)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and "pip install 'cleaner[dask]'" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def _workers_of(pid: int) -> list[int]:
    """Dask worker processes a run started: its children forked by multiprocessing (the
    run's own command line: exec/dask_engine.OWN_CLUSTER), or spawned (a restarted worker)."""
    import os

    with open(f"/proc/{pid}/cmdline", "rb") as fh:
        own = fh.read()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and (b"spawn_main" in cmd or cmd == own):
            found.append(int(entry))
    return found


def test_a_killed_worker_changes_nothing(tmp_path):
    """SIGKILL one of the two workers mid-run: Dask runs its tasks again on a worker,
    and the output is still byte-identical to the local engine's."""
    import os
    import signal
    import time

    corpus = tmp_path / "feed.jsonl"
    words = EN.split()
    with corpus.open("w", encoding="utf-8") as fh:
        for i in range(600):
            text = " ".join(words[i % 7:] + words[:i % 7]) + f" Council item {i}, ward {i % 13}."
            fh.write(json.dumps({"id": f"n{i:04d}", "text": text}) + "\n")
    local = run_cli("run", str(corpus), "--out", str(tmp_path / "local"), "--workers", "2", "-q")
    assert local.returncode == 0, local.stderr
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", str(corpus), "--out", str(tmp_path / "dask"),
                             "--engine", "dask", "--workers", "2", "-q"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    killed = None
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        workers = _workers_of(proc.pid)
        # Once workers write processed documents into the checkpoint, kill one of them.
        started = [p for p in (tmp_path / "dask").rglob("*.spool") if p.stat().st_size]
        if len(workers) == 2 and started:
            os.kill(workers[0], signal.SIGKILL)
            killed = workers[0]
        time.sleep(0.05)
    _, err = proc.communicate(timeout=600)
    assert killed is not None, "the run ended before a worker could be killed"
    assert proc.returncode == 0, err
    for name in OUTPUTS:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


def test_dask_workers_read_a_url_input_themselves(tmp_path):
    """INPUT as a file:// URL: the workers read the files; same bytes as the local run."""
    local = run_cli("run", str(RAW), "--out", str(tmp_path / "local"), "-q")
    dask = run_cli("run", RAW.as_uri(), "--out", str(tmp_path / "dask"), "--engine", "dask", "--workers", "2", "-q")
    assert local.returncode == 0 and dask.returncode == 0, dask.stderr
    for name in OUTPUTS:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


@pytest.fixture(scope="module")
def raw_local(tmp_path_factory):
    """raw/ through the local engine, once for the worker-count tests."""
    out = tmp_path_factory.mktemp("raw-local") / "out"
    proc = run_cli("run", str(RAW), "--out", str(out), "--workers", "2", "-q")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("workers", [1, 3])
def test_dask_output_does_not_depend_on_the_worker_count(tmp_path, raw_local, workers):
    """#17 point 2: 1 and 3 Dask workers give local's bytes too (2 are tested above)."""
    dask = run_cli("run", str(RAW), "--out", str(tmp_path / "dask"), "--engine", "dask",
                   "--workers", str(workers), "-q")
    assert dask.returncode == 0, dask.stderr
    for name in OUTPUTS:
        assert (tmp_path / "dask" / name).read_bytes() == (raw_local / name).read_bytes(), name


def _feed(path, n: int):
    """n distinct articles (raw/'s texts, each with its own last line) as one JSONL feed."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(RAW.rglob("*.txt"))]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = texts[i % len(texts)] + f"\n\nUpdate {i}: the desk added note number {i * 7919 % 10007}."
            fh.write(json.dumps({"id": f"a{i}", "text": text}, ensure_ascii=False) + "\n")
    return path


def test_dask_resume_continues_from_what_finished(tmp_path):
    """#17 point 4: the client killed (SIGKILL) mid-run; `--resume --engine dask` takes
    what the workers had checkpointed, processes the rest, and gives local's bytes."""
    import os
    import signal
    import time

    inp = _feed(tmp_path / "feed.jsonl", 1200)
    local = run_cli("run", str(inp), "--out", str(tmp_path / "local"), "--workers", "2", "-q")
    assert local.returncode == 0, local.stderr
    out = tmp_path / "dask"
    args = [sys.executable, "-m", "cleaner", "run", str(inp), "--out", str(out), "--engine", "dask", "--workers", "2"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    spool, workers = out / ".cleaner-partial", []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _workers_of(proc.pid) or workers
        if sum(p.stat().st_size for p in spool.glob("*.spool")) >= 400_000:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed; use a larger feed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Dask's worker processes end with their parent; any still alive after a while are ours to stop.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") for pid in workers):
        time.sleep(0.1)
    for pid in workers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not (out / "documents.jsonl").exists()

    result = run_cli("run", str(inp), "--out", str(out), "--engine", "dask", "--workers", "2", "--resume")
    err = result.stderr.decode()
    assert result.returncode == 0, err
    resumed = int(err.split(" resumed)")[0].rsplit(" ", 1)[1])
    assert 20 < resumed < 1200, err
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert not spool.exists()  # a finished run removes its checkpoint


FEED_STORIES = [EN] + [
    "Fire crews from three towns fought a blaze at the timber yard by the river until the early hours of Sunday.",
    "The regional rail operator will run fewer trains on the coast line during repairs to the old viaduct in May.",
    "A new bridge for cyclists and walkers across the canal opened on Friday, two years later than first planned.",
    "Farmers in the northern valley expect a poor harvest after the driest spring recorded at the weather station.",
    "The museum of local history reopened its doors after a roof leak had damaged part of the glass collection.",
    "Teachers at the secondary schools of the district voted to strike next week over pay and the size of classes.",
]


def footer_feed(path, n: int, prefix: str = "t"):
    """n documents, near copies of seven stories (rotations of a story's sentence, each with
    its own item line), under two footers the source repeats: 4 in 5 documents print one,
    1 in 3 the other (long enough to flag a short story instead of being removed), each
    under every story. Work for both cluster jobs: band keys many documents share, template
    lines to decide and apply."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            words = FEED_STORIES[i % len(FEED_STORIES)].split()
            text = " ".join(words[i % 9:] + words[:i % 9]) + f" Council item {i}, ward {i % 17}."
            if i % 5:
                text += "\nRead the evening digest from the Harbour Gazette every weekday"
            if i % 3 == 0:
                text += "\nSubscribe to our newsletter for more local council coverage and planning news"
            fh.write(json.dumps({"id": f"{prefix}{i:03d}", "text": text}) + "\n")
    return path


def test_dask_templates_are_decided_on_the_cluster(tmp_path):
    """#17 point 3: a feed whose source repeats lines under most stories (two footers, one
    long enough to flag a short story instead of being removed): the statistics merged on
    the workers decide the same template lines, with local's bytes."""
    footer_feed(tmp_path / "feed.jsonl", 300)
    local = run_cli("run", str(tmp_path / "feed.jsonl"), "--out", str(tmp_path / "local"), "--workers", "2", "-q")
    dask = run_cli("run", str(tmp_path / "feed.jsonl"), "--out", str(tmp_path / "dask"), "--engine", "dask",
                   "--workers", "2", "-q")
    assert local.returncode == 0 and dask.returncode == 0, dask.stderr
    assert b"template.repeated-line" in (tmp_path / "local" / "documents.jsonl").read_bytes()
    for name in OUTPUTS:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
