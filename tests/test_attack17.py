"""attack-17: a demanding new user of a data pipeline, on surfaces attacks 10-16 covered less
(settings at the edges of their range, the cache folder, gold files, hand-edited runs,
signals). Each test fails without its fix, or is marked xfail (strict) where the fix
belongs to another module's owner (the reason names the module)."""

import json
import shutil
import subprocess
import sys
from collections import namedtuple

import pytest

from cleaner.core.config import ConfigError, config_from_dict, load_config
from cleaner.dedup import term_weights, zipf_cache
from hostile_folder import EN
from test_user_attacks import one_line_error, run_cli

# --- a setting at the edge of its range -----------------------------------------------------


def test_a_story_window_of_more_days_than_dates_can_span_is_a_config_error(tmp_path):
    """`story.window_days = 9223372036854775807` (any span past 2**63 minus a day number)
    passed the checks, then a stream into a state ended in OverflowError's traceback
    ("Python int too large to convert to SQLite INTEGER") at its first batch."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[story]\nwindow_days = 9223372036854775807\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="story.window_days: must be at most 3652058"):
        load_config(cfg)
    with pytest.raises(ConfigError, match="story.window_days"):
        config_from_dict({"story": {"window_days": 2 ** 62}})
    # Every day from 0001-01-01 to 9999-12-31 is a window a state can ask for.
    assert config_from_dict({"story": {"window_days": 3_652_058}})["story"]["window_days"] == 3_652_058
    lines = "".join(json.dumps({"id": f"d{i}", "text": f"{EN} Report {i}.", "date": day}) + "\n"
                    for i, day in enumerate(["0001-01-01", "2025-12-20", "9999-12-31"]))
    one_line_error(run_cli("run", "-", "--out", "-", "--state", str(tmp_path / "s.db"), "--config", str(cfg),
                           "-q", stdin=lines), str(cfg), "story.window_days")
    cfg.write_text("[story]\nwindow_days = 3652058\n", encoding="utf-8")
    proc = run_cli("run", "-", "--out", "-", "--state", str(tmp_path / "s.db"), "--config", str(cfg), "-q",
                   "--batch-size", "1", stdin=lines)
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(proc.stdout.decode().splitlines()) == 3


# --- the cache folder -----------------------------------------------------------------------

Usage = namedtuple("Usage", "total used free")


def test_a_cache_folder_without_room_for_a_list_does_not_build_it_every_run(tmp_path, monkeypatch):
    """A cache folder on a disk with less free space than a list's file (5-20 MB) made every
    run from the second on stream the list into a new SQLite file, sort it and fail at the
    end: 7.2 s against 3.0 s without a cache for raw/ + a feed (7 languages, a 3 MB tmpfs),
    on every run, for as long as the disk stayed full. A build now starts only with room."""
    monkeypatch.setenv(zipf_cache.CACHE_ENV, str(tmp_path / "cache"))
    room = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10 << 20, 10 << 20, 1 << 20))
    builds = []
    real = zipf_cache.tempfile.mkstemp
    monkeypatch.setattr(zipf_cache.tempfile, "mkstemp", lambda *a, **k: builds.append(1) or real(*a, **k))
    words = {"le", "musée", "paris", "zzqxjw"}
    answers = []
    for _ in range(3):  # the first use leaves the marker; later ones would build
        monkeypatch.setattr(term_weights, "_ZIPF_SEEN", {})
        answers.append(term_weights.zipf_of(set(words), "fr"))
    assert builds == []
    assert answers[0] == answers[1] == answers[2] and answers[0]["paris"] > 4
    assert not zipf_cache.cache_file(term_weights._languages()["fr"]).exists()
    # With room, the second use builds the file, as before.
    monkeypatch.setattr(shutil, "disk_usage", room)
    monkeypatch.setattr(term_weights, "_ZIPF_SEEN", {})
    assert term_weights.zipf_of(set(words), "fr") == answers[0]
    assert builds == [1] and zipf_cache.cache_file(term_weights._languages()["fr"]).is_file()


# --- hand-edited files named in JSON's words --------------------------------------------------


def test_a_hand_edited_gold_or_run_names_a_wrong_value_by_its_json_type(tmp_path):
    """A gold line `{"id": "a", "label": null}` said "got NoneType", `true` "got bool", and a
    documents.jsonl row edited to `"status": null` "has 'status' of type NoneType": Python's
    names for what the user wrote in JSON."""
    from cleaner.inspect.evaluate import EvalError, load_gold
    from cleaner.inspect.runs import Run, RunError

    gold = tmp_path / "g.jsonl"
    for value, said in (("null", "got null"), ("true", "got boolean true"), ("[1]", "got array"),
                        ("1.5", "got number 1.5")):
        gold.write_text('{"id": "a", "label": %s}\n' % value, encoding="utf-8")
        with pytest.raises(EvalError, match=said + "$"):
            load_gold(gold)
    gold = tmp_path / "g.json"
    gold.write_text('[["a", 1]]', encoding="utf-8")
    with pytest.raises(EvalError, match="expected a JSON object, got array$"):
        load_gold(gold)
    (tmp_path / "a.txt").write_text(EN, encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("run", str(tmp_path / "a.txt"), "--out", str(out), "-q").returncode == 0
    rows = out / "documents.jsonl"
    rows.write_text(rows.read_text(encoding="utf-8").replace('"status": "kept"', '"status": null'),
                    encoding="utf-8")
    with pytest.raises(RunError, match="has 'status' of type null: not a row cleaner wrote"):
        Run(out).document("a")
    one_line_error(run_cli("show", str(out), "a"), "'status' of type null")


# --- an interrupted export ------------------------------------------------------------------


def test_an_export_interrupted_while_writing_leaves_no_folder_it_made(tmp_path, monkeypatch):
    """`cleaner export S --out NEW` stopped by SIGTERM a second in (exit 130) left NEW, an
    empty folder the user never had; a full disk removes it (attack-13)."""
    db = tmp_path / "s.db"
    lines = "".join(json.dumps({"id": f"d{i}", "text": f"{EN} Report {i}."}) + "\n" for i in range(3))
    assert run_cli("run", "-", "--out", "-", "--state", str(db), "-q", stdin=lines).returncode == 0
    # Ctrl-C arriving while the outputs are written (as a SIGTERM does, through the CLI's handler).
    stop = ("import sys\nfrom cleaner.store import output\n"
            "def stopped(*args, **kwargs):\n    raise KeyboardInterrupt\n"
            "output.write_outputs = stopped\nfrom cleaner.cli import main\nmain(sys.argv[1:])\n")
    proc = subprocess.run([sys.executable, "-c", stop, "export", str(db), "--out", str(tmp_path / "new"), "-q"],
                          capture_output=True, timeout=300)
    assert proc.returncode == 130 and b"interrupted" in proc.stderr, proc.stderr
    assert not (tmp_path / "new").exists()


def test_a_killed_builds_temporary_file_is_removed_by_a_later_run(tmp_path, monkeypatch):
    """A run killed while it built a list's cache file (SIGKILL 1.6-2.4 s into the second run
    of raw/) left `.wordfreq-...sqlite.XXXX.tmp`, 4-18 MB, in the cache folder for ever: no
    run removed it, whether or not the list was built later."""
    import os
    import time

    cache = tmp_path / "cache"
    monkeypatch.setenv(zipf_cache.CACHE_ENV, str(cache))
    source = term_weights._languages()["fr"]
    path = zipf_cache.cache_file(source)
    cache.mkdir()
    old = cache / f".{path.name}.k1ll3d.tmp"
    old.write_bytes(b"\0" * 4096)
    hour_ago = time.time() - 3700
    os.utime(old, (hour_ago, hour_ago))
    fresh = cache / f".{path.name}.bu1ld1ng.tmp"  # another run's build, going on now: kept
    fresh.write_bytes(b"\0" * 4096)
    for _ in range(2):  # the marker, then the build
        monkeypatch.setattr(term_weights, "_ZIPF_SEEN", {})
        term_weights.zipf_of({"paris"}, "fr")
    assert path.is_file() and not old.exists() and fresh.exists()
    # Left after the list was built (the kill came during a build another run finished).
    os.utime(fresh, (hour_ago, hour_ago))
    assert zipf_cache.lookup(source, {"paris"}) is not None
    assert not fresh.exists()


# --- signals ----------------------------------------------------------------------------------


def _wait_for_sigterm_handler(pid: int, limit: float = 60.0) -> None:
    """Until the process catches SIGTERM (its handler is installed: Linux's SigCgt mask), at
    most `limit` s. A fixed sleep of 8 s sent SIGTERM before the handler existed on a machine
    at load 15 (exit -15: the default action), which is not the case this test is about."""
    import signal
    import time

    status = f"/proc/{pid}/status"
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with open(status, encoding="ascii") as f:
                caught = next((int(line.split()[1], 16) for line in f if line.startswith("SigCgt:")), None)
        except OSError:
            caught = None
        if caught is None:  # no /proc: as before, a fixed wait
            time.sleep(8)
            return
        if caught >> (signal.SIGTERM - 1) & 1:  # bit n-1 is signal n
            return
        time.sleep(0.1)


@pytest.mark.parametrize("out", ["-", "folder"])
def test_sigterm_ends_a_stream_whose_stdin_is_idle_at_once(tmp_path, out):
    """`feed | cleaner run - --out -` (no --state, 2 workers) given SIGTERM while the feed is
    quiet (a supervisor stopping it: `docker stop`, systemd) printed "interrupted" and then
    waited for the feed's next line or its end: 24 s in the case seen, for ever if the feed
    stays open; `--out DIR` too (14 s). With --state it ends in 0.1 s."""
    import signal
    import time

    lines = "".join(json.dumps({"id": f"d{i}", "text": f"{EN} Report {i}."}) + "\n" for i in range(20))
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", "-", "--out", "-" if out == "-" else str(tmp_path / "out"),
                             "--workers", "2", "-q"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        proc.stdin.write(lines.encode())
        proc.stdin.flush()  # and the feed stays open, quiet
        _wait_for_sigterm_handler(proc.pid)
        time.sleep(3)  # started: its pool reads stdin
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        waited = time.monotonic() - sent
    finally:
        proc.kill()
        proc.wait()
        proc.stdin.close()
        proc.stderr.close()
    assert waited < 10 and proc.returncode == 130


def test_a_cache_folder_inside_the_input_is_not_read_as_input(tmp_path, monkeypatch):
    """CLEANER_CACHE_DIR inside the input folder: its tables and wordfreq files were read as
    inputs (rejected rows, "unsupported file type"), a few more each run as the cache filled,
    so the same input and configuration gave 63, 64, then 65 inputs."""
    import os

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(EN, encoding="utf-8")
    (folder / "b.txt").write_text(f"{EN} And a second report from Ghent.", encoding="utf-8")
    env = {**os.environ, zipf_cache.CACHE_ENV: str(folder / "cache"), "PYTHONHASHSEED": "0"}
    outputs = []
    for _ in range(2):
        shutil.rmtree(tmp_path / "out", ignore_errors=True)
        proc = subprocess.run([sys.executable, "-m", "cleaner", "run", str(folder), "--out", str(tmp_path / "out"),
                               "-q"], capture_output=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outputs.append((tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8"))
    assert (folder / "cache").is_dir()
    assert outputs[0] == outputs[1]
    assert [json.loads(line)["id"] for line in outputs[1].splitlines()] == ["a", "b"]


def test_a_cache_folder_given_with_a_tilde_is_in_the_home_folder(tmp_path, monkeypatch):
    """CLEANER_CACHE_DIR="~/.cache/news" (quoted in a script, a Dockerfile's ENV, systemd's
    Environment=: no shell expands it) made a folder named "~" in the current folder, often
    the input folder, whose files the next run read as inputs."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(zipf_cache.CACHE_ENV, "~/.cache/news")
    monkeypatch.chdir(tmp_path)
    assert zipf_cache.cache_dir() == tmp_path / "home" / ".cache" / "news"
    monkeypatch.setenv(zipf_cache.CACHE_ENV, "relative/cache")  # a relative one stays as given
    assert zipf_cache.cache_dir() == zipf_cache.Path("relative/cache")


# --- eval against a run that rejected gold documents -------------------------------------------


def test_eval_says_how_many_gold_documents_the_run_rejected(tmp_path):
    """Gold documents the run rejected (invalid JSON, empty) are scored as singletons, as
    they must be, but nothing said so: a recall of 0.0 read as the clustering's fault. The
    table and --json now count them, as they count the missing ones."""
    from cleaner.inspect.evaluate import format_table, load_predicted, score

    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "a", "text": EN}) + "\n" + json.dumps({"id": "b", "text": EN}) + "\n"
                    + json.dumps({"id": "c", "text": ""}) + "\nnot json\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("run", str(feed), "--out", str(out), "-q").returncode == 0
    pred = load_predicted(out)
    gold = {"a": "x", "b": "x", "c": "y", "feed:4": "y"}
    r = score(pred, gold)
    assert (r["missing"], r["rejected"], r["ignored"]) == (0, 2, 0)
    assert r["pairwise"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667}
    assert "rejected                   2" in format_table(r)
    proc = run_cli("eval", str(out), str(tmp_path / "g.csv"))
    assert proc.returncode == 2  # no such gold file
    (tmp_path / "g.csv").write_text("id,label\n" + "".join(f"{k},{v}\n" for k, v in gold.items()), encoding="utf-8")
    proc = run_cli("eval", str(out), str(tmp_path / "g.csv"), "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["rejected"] == 2


# --- a damaged checkpoint ---------------------------------------------------------------------


def test_resume_from_a_checkpoint_damaged_inside_never_writes_a_broken_row(tmp_path):
    """Two bytes changed in the middle of a checkpoint's segment (bit rot, a bad sector, a
    copy gone wrong): `--resume` exited 0 with a documents.jsonl whose row 2,803 was not
    JSON (the row's stored parts are copied into the file unread), or ended in
    UnpicklingError's traceback, depending on where the bytes fell. It should redo what is
    damaged (or refuse in one line), never write a broken row."""
    import signal
    import time

    from cleaner.store.spool import FRAME_LENGTH, PARTIAL_DIR

    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"id": f"d{i}", "text": f"{EN} Report {i} from Town{i}."}) + "\n"
                            for i in range(3000)), encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", str(feed), "--out", str(out), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for line in proc.stderr:  # a line per 10% in a log: the checkpoint holds documents
            if b"documents" in line and b"/3000" in line:
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    time.sleep(0.5)
    segments = sorted((out / PARTIAL_DIR).glob("*.spool"), key=lambda p: p.stat().st_size)
    assert segments and segments[-1].stat().st_size > 0
    data = bytearray(segments[-1].read_bytes())
    at = 0
    while at + FRAME_LENGTH.size < len(data):  # the first row's stored parts (a J frame): damaged
        (size,) = FRAME_LENGTH.unpack_from(data, at)
        if data[at + FRAME_LENGTH.size:at + FRAME_LENGTH.size + 1] == b"J":
            hit = data.index(b'"lang": ', at)
            data[hit + 6] = ord(";")  # '"lang"; "en"': a pickle still, a row no longer JSON
            break
        at += FRAME_LENGTH.size + size
    segments[-1].write_bytes(bytes(data))
    proc = run_cli("run", str(feed), "--out", str(out), "-q", "--resume")
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
    if proc.returncode == 2:
        assert len(err.strip().splitlines()) == 1
        return
    assert proc.returncode == 0, err
    rows = [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    fresh = tmp_path / "fresh"
    assert run_cli("run", str(feed), "--out", str(fresh), "-q").returncode == 0
    assert (out / "documents.jsonl").read_bytes() == (fresh / "documents.jsonl").read_bytes() and len(rows) == 3000
