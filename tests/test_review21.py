"""review-21: defects found reviewing session 20 and attacking the product as a new user.

Each test failed before its fix.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from test_user_attacks import one_line_error, read_only_folder, run_cli  # noqa: F401  (a fixture)

from cleaner.store import state as state_module
from cleaner.store.state import State


def _batch(state: State, value: str | bytes) -> None:
    batch = state.begin()
    state.set_meta("note", value)
    state.commit(batch, 1, "label")


class _SlowCheckpoint:
    """The checkpoint thread's connection on a slow disk: each checkpoint takes `seconds`."""

    def __init__(self, db: sqlite3.Connection, seconds: float) -> None:
        self.db, self.seconds = db, seconds

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if "wal_checkpoint" in sql:
            time.sleep(self.seconds)
        return self.db.execute(sql, *args)

    def close(self) -> None:
        self.db.close()


def _slow_checkpoints(monkeypatch: Any, seconds: float) -> None:
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        db = real(*args, **kwargs)
        return _SlowCheckpoint(db, seconds) if threading.current_thread().name == "state-checkpoint" else db

    monkeypatch.setattr(state_module.sqlite3, "connect", connect)


def test_the_wal_stays_bounded_when_each_checkpoint_outlasts_the_gap_to_the_next_batch(tmp_path, monkeypatch):
    """SQLite starts the WAL again from its beginning only when a batch begins after the last
    checkpoint copied every frame. The checkpoint ran behind each commit and was waited for
    only at the next commit: when it took longer than the gap to the next batch's BEGIN (a
    big state's 86 MB of pages on a slow disk, a feed of small batches), every batch began
    while it ran, and the WAL grew by each batch's pages, without bound, for as long as the
    stream went on (8 batches: 8 batches' pages). Now a batch that would begin a second time
    in a row with a checkpoint still running waits for it: at most ~2 batches' pages."""
    _slow_checkpoints(monkeypatch, 0.25)
    path = tmp_path / "s.db"
    state = State(path)
    sizes = []
    for n in range(8):
        _batch(state, os.urandom(100_000) + bytes([n]))  # ~7 pages of 16 KiB a batch
        sizes.append(os.path.getsize(f"{path}-wal"))
    state.close()
    batch = sizes[1] - sizes[0]
    assert max(sizes) - sizes[0] <= 2 * batch, sizes


def test_a_state_named_by_a_relative_path_is_checkpointed_where_it_is_after_a_chdir(tmp_path, monkeypatch):
    """The checkpoint thread opened the state by the path as given: after the process changed
    its folder (a notebook's %cd between two Deduplicator.add calls), `s.db` named another
    file, and SQLite made an empty one there, in the user's folder (a later run refused it as
    "an empty file")."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    monkeypatch.chdir(tmp_path / "one")
    state = State("s.db")
    _batch(state, "a")
    monkeypatch.chdir(tmp_path / "two")
    _batch(state, "b")
    state.close()
    assert list((tmp_path / "two").iterdir()) == []
    again = State(tmp_path / "one" / "s.db")
    assert again.meta("note") == "b" and again.batches() == 2
    again.close()


def test_a_streams_summary_lists_its_first_rejected_lines(tmp_path):
    """README: the summary lists "the first 20 [rejections] by file and line". A stream kept
    the first 20 of each batch in id order (ids as strings: `...:1`, `...:10`, `...:100`)
    and listed those: 30 bad lines showed lines 1, 10-19, 2, 20-29, 3, not 1 to 20."""
    lines = "".join("{}\n" for _ in range(30))
    run = run_cli("run", "-", "--out", "-", "--workers", "1", stdin=lines, cwd=tmp_path)
    err = run.stderr.decode()
    assert run.returncode == 0, err
    shown = [line.split(":")[1] for line in err.splitlines() if line.startswith("  rejected <stdin>:")]
    assert shown == [str(n) for n in range(1, 21)], err


def test_a_state_copied_with_its_journal_onto_a_read_only_disk_is_named_a_state(read_only_folder, tmp_path):
    """A state copied with its -wal file (as README says to copy one) and read where nothing
    can be written (a backup disk) was "not a cleaner state (unable to open database file)":
    SQLite cannot read a journal there without its -shm file. An empty journal (nothing in
    it to read) is now left aside, and one holding batches is named, with what to do."""
    import shutil

    src, view, seal = read_only_folder
    live = tmp_path / "live.db"
    state = State(live)
    _batch(state, "one")
    state._checkpointed()
    shutil.copy(live, src / "full.db")
    shutil.copy(f"{live}-wal", src / "full.db-wal")  # holds the batch (the writer is still open)
    state.close()
    shutil.copy(live, src / "empty.db")  # closed: the file holds every batch
    (src / "empty.db-wal").write_bytes(b"")
    seal()
    proc = run_cli("state", "info", str(view / "empty.db"))
    assert proc.returncode == 0 and "1 batch" in proc.stdout.decode(), proc.stderr
    err = one_line_error(run_cli("state", "info", str(view / "full.db")), "full.db-wal")
    assert "not a cleaner state" not in err and "writable" in err, err


_PRUNE_INTERRUPTED = """
import sys
from cleaner.store.state import State
from cleaner.cli import main

close = State.close
def interrupted(self):  # Ctrl-C (or SIGTERM) while the pruned state's file is written again
    close(self)
    raise KeyboardInterrupt
State.close = interrupted
main(["state", "prune", sys.argv[1], "--before", "2024-04-01"])
"""


def test_a_prune_interrupted_after_its_commit_says_the_prune_is_committed(tmp_path):
    """After its one transaction, `state prune` writes the file again (VACUUM) and closes it,
    which copies the new file in from the journal: seconds for a big state (a 200,000-document
    state pruned to 74,000: 379 -> 182 MB). A Ctrl-C or SIGTERM there said "cleaner:
    interrupted" alone, exit 130, though the prune was committed: read as nothing done."""
    import json
    import subprocess
    import sys

    from cleaner import Deduplicator

    path = tmp_path / "s.db"
    with Deduplicator(state=str(path), workers=1) as dedup:
        list(dedup.add([{"id": "old", "date": "2024-03-01", "text": "The harbour board of Velmont met on Monday "
                                                                     "to discuss the new quay and its costs. " * 3},
                        {"id": "new", "date": "2024-05-01", "text": "A later note on the museum roof repair and "
                                                                     "what the town pays for it. " * 3}]))
    proc = subprocess.run([sys.executable, "-c", _PRUNE_INTERRUPTED, str(path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "the prune was committed" in proc.stderr and "pruned 1 record (1 document)" in proc.stderr, proc.stderr
    info = json.loads(run_cli("state", "info", "--json", str(path)).stdout)
    assert info["documents"] == 1


_RUN_INTERRUPTED = """
import sys
from cleaner.store.state import State
from cleaner.cli import main

close = State.close
def interrupted(self):  # Ctrl-C (or SIGTERM) while the state waits for its batch's checkpoint
    close(self)
    raise KeyboardInterrupt
State.close = interrupted
main(["run", sys.argv[1], "--out", sys.argv[2], "--state", sys.argv[3], "--workers", "1", "-q"])
"""


def test_a_folder_run_interrupted_after_its_state_commit_says_what_is_done(tmp_path):
    """A folder run into a state commits its batch once the outputs are in place, then closes
    the state (waiting for the batch's checkpoint). A Ctrl-C there said "cleaner:
    interrupted" alone, exit 130: the outputs were complete and the batch committed."""
    import subprocess
    import sys

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("The harbour board of Velmont met on Monday to discuss the new quay and its costs.\n")
    out, path = tmp_path / "out", tmp_path / "s.db"
    proc = subprocess.run([sys.executable, "-c", _RUN_INTERRUPTED, str(raw), str(out), str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "committed to" in proc.stderr and (out / "records.jsonl").is_file(), proc.stderr


def test_a_record_without_a_text_field_says_what_it_holds_instead():
    """A news API's response saved as is ({"status": "ok", "articles": [...]}) or records
    whose text is under "content" were rejected "no non-empty 'text' or 'html' field" alone,
    on every line: nothing said where the text was."""
    from cleaner import clean

    text = "The harbour board of Velmont met on Monday to discuss the new quay and its costs."
    docs = clean([{"id": "api", "status": "ok", "articles": [{"title": "T", "text": text}, {"text": text}]},
                  {"id": "cms", "content": text, "headline": "Quay"}, {"id": "none"}]).documents
    error = {d["id"]: d["error"] for d in docs}
    assert error["api"] == ("no non-empty 'text' or 'html' field (its 'articles' holds 2 records: give each as a "
                            "JSONL line or an item of a JSON list)")
    assert error["cms"] == "no non-empty 'text' or 'html' field (its fields: content, headline, id)"
    assert error["none"] == "no non-empty 'text' or 'html' field (its fields: id)"


def test_a_missing_rule_file_in_an_api_config_is_named_by_its_key_and_where_it_was_looked_for(tmp_path, monkeypatch):
    """`config={"boilerplate": {"rule_files": ["my_rules.toml"]}}`, the file in the caller's
    folder: "ConfigError .../configs/my_rules.toml: (file): no such file", without the key
    and without saying that a dict's rule files are found relative to cleaner's configs/
    (README: a missing rule file is named by its key and the path it resolved to)."""
    import pytest

    from cleaner import clean
    from cleaner.core.config import ConfigError

    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_rules.toml").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        clean([{"text": "x"}], config={"boilerplate": {"rule_files": ["my_rules.toml"], "certain_categories": []}})
    message = str(caught.value)
    assert "<dict>: boilerplate.rule_files[0]: 'my_rules.toml'" in message and "whole path" in message, message


_STREAM_INTERRUPTED = """
import sys
from cleaner.store.state import State
from cleaner.cli import main

close = State.close
def interrupted(self):  # Ctrl-C (or SIGTERM) while the state waits for the last batch's checkpoint
    close(self)
    raise KeyboardInterrupt
State.close = interrupted
main(["run", "-", "--out", "-", "--state", sys.argv[1], "--workers", "1", "-q"])
"""


def test_a_stream_interrupted_while_its_state_closes_says_the_state_keeps_its_batches(tmp_path):
    """A stream's input ended, every batch committed and written, then the state closes
    (waiting for the last batch's checkpoint): a Ctrl-C there said "cleaner: interrupted"
    alone, as if nothing were kept."""
    import json
    import subprocess
    import sys

    line = json.dumps({"id": "a", "text": "The harbour board of Velmont met on Monday to discuss the new quay."})
    proc = subprocess.run([sys.executable, "-c", _STREAM_INTERRUPTED, str(tmp_path / "s.db")], input=line + "\n",
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.strip() == "cleaner: interrupted; the state keeps every batch written before", proc.stderr
    assert json.loads(proc.stdout)["id"] == "a"


def test_a_full_spool_folder_is_named_in_the_streams_error(tmp_path):
    """A stream keeps its documents in a spool in the temporary folder: on a full /tmp it
    said "cannot write the temporary spool: No space left on device", without saying which
    disk (not --out's, not the state's) nor that TMPDIR chooses it."""
    import json
    import subprocess
    import sys

    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(tmp_path)],
                                           capture_output=True).returncode:
        import pytest

        pytest.skip("needs a small tmpfs (root)")
    try:
        text = "The harbour board of Velmont met on Monday to discuss the new quay and its many costs. " * 40
        lines = "".join(json.dumps({"id": f"d{i}", "text": f"{i} {text}"}) + "\n" for i in range(60))
        proc = subprocess.run([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--workers", "1"],
                              input=lines, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "TMPDIR": str(tmp_path)})
        err = proc.stderr.strip()
        assert proc.returncode == 2 and len(err.splitlines()) == 1, err
        assert f"in {tmp_path} (TMPDIR" in err, err
    finally:
        subprocess.run(["umount", str(tmp_path)], capture_output=True)


def test_a_state_whose_document_rows_name_a_missing_group_is_a_one_line_error(tmp_path):
    """A document row whose group number was changed (a flipped bit in its integer, a hand
    edit) left its group without documents: `export` and `show` of the record ended in
    IndexError's traceback (Record.canonical of no members)."""
    from cleaner import Deduplicator

    path = tmp_path / "s.db"
    with Deduplicator(state=str(path), workers=1) as dedup:
        list(dedup.add([{"id": "a", "date": "2024-03-01", "text": "The harbour board of Velmont met on Monday "
                                                                   "to discuss the new quay and its costs. " * 3}]))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE docs SET g = g + 1000")
    db.close()
    err = one_line_error(run_cli("export", str(path), "--out", str(tmp_path / "out")), "is damaged")
    assert "has no documents" in err, err


_COMMITTED_INTERRUPTED = """
import sys
from cleaner.exec import flow
from cleaner.cli import main

def interrupted():  # Ctrl-C (or SIGTERM) once the batch is committed, before its rows go out
    raise KeyboardInterrupt
flow.release_free_memory = interrupted
main(["run", "-", "--out", "-", "--state", sys.argv[1], "--workers", "1", "-q"])
"""


def test_a_stream_interrupted_after_its_batch_commits_and_before_its_rows_says_the_batch_is_committed(tmp_path):
    """A batch commits inside run_documents, which then frees memory and sorts before the
    rows go out: a Ctrl-C there said "the state keeps every batch written before", as if
    this batch were not kept, though it was, and none of its rows had gone out."""
    import json
    import subprocess
    import sys

    line = json.dumps({"id": "a", "text": "The harbour board of Velmont met on Monday to discuss the new quay."})
    path = tmp_path / "s.db"
    proc = subprocess.run([sys.executable, "-c", _COMMITTED_INTERRUPTED, str(path)], input=line + "\n",
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, proc.stderr
    assert "while writing the rows of batch 1, which is committed to" in proc.stderr, proc.stderr
    assert json.loads(run_cli("state", "info", "--json", str(path)).stdout)["documents"] == 1


def test_a_state_missing_one_of_its_tables_is_said_to_be_damaged(tmp_path):
    """A state whose table another program dropped was "cannot use state S: no such table:
    events", the words of a full disk or an I/O error (the file may be fine), not of a
    damaged state to restore from a copy."""
    from cleaner import Deduplicator

    path = tmp_path / "s.db"
    with Deduplicator(state=str(path), workers=1) as dedup:
        list(dedup.add([{"id": "a", "text": "The harbour board of Velmont met on Monday to discuss the new quay."}]))
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE events")
    db.close()
    err = one_line_error(run_cli("show", str(path), "a"), "is damaged", "no such table: events")
    assert "restore it from a copy" in err, err


def test_a_state_named_by_a_symlink_loop_is_still_a_one_line_error(tmp_path):
    """The checkpoint's path (above) taken with Path.resolve() raised RuntimeError's
    traceback for a --state that is a symlink loop (Python 3.11), before the opening's
    own one-line refusal."""
    loop = tmp_path / "loop.db"
    loop.symlink_to(loop)
    one_line_error(run_cli("run", "-", "--out", "-", "--state", str(loop),
                           stdin='{"id": "a", "text": "The harbour board met on Monday."}\n'), "loop.db")
