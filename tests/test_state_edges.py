"""The persistent state at its edges (#16): what a user attacking it found. Each test
would fail if its fix were undone: the state's own configuration for show/export, one
lock per file whatever its name, no self-deadlock, nothing silently lost when stdout
closes, an empty stdin, SIGTERM and SIGKILL leaving no temporary files, a state kept
inside the input folder."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from cleaner import Deduplicator
from cleaner.core.config import load_config
from cleaner.core.document import Document
from cleaner.dedup.incremental import state_settings
from cleaner.store.state import State, StateError
from hostile_folder import DE, EN, FR
from test_state import info_of, run_cli


def _env(tmp_path):
    """A private temporary folder, so the test sees exactly the spools its runs leave."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp)}, tmp


def _spools(tmp):
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("cleaner-spool-"))


def test_show_and_export_rebuild_records_with_the_states_own_configuration(tmp_path):
    config = tmp_path / "prefer.toml"
    config.write_text('[canonical]\nsource_priority = ["wire-z"]\n', encoding="utf-8")
    db = tmp_path / "s.db"
    lines = [json.dumps({"id": "a", "site": "blog-a", "text": EN}),
             json.dumps({"id": "z", "site": "wire-z", "text": EN})]
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), "--config", str(config), "-q",
                   stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    rid = json.loads(proc.stdout.decode().splitlines()[0])["record_id"]
    shown = json.loads(run_cli("show", str(db), rid, "--json").stdout)
    assert shown["canonical_id"] == "z"  # the run's source_priority, not the default (no priority)
    assert run_cli("export", str(db), "--out", str(tmp_path / "exp")).returncode == 0
    record = json.loads((tmp_path / "exp" / "records.jsonl").read_text(encoding="utf-8"))
    assert record["canonical_id"] == "z"
    # --config that would compare other signatures is refused in one line
    other = tmp_path / "other.toml"
    other.write_text("[minhash]\nnum_perm = 64\n", encoding="utf-8")
    refused = run_cli("export", str(db), "--out", str(tmp_path / "exp2"), "--config", str(other))
    assert refused.returncode == 2 and b"other MinHash/shingle settings" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_one_lock_per_state_file_whatever_path_names_it(tmp_path):
    db = tmp_path / "s.db"
    link = tmp_path / "link.db"
    holder = State(db, state_settings(load_config()))
    try:
        link.symlink_to(db)
        proc = run_cli("run", "-", "--out", "-", "--state", str(link), "-q",
                       stdin=json.dumps({"id": "a", "text": EN}) + "\n")
        assert proc.returncode == 2 and b"being written by another run" in proc.stderr
        # in this process: an error at once, where waiting would wait for ourselves forever
        start = time.monotonic()
        with pytest.raises(StateError, match="already open for writing in this process"):
            Deduplicator(state=link, wait=True)
        assert time.monotonic() - start < 5
    finally:
        holder.close()
    with Deduplicator(state=link) as dedup:  # released: usable again
        assert [r["status"] for r in dedup.add([{"id": "a", "text": EN}])] == ["kept"]


def test_empty_stdin_writes_no_row_and_commits_no_batch(tmp_path):
    db = tmp_path / "s.db"
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), stdin="")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    assert b"no JSON lines on stdin" in proc.stderr
    assert info_of(db)["batches"] == 0


def test_stdout_closed_mid_stream_is_an_error_naming_the_committed_batch(tmp_path):
    db = tmp_path / "s.db"
    lines = "".join(json.dumps({"id": f"d{i}", "text": f"{EN} Item {i}: {FR}"}) + "\n" for i in range(6))
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state", str(db),
                             "--batch-size", "1", "-q"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdin.write(lines.encode())
    proc.stdin.close()
    first = proc.stdout.readline()  # a reader that takes one row and goes away (| head -1)
    proc.stdout.close()
    proc.wait(timeout=300)
    err = proc.stderr.read().decode()
    assert json.loads(first)["id"] == "d0"
    assert proc.returncode == 1
    assert "stdout was closed during batch" in err and "not delivered" in err
    assert len(err.strip().splitlines()) == 1


def test_without_a_state_a_closed_stdout_is_no_error(tmp_path):
    lines = "".join(json.dumps({"id": f"d{i}", "text": f"{EN} Item {i}"}) + "\n" for i in range(300))
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "-q", "--workers", "1"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(lines.encode())
    proc.stdin.close()
    proc.stdout.readline()
    proc.stdout.close()
    proc.wait(timeout=300)
    assert proc.returncode == 0 and proc.stderr.read() == b""


def _start_stream(tmp_path, env, db, n=400):
    lines = "".join(json.dumps({"id": f"d{i}", "text": f"{EN} {DE} Item {i}."}) + "\n" for i in range(n))
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state", str(db),
                             "--batch-size", str(n), "--workers", "1", "-q"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    proc.stdin.write(lines.encode())  # not closed: the batch waits, the spool is there
    proc.stdin.flush()
    return proc


def _wait_for_spool(tmp, proc):
    for _ in range(600):
        if _spools(tmp) or proc.poll() is not None:
            break
        time.sleep(0.1)
    assert _spools(tmp), "the run never made its spool"


def test_sigterm_ends_a_run_as_ctrl_c_does_leaving_no_temporary_files(tmp_path):
    env, tmp = _env(tmp_path)
    db = tmp_path / "s.db"
    proc = _start_stream(tmp_path, env, db)
    _wait_for_spool(tmp, proc)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in proc.stderr.read().decode()
    assert _spools(tmp) == []
    assert info_of(db)["documents"] == 0  # the open batch was rolled back


def test_a_spool_left_by_sigkill_is_removed_by_the_next_run(tmp_path):
    env, tmp = _env(tmp_path)
    proc = _start_stream(tmp_path, env, tmp_path / "s.db")
    _wait_for_spool(tmp, proc)
    left = _spools(tmp)
    proc.kill()
    proc.wait(timeout=60)
    for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split():
        os.kill(int(p), signal.SIGKILL)  # its orphaned workers, if any
    assert _spools(tmp) == left  # SIGKILL: nothing could clean up
    alive = tmp / f"cleaner-spool-{os.getpid()}-keep"  # a live run's spool (ours): never touched
    alive.mkdir()
    again = subprocess.run([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "-q"],
                           input=(json.dumps({"id": "x", "text": FR}) + "\n").encode(), capture_output=True, env=env)
    assert again.returncode == 0, again.stderr
    assert _spools(tmp) == [alive.name]


def test_a_state_inside_the_input_folder_is_never_read_as_input(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(EN, encoding="utf-8")
    for n in (1, 2):
        proc = run_cli("run", str(corpus), "--out", str(tmp_path / f"out{n}"), "--state", str(corpus / "s.db"))
        assert proc.returncode == 0, proc.stderr
        rows = [json.loads(x) for x in (tmp_path / f"out{n}" / "documents.jsonl").read_text().splitlines()]
        assert [r["id"] for r in rows] == ["a"], rows


def test_batch_size_outside_a_stream_into_a_state_is_a_note(tmp_path):
    proc = run_cli("run", "-", "--out", "-", "--batch-size", "5", stdin=json.dumps({"id": "a", "text": EN}) + "\n")
    assert proc.returncode == 0
    assert b"--batch-size applies to a stream into a state" in proc.stderr


def test_wait_without_a_state_is_a_note(tmp_path):
    """--wait without --state was accepted in silence, as if it did something."""
    proc = run_cli("run", "-", "--out", "-", "--wait", stdin=json.dumps({"id": "a", "text": EN}) + "\n")
    assert proc.returncode == 0 and b"note: --wait waits for another run writing --state" in proc.stderr
    assert json.loads(proc.stdout)["status"] == "kept"


def test_terms_and_band_keys_live_in_the_state_and_signatures_come_back_from_the_text(tmp_path):
    import numpy as np

    from cleaner.dedup.incremental import StateGroups, restore_member
    from cleaner.stages.sign import Sign

    db = tmp_path / "s.db"
    text = f"{EN}\n{FR}\n{DE}"
    with Deduplicator(state=db) as dedup:
        first, = dedup.add([{"id": "a", "text": text}])
    sign = Sign.from_config(load_config())
    signed = sign.process(Document(id="a", source="<api>", text=text)).features
    state = State(db, writer=False)
    try:
        (g, n), = state.db.execute("SELECT g, canonical FROM groups").fetchall()
        _, slim, stored_text = state.doc(n)
        bands = state.db.execute("SELECT count(*) FROM bands WHERE g = ?", (g,)).fetchone()[0]
        groups = StateGroups(state, sign)
        canonical = groups[g].canonical
        near_mh = groups.signature(g)  # signed when asked (Clusterer.shingles_first)
    finally:
        state.close()
    # the state keeps no signature: a canonical read back is signed again from its text,
    # as signing gave it (datasketch-compatible values)
    assert stored_text == text and slim.id == "a" and slim.features.exact == signed.exact
    assert near_mh.dtype == np.uint32 and canonical.features.near_mh is near_mh
    assert np.array_equal(near_mh, signed.near_mh)
    assert np.array_equal(canonical.features.near, signed.near)
    assert slim.features.terms is None and bands > 0  # kept with its text: its terms come back from it
    again = sign.process(Document(id="a", source="<api>", text=text, title=slim.title, date=slim.date, lang=slim.lang))
    restored = restore_member(sign, ("canonical", 1.0, 1.0, None, None, ""), slim, stored_text).doc.features
    assert restored.terms and (restored.terms, restored.lead, restored.term_lines) == \
        (again.features.terms, again.features.lead, again.features.term_lines)
    # a near copy in a later batch is found through the stored band keys and the text
    # (longer, it becomes the record's canonical: same record, status kept)
    with Deduplicator(state=db) as dedup:
        row, = dedup.add([{"id": "b", "text": f"{EN}\n{FR}\n{DE} One more line."}])
    assert row["record_id"] == first["record_id"]


def test_verbose_stream_logs_a_canonical_change_a_reader_would_not_see(tmp_path):
    db = tmp_path / "s.db"
    first = json.dumps({"id": "short", "text": f"{EN}\n{FR}\n{DE}"}) + "\n"
    assert run_cli("run", "-", "--out", "-", "--state", str(db), "-q", stdin=first).returncode == 0
    later = json.dumps({"id": "long", "text": f"{EN}\n{FR}\n{DE} One more line."}) + "\n"
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), "-v", stdin=later)
    assert proc.returncode == 0, proc.stderr
    assert "batch 1: canonical_changed rec-" in proc.stderr.decode()
    assert "new long, old short" in proc.stderr.decode()


def test_show_of_an_undated_record_never_prints_none(tmp_path):
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([{"id": "a", "text": EN}]))
    out = run_cli("show", str(db), "a").stdout.decode()
    assert "date unknown" in out and "None" not in out


def test_a_state_reads_back_with_its_own_dictionary_whatever_the_code_holds_now(tmp_path, monkeypatch):
    """Rows are compressed with a preset dictionary stored in the state itself: a later
    cleaner with another dictionary still reads every older row, and an exact copy sent
    later is still found by its key (kept as bytes)."""
    from cleaner.store import state as state_module

    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        first, = dedup.add([{"id": "a", "text": f"{EN}\n{FR}", "date": "2025-01-02"}])
    monkeypatch.setattr(state_module, "_dictionary", lambda: b"another dictionary entirely" * 10)
    state = State(db, writer=False)
    try:
        (n,) = state.db.execute("SELECT canonical FROM groups").fetchone()
        member, slim, text = state.doc(n)
        (key,) = state.db.execute("SELECT key FROM groups").fetchone()
    finally:
        state.close()
    assert slim.id == "a" and slim.date == "2025-01-02" and member[0] == "canonical" and text.startswith(EN[:20])
    assert isinstance(key, bytes) and len(key) * 2 == len(slim.features.exact)
    with Deduplicator(state=db) as dedup:
        row, = dedup.add([{"id": "b", "text": f"{EN}\n{FR}"}])
    assert row["status"] == "duplicate" and row["record_id"] == first["record_id"]


def test_verbose_stream_logs_memory_after_each_batch(tmp_path):
    """A stage owner watches whether memory stays flat as the state grows (-v)."""
    db = tmp_path / "s.db"
    lines = "".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate((EN, FR, DE)))
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), "-v", "--batch-size", "2", stdin=lines)
    assert proc.returncode == 0, proc.stderr
    logged = re.findall(r"batch (\d): \d line\(s\) decided, .* \(memory (\d+) MiB, peak (\d+) MiB\)",
                        proc.stderr.decode())
    assert [b for b, _, _ in logged] == ["1", "2"] and all(0 < int(m) <= int(p) for _, m, p in logged)


_FORKED = """
import os, signal, sys, time
from cleaner import cli
signal.signal(signal.SIGTERM, cli._terminated)
pid = os.fork()
if pid == 0:  # a pool worker before its initializer: still the CLI's handler
    try:
        time.sleep(30)
    except BaseException:
        os._exit(1)   # the KeyboardInterrupt path, which left pool workers hanging
    os._exit(0)
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""


def test_a_forked_worker_stopped_before_its_setup_dies_at_once():
    """SIGTERM's handler raises KeyboardInterrupt in the CLI's own process only: a forked
    worker that still has it exits as SIGTERM would (a pool torn down at once could hang)."""
    proc = subprocess.run([sys.executable, "-c", _FORKED], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["143"], proc.stdout + proc.stderr


def test_run_dash_at_a_terminal_says_it_reads_stdin(tmp_path):
    """`cleaner run -` typed at a prompt waited for input without a word (attack-12)."""
    import pty

    main, tty = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", "-", "--out", str(tmp_path / "o")],
                                stdin=tty, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.write(main, json.dumps({"id": "a", "text": EN}).encode() + b"\n\x04")  # a line, then Ctrl-D
        _, err = proc.communicate(timeout=300)
    finally:
        os.close(main)
        os.close(tty)
    assert proc.returncode == 0, err
    assert b"reading JSONL from stdin (one object a line); Ctrl-D ends the input" in err
    # Piped, as in a pipeline, it says nothing of the kind.
    piped = run_cli("run", "-", "--out", "-", stdin=json.dumps({"id": "a", "text": EN}) + "\n")
    assert piped.returncode == 0 and b"reading JSONL" not in piped.stderr
