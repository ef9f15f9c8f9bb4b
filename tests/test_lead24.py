"""The lead's session-24 checks: a state whose text dictionary is damaged (#16).

`TextPacker.preload` reads a batch's dictionaries before the forked children pack texts,
and keeps quiet about one that does not decompress, so that the error is said where a
text needs it. These tests hold that promise: the batch is refused in one line, with
either number of workers, and the state is left as it was."""

import json
import sqlite3

import pytest

from cleaner import Deduplicator
from hostile_folder import EN
from test_state import run_cli


def _counts(db):
    con = sqlite3.connect(db)
    try:
        return [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("docs", "groups", "batches", "events")]
    finally:
        con.close()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_damaged_text_dictionary_refuses_the_batch_in_one_line(tmp_path, workers):
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([{"id": f"a{i}", "text": f"{EN} Item {i} of the first day.", "lang": "en"} for i in range(3)]))
    con = sqlite3.connect(db)
    assert con.execute("UPDATE meta SET value = ? WHERE key = 'ztext en'", (b"not deflate",)).rowcount == 1
    con.commit()
    con.close()
    before = _counts(db)
    lines = "".join(json.dumps({"id": f"b{i}", "text": f"{EN} Item {i} of the second day, told again.", "lang": "en"})
                    + "\n" for i in range(4))
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), "--workers", workers, stdin=lines, cwd=tmp_path)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2, err
    assert len(err.splitlines()) == 1 and "damaged" in err and "'en'" in err and "Traceback" not in err, err
    assert proc.stdout == b""  # no row is written for a batch that did not commit
    assert _counts(db) == before


def test_state_copy_takes_a_long_name_the_file_system_allows(tmp_path):
    """The copy is written under a temporary name beside it; for a long COPY name that name
    passed 255 bytes and the copy was refused ("File name too long") though COPY was valid."""
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([{"id": "a", "text": EN, "lang": "en"}]))
    for name in ("c" * 240 + ".db", "é" * 120 + ".db"):  # 243 characters; 243 bytes in UTF-8
        proc = run_cli("state", "copy", str(db), name, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr.decode()
        info = run_cli("state", "info", name, cwd=tmp_path)
        assert info.returncode == 0 and b"1 document" in info.stdout, info.stderr.decode()
    assert not [p for p in tmp_path.iterdir() if "cleaner-copy" in p.name]
    proc = run_cli("state", "copy", str(db), "c" * 256, cwd=tmp_path)  # too long for any name
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1 and "too long" in err, err
