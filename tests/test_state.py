"""The persistent state (#16 points 1, 2, 5-8): runs deduplicated against a SQLite state,
one transaction per batch, one writer, readers alongside, inspection verbs."""

import json
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from cleaner import Deduplicator
from cleaner.core.config import config_from_dict, load_config
from cleaner.dedup.incremental import state_settings
from cleaner.store.state import SCHEMA, State, StateError
from conftest import RAW
from hostile_folder import DE, EN, FR, RU


def run_cli(*args, stdin: str = "", cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "cleaner", *args], input=stdin.encode(), capture_output=True,
                          timeout=timeout, cwd=cwd)


def info_of(db):
    """`state info` of a state, read as a reader does (during a run too)."""
    state = State(db, writer=False)
    try:
        return state.info()
    finally:
        state.close()


def rows_of(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def raw_state(tmp_path_factory):
    """raw/ run once without a state and once into a new state."""
    tmp = tmp_path_factory.mktemp("state")
    plain = run_cli("run", str(RAW), "--out", str(tmp / "plain"), "-q", "--workers", "1")
    first = run_cli("run", str(RAW), "--out", str(tmp / "first"), "--state", str(tmp / "s.db"), "-q",
                    "--workers", "1")
    assert plain.returncode == 0 and first.returncode == 0, first.stderr
    return tmp


def test_a_first_run_into_a_state_is_the_run_without_one(raw_state):
    for name in ("documents.jsonl", "records.jsonl"):
        assert (raw_state / "first" / name).read_bytes() == (raw_state / "plain" / name).read_bytes()


def test_a_second_run_from_another_folder_finds_every_document_and_keeps_every_id(raw_state, tmp_path):
    moved = tmp_path / "elsewhere" / "corpus"
    shutil.copytree(RAW, moved)
    db = tmp_path / "s.db"
    shutil.copy(raw_state / "s.db", db)
    proc = run_cli("run", str(moved), "--out", str(tmp_path / "again"), "--state", str(db), "-q")
    assert proc.returncode == 0, proc.stderr
    first = rows_of(raw_state / "first" / "documents.jsonl")
    after = rows_of(tmp_path / "again" / "documents.jsonl")
    # The state holds these documents (same ids, same words): not added twice; each row
    # shows the record it is in, as the first run wrote it.
    assert [(r["id"], r["record_id"], r["status"]) for r in after] == \
        [(r["id"], r["record_id"], r["status"]) for r in first]
    records = rows_of(tmp_path / "again" / "records.jsonl")
    assert sum(r["size"] for r in records) == sum(r["status"] != "rejected" for r in first)
    info = json.loads(run_cli("state", "info", str(db), "--json").stdout)
    assert info["schema"] == SCHEMA and info["batches"] == 2
    assert info["documents"] == sum(r["status"] != "rejected" for r in first)


def test_show_gives_a_record_and_its_history(raw_state):
    rec = next(r for r in rows_of(raw_state / "first" / "records.jsonl") if r["size"] >= 3)
    proc = run_cli("show", str(raw_state / "s.db"), rec["record_id"])
    out = proc.stdout.decode()
    assert proc.returncode == 0 and rec["canonical_id"] in out and "history" in out
    assert f"batch 1: created {rec['record_id']}" in out and "member_added" in out
    by_doc = json.loads(run_cli("show", str(raw_state / "s.db"), rec["members"][-1]["id"], "--json").stdout)
    assert by_doc["record_id"] == rec["record_id"] and by_doc["events"][0]["event"] == "created"
    missing = run_cli("show", str(raw_state / "s.db"), "rec-0000000000000000")
    assert missing.returncode == 2 and len(missing.stderr.decode().strip().splitlines()) == 1


def test_export_writes_the_four_files_for_what_the_state_holds(raw_state, tmp_path):
    proc = run_cli("export", str(raw_state / "s.db"), "--out", str(tmp_path / "exp"))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "exp").iterdir()) == [
        "documents.jsonl", "manifest.json", "records.jsonl", "report-pages", "report.html"]
    # One batch: the records are the run's, byte for byte.
    assert (tmp_path / "exp" / "records.jsonl").read_bytes() == (raw_state / "first" / "records.jsonl").read_bytes()
    docs = rows_of(tmp_path / "exp" / "documents.jsonl")
    assert {(d["id"], d["record_id"], d["status"]) for d in docs} == {
        (d["id"], d["record_id"], d["status"]) for d in rows_of(raw_state / "first" / "documents.jsonl")
        if d["status"] != "rejected"}
    since = run_cli("export", str(raw_state / "s.db"), "--out", str(tmp_path / "late"), "--since", "2025-12-20")
    late = rows_of(tmp_path / "late" / "records.jsonl")
    assert since.returncode == 0 and 0 < len(late) < len(rows_of(tmp_path / "exp" / "records.jsonl"))
    assert run_cli("export", str(raw_state / "s.db"), "--out", str(tmp_path / "x"), "--since", "soon").returncode == 2
    # -q, as in run: the summary line goes, errors still show.
    assert b"records from" in since.stderr
    quiet = run_cli("export", str(raw_state / "s.db"), "--out", str(tmp_path / "q"), "-q")
    assert quiet.returncode == 0 and quiet.stderr == b"" and (tmp_path / "q" / "records.jsonl").exists()


def _stream(tmp_path, lines, *extra):
    return run_cli("run", "-", "--out", "-", "--state", str(tmp_path / "s.db"), *extra,
                   stdin="\n".join(lines) + "\n", cwd=tmp_path)


def test_stream_batches_go_into_the_state_one_transaction_each(tmp_path):
    lines = [json.dumps({"id": f"d{i}", "text": f"{EN} Report number {i} of the day."}) for i in range(5)]
    lines.insert(2, "{broken")
    proc = _stream(tmp_path, lines, "--batch-size", "2")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["id"] for r in rows][:2] == ["d0", "d1"] and len(rows) == 6  # input order, bad line included
    assert rows[2]["status"] == "rejected"
    assert len({r["record_id"] for r in rows if r["record_id"]}) == 1  # near copies, across batches
    info = json.loads(run_cli("state", "info", str(tmp_path / "s.db"), "--json").stdout)
    assert info["batches"] == 3 and info["documents"] == 5
    assert b"3 batch(es)" in proc.stderr


def test_a_row_is_written_when_its_batch_is_decided_not_at_the_end(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state",
                             str(tmp_path / "s.db"), "--batch-size", "1000", "-q"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        proc.stdin.write((json.dumps({"id": "first", "text": EN}) + "\n").encode())
        proc.stdin.flush()  # then the input pauses: the batch closes early
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        assert ready, "no row while the input paused"
        row = json.loads(proc.stdout.readline())
        assert row["id"] == "first" and row["status"] == "kept"
        proc.stdin.write((json.dumps({"id": "second", "text": EN}) + "\n").encode())
        proc.stdin.close()
        second = json.loads(proc.stdout.readline())
        assert second["status"] == "duplicate" and second["record_id"] == row["record_id"]
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_batch_leaves_the_state_as_before(tmp_path):
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([{"id": "a", "text": EN}]))
    script = f"""
import os, signal
from cleaner.dedup.incremental import IncrementalClusterer
from cleaner.store.state import State
state = State({str(db)!r})
state.begin()
state.add_events([{{"batch": 2, "event": "created", "record_id": "rec-x", "document": "z"}}])
state.add_exact("half-written", 99)
os.kill(os.getpid(), signal.SIGKILL)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    state = State(db, writer=False)
    try:
        info = state.info()
        assert (info["batches"], info["documents"], info["events"]) == (1, 1, 1)
        assert state.exact("half-written") is None
        assert state.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        state.close()
    with Deduplicator(state=db) as dedup:  # and it goes on from there
        (row,) = dedup.add([{"id": "b", "text": EN}])
    assert row["status"] == "duplicate"


def test_one_writer_a_second_gets_one_line_or_waits_and_readers_work(tmp_path):
    db = tmp_path / "s.db"
    holder = State(db, state_settings(load_config()))
    try:
        proc = _stream(tmp_path, [json.dumps({"id": "a", "text": EN})])
        assert proc.returncode == 2 and b"being written by another run" in proc.stderr
        assert len(proc.stderr.decode().strip().splitlines()) == 1
        holder.begin()  # a batch in progress: readers still read the last committed state
        assert run_cli("state", "info", str(db)).returncode == 0
        waiting = subprocess.Popen([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state", str(db),
                                    "--wait", "-q"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, cwd=tmp_path)
        waiting.stdin.write(json.dumps({"id": "a", "text": EN}).encode())
        waiting.stdin.close()
        time.sleep(3)
        assert waiting.poll() is None  # still waiting for the writer
    finally:
        holder.close()  # rolls back the open batch, releases the lock
    waiting.wait(timeout=300)
    out, err = waiting.stdout.read(), waiting.stderr.read()
    assert waiting.returncode == 0, err
    assert json.loads(out)["status"] == "kept"


def test_other_schema_settings_or_files_are_one_line_errors(tmp_path):
    db = tmp_path / "s.db"
    State(db, state_settings(load_config())).close()
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    con.commit()
    con.close()
    proc = _stream(tmp_path, [json.dumps({"id": "a", "text": EN})])
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and "schema version 99" in err and f"version {SCHEMA}" in err
    assert len(err.splitlines()) == 1
    other = tmp_path / "other.db"
    State(other, "minhash num_perm=64").close()
    with pytest.raises(StateError, match="other MinHash/shingle settings"):
        State(other, "minhash num_perm=128")
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all" * 100)
    proc = run_cli("run", "-", "--out", "-", "--state", str(junk), stdin=json.dumps({"id": "a", "text": EN}))
    assert proc.returncode == 2 and b"not a cleaner state" in proc.stderr and b"Traceback" not in proc.stderr
    info = run_cli("state", "info", str(tmp_path / "missing.db"))
    assert info.returncode == 2 and b"does not exist" in info.stderr
    assert not (tmp_path / "missing.db").exists()


def test_the_api_continues_a_state_the_cli_wrote(tmp_path):
    db = tmp_path / "s.db"
    proc = _stream(tmp_path, [json.dumps({"id": "de", "text": DE, "date": "2025-12-20"})])
    assert proc.returncode == 0, proc.stderr
    first = json.loads(proc.stdout)
    with Deduplicator(state=db, batch_size=1) as dedup:
        rows = list(dedup.add(iter([{"id": "de-copy", "text": DE, "date": "2025-12-21"},
                                    {"id": "en", "text": EN}])))
        assert [r["status"] for r in rows] == ["duplicate", "kept"]
        assert rows[0]["record_id"] == first["record_id"]
        assert [e["event"] for e in dedup.events] == ["member_added", "created"]


def test_prune_removes_records_whose_every_document_is_old(tmp_path):
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([{"id": "old", "text": EN, "date": "2025-01-10"},
                        {"id": "old-copy", "text": EN + " And more.", "date": "2025-01-11"},
                        {"id": "fr", "text": FR, "date": "2025-01-10"},
                        # a near copy of an old canonical, dated after --before: its record stays whole
                        {"id": "fr-late", "text": FR + " Et plus encore.", "date": "2025-09-01"},
                        {"id": "new", "text": DE, "date": "2025-12-20"}, {"id": "undated", "text": RU}]))
    proc = run_cli("state", "prune", str(db), "--before", "2025-06-01")
    assert proc.returncode == 0, proc.stderr
    assert b"pruned 1 record (2 documents), all of whose documents are dated before 2025-06-01" in proc.stdout
    state = State(db, writer=False)
    try:
        kept = {row[0] for row in state.db.execute("SELECT id FROM docs")}
    finally:
        state.close()
    assert kept == {"fr", "fr-late", "new", "undated"}
    assert run_cli("state", "prune", str(db), "--before", "June").returncode == 2


def test_pruned_names_a_pruned_document_whose_id_starts_with_rec(tmp_path):
    """`show STATE ID` looks an id up as a record, then as a document (an input's id may
    start with rec- too); `pruned` asked only the events' records for such an id, so a pruned
    document `rec-...` was said never added."""
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        rows = list(dedup.add([{"id": "rec-from-a-feed", "text": EN, "date": "2025-01-10"},
                               {"id": "kept", "text": DE, "date": "2025-12-20"}]))
    rid = next(r["record_id"] for r in rows if r["id"] == "rec-from-a-feed")
    assert run_cli("state", "prune", str(db), "--before", "2025-06-01").returncode == 0
    state = State(db, writer=False)
    try:
        assert state.pruned("rec-from-a-feed") == rid
        assert state.pruned(rid) == rid and state.pruned("rec-never-there") is None
    finally:
        state.close()


def test_the_story_window_limits_what_a_batch_is_linked_with(tmp_path):
    base = {"story": {"window_days": 0, "window_batches": 0}}
    a = ("Crews in the harbour town of Vilanova de Marzal worked through Tuesday night as the "
         "Zorrilla warehouse fire spread to two depots, mayor Ines Arrabal said.")
    b = ("The Zorrilla warehouse fire in Vilanova de Marzal reached two depots overnight; mayor Ines "
         "Arrabal thanked the crews who fought it until dawn on Wednesday.")
    outcomes = []
    for cfg in (config_from_dict(), config_from_dict(base)):
        with Deduplicator(config=cfg, batch_size=1) as dedup:
            r1, r2 = list(dedup.add([{"id": "a", "text": a, "date": "2025-03-04"},
                                     {"id": "b", "text": b, "date": "2025-03-20"}]))
            outcomes.append(r1["record_id"] == r2["record_id"])
    # Default window (30 days, 10 batches): the second batch still reaches the first;
    # a window of 0 days and 0 batches does not link them.
    assert outcomes == [True, False]


def test_a_document_sent_again_is_not_stored_twice(tmp_path):
    """A retried batch or a feed sent again: same id and words -> the same row, no new
    document, no event; the same id with other words is a new document."""
    db = tmp_path / "s.db"
    items = [{"id": "a", "text": EN, "date": "2025-12-20"}, {"id": "b", "text": DE, "date": "2025-12-20"}]
    with Deduplicator(state=db) as dedup:
        first = list(dedup.add(items))
    with Deduplicator(state=db) as dedup:
        again = list(dedup.add(items))
        assert dedup.events == []
        changed = list(dedup.add([{"id": "a", "text": EN + " Updated with a new paragraph.", "date": "2025-12-21"}]))
    assert [(r["record_id"], r["status"]) for r in again] == [(r["record_id"], r["status"]) for r in first]
    assert changed[0]["record_id"] == first[0]["record_id"] and changed[0]["status"] == "duplicate"
    assert info_of(db)["documents"] == 3


def test_a_state_inside_the_output_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("run", str(RAW / "de"), "--out", str(out), "--state", str(out / "news.db"))
    assert proc.returncode == 2 and b"inside --out" in proc.stderr and not out.exists()


def test_an_uncommitted_batch_leaves_the_state_as_it_was(tmp_path):
    """A folder run commits only once its output is written (IncrementalClusterer with
    commit=False): closing before the commit leaves nothing behind."""
    from cleaner.dedup.incremental import IncrementalClusterer
    from cleaner.exec.flow import run_documents
    from cleaner.input.read import read_dicts

    cfg = load_config()
    db = tmp_path / "s.db"
    state = State(db, state_settings(cfg))
    clusterer = IncrementalClusterer(cfg, state, commit=False)
    run_documents(read_dicts([{"id": "a", "text": EN}]), cfg, clusterer=clusterer)
    assert clusterer.pending is not None
    state.close()  # as a failed write (or a kill) would, before commit()
    reader = State(db, writer=False)
    try:
        assert reader.info()["documents"] == 0 and reader.info()["batches"] == 0
    finally:
        reader.close()


def test_export_since_takes_any_iso_date_form(raw_state, tmp_path):
    a = run_cli("export", str(raw_state / "s.db"), "--out", str(tmp_path / "a"), "--since", "2025-12-20")
    b = run_cli("export", str(raw_state / "s.db"), "--out", str(tmp_path / "b"), "--since", "20251220")
    assert a.returncode == 0 and b.returncode == 0
    assert (tmp_path / "a" / "records.jsonl").read_bytes() == (tmp_path / "b" / "records.jsonl").read_bytes()
