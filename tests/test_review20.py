"""review-20: defects found reviewing session 19 and attacking the product as a new user.

Each test failed before its fix.
"""

from __future__ import annotations

import sys
from itertools import cycle
from types import CodeType
from typing import Any, Callable

import numpy as np
import pytest

from cleaner.dedup import signatures, terms


def at_every_switch(code: CodeType, setup: Callable[[], Any], call: Callable[[], Any],
                    other: Callable[[], Any]) -> list[str]:
    """A thread switch at each point of `call`'s run of `code`, in turn: setup(), then call()
    with other() (another thread's work) run once at its k-th bytecode in `code`, for every
    k (a trace function). The failures either side met; deterministic, unlike threads."""
    failures: list[str] = []
    k, seen = 0, 0

    def opcodes(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal seen
        if event == "opcode":
            seen += 1
            if seen == k:
                try:
                    other()
                except Exception as exc:  # noqa: BLE001 - what the other thread would meet
                    failures.append(f"other thread: {type(exc).__name__}: {exc}")
        return opcodes

    def calls(frame, event, arg):  # type: ignore[no-untyped-def]
        if frame.f_code is code:
            frame.f_trace_opcodes = True
            return opcodes
        return None

    while k == 0 or seen >= k:
        k, seen = k + 1, 0
        setup()
        before = sys.gettrace()  # a coverage tool's, if any
        sys.settrace(calls)
        try:
            call()
        except Exception as exc:  # noqa: BLE001
            failures.append(f"this thread: {type(exc).__name__}: {exc}")
        finally:
            sys.settrace(before)
    assert k > 10  # `code` ran, traced
    return failures


def test_prefix_power_tables_are_never_seen_half_grown():
    """A Dask worker may run tasks in threads (dedup/stories.py keeps per-thread slots for
    it). _prefix_powers grew its two tables in two stores: a thread switch between them let
    another thread's text read the new P^t table with the old, shorter P^-t one (IndexError,
    so a document rejected as "internal error" depending on timing)."""
    rng = np.random.default_rng(3)
    chars = rng.integers(0, 0x110000, 3000, dtype=np.uint32)
    lengths = np.array([1000, 1500, 500])
    want = signatures._span_batch(chars, lengths)

    def small_tables() -> None:
        signatures._PREFIX.clear()
        signatures._prefix_powers(1024)

    def other() -> None:
        assert np.array_equal(signatures._span_prefix(chars, lengths), want)

    failures = at_every_switch(signatures._prefix_powers.__code__, small_tables,
                               lambda: signatures._prefix_powers(4096), other)
    assert not failures, failures[:3]


def test_story_strings_forgotten_by_another_thread(monkeypatch):
    """string_minhash cleared its kept values in place past STRINGS_KEPT: another thread
    (a Dask worker's) that had just added its strings then met a KeyError reading them
    back (a document rejected by timing)."""
    monkeypatch.setattr(signatures, "STRINGS_KEPT", 8)
    mine = ["odesa", "kyiv", "2025", "@12-20"]
    want = signatures.string_minhash(mine, 128, 1)
    others = iter([f"town{i}" for i in range(10**6)])

    def other() -> None:  # enough new strings to pass the bound
        signatures.string_minhash([next(others) for _ in range(5)], 128, 1)

    failures = at_every_switch(signatures.string_minhash.__code__, lambda: monkeypatch.setattr(signatures, "_MIXED", {}),
                               lambda: np.testing.assert_array_equal(signatures.string_minhash(mine, 128, 1), want),
                               other)
    assert not failures, failures[:3]


def test_token_kinds_forgotten_while_another_thread_meets_a_language(monkeypatch):
    """Past KINDS_KEPT, _keep_one cleared every language's kept tokens by iterating _KNOWN,
    which another thread adds a language to when it meets one: "dictionary changed size
    during iteration" (a document rejected by timing)."""
    monkeypatch.setattr(terms, "KINDS_KEPT", 3)
    langs = cycle(["de", "fr", "es", "it", "pl"])  # each run of _keep_one starts from "en" alone

    def full() -> None:
        monkeypatch.setattr(terms, "_KNOWN", {})
        terms.known_tokens("en")
        monkeypatch.setattr(terms, "_KEPT", [terms.KINDS_KEPT])

    failures = at_every_switch(terms._keep_one.__code__, full, terms._keep_one, lambda: terms.known_tokens(next(langs)))
    assert not failures, failures[:3]


@pytest.mark.parametrize("grow, shared, key, span, n, small", [
    ("_powers", "_POWERS", "high", "_span_batch", 40_000, 10),  # long strings: several blocks of powers
    ("_prefix_powers", "_PREFIX", "tables", "_span_prefix", 3000, 1024)])
def test_power_tables_shrunk_by_another_thread(grow, shared, key, span, n, small):
    """Two threads that both found a power table too short each grew it; the one needing
    fewer powers could store its table after the other had stored a longer one, and the
    other then returned the shared, shorter table, not its own (IndexError or an array of
    another length). Here the other thread's store is made at each bytecode in turn."""
    chars = np.random.default_rng(5).integers(0, 0x110000, n, dtype=np.uint32)
    lengths = np.array([n - n // 4, n // 4])
    want = signatures._span_batch(chars, lengths)
    grow_tables, tables = getattr(signatures, grow), getattr(signatures, shared)

    def short_tables() -> None:
        tables.clear()
        grow_tables(small)

    short_tables()
    short = tables[key]
    failures = at_every_switch(grow_tables.__code__, short_tables,
                               lambda: np.testing.assert_array_equal(getattr(signatures, span)(chars, lengths), want),
                               lambda: tables.update({key: short}))
    assert not failures, failures[:3]


def test_a_damaged_gz_is_rejected_in_the_same_words_through_a_url(tmp_path):
    """Session 19 read a URL's .gz with the folder's reader (read.gunzip) "so that naming a
    folder by a file:// URL reads the same documents", but a damaged or cut .gz was
    "not a readable gzip file: ..." in a folder and "cannot read file: ..." by URL: the two
    documents.jsonl differed."""
    import gzip

    pytest.importorskip("fsspec")
    from cleaner.core.config import load_config
    from cleaner.input.read import parse_deferred, read_input
    from cleaner.input.urls import read_deferred

    whole = gzip.compress(b"A text about the river and its bridges. " * 20)
    damaged = bytearray(whole)
    for i in range(15, 40):
        damaged[i] ^= 0x55
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "damaged.txt.gz").write_bytes(bytes(damaged))
    (inp / "cut.html.gz").write_bytes(whole[:30])
    (inp / "cut.jsonl.gz").write_bytes(gzip.compress(b'{"text": "one"}\n{"text": "two"}\n')[:25])
    cfg = load_config()

    def read(where: str) -> dict[str, tuple[bool, str | None]]:
        limit = cfg["read"]["max_file_bytes"]
        return {d.id: (d.ok, d.error) for d in (parse_deferred(read_deferred(d, limit)) for d in read_input(where, cfg))}

    folder = read(str(inp))
    assert all(not ok and error.startswith(("not a readable gzip file", "line 1: not a readable gzip file"))
               for ok, error in folder.values()), folder
    assert read(inp.as_uri()) == folder


def test_state_info_names_a_state_whose_name_is_not_utf8_as_the_manifest_does(tmp_path):
    """`cleaner state info $'st\\xff.db' --json` wrote "path": "st\\udcff.db", a lone
    surrogate, which strict JSON readers (serde_json, for one) refuse; the text form wrote
    U+FFFD. Now st\\xff.db in both, as a manifest's paths are written (read.escaped_name)."""
    import json
    import os
    import subprocess

    name = os.fsdecode(b"st\xff.db")
    feed = b'{"text": "The ferry to the island runs again from Monday, the harbour board said."}\n'
    env = {**os.environ, "PYTHONUTF8": "1"}
    run = [sys.executable, "-m", "cleaner"]
    assert subprocess.run([*run, "run", "-", "--out", "-", "--state", name, "-q"], input=feed, cwd=tmp_path,
                          capture_output=True, env=env, timeout=600).returncode == 0
    shown = subprocess.run([*run, "state", "info", name, "--json"], cwd=tmp_path, capture_output=True, env=env,
                           timeout=600)
    assert shown.returncode == 0, shown.stderr
    assert b"\\udcff" not in shown.stdout
    assert json.loads(shown.stdout)["path"] == "st\\xff.db"
    text = subprocess.run([*run, "state", "info", name], cwd=tmp_path, capture_output=True, env=env, timeout=600)
    assert text.stdout.startswith(b"st\\xff.db: schema version")


def test_dir_of_the_package_lists_the_api():
    """The API is imported on first use (cleaner.__getattr__), so dir(cleaner), which
    IPython and Jupyter complete `cleaner.` from, listed ['Any', ...] without clean or
    Deduplicator."""
    import cleaner

    assert set(cleaner.__all__) <= set(dir(cleaner))
    assert all(getattr(cleaner, name) is not None for name in cleaner.__all__)


def _cli(*args: str, stdin: bytes = b"", cwd: Any = None) -> Any:
    import subprocess

    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, input=stdin, cwd=cwd,
                          timeout=600)


@pytest.mark.parametrize("column, change", [("text", "flip"), ("doc", "flip"), ("member", "flip"), ("text", 1.5),
                                            ("doc", "a string")])
def test_a_state_whose_rows_changed_under_sqlite_is_a_one_line_error(tmp_path, column, change):
    """SQLite checks its pages' structure, not a row's bytes: a flipped bit inside a stored
    row (a disk's), or a value of another type (another program's edit), opened fine and
    then failed `show`, `export` and a run with zlib's or Python's traceback. Now "state ...
    is damaged", as for SQLite's own "malformed"."""
    import json
    import sqlite3

    db = tmp_path / "news.db"
    feed = "".join(json.dumps({"id": f"d{i}", "text": f"The harbour board of town {i} met on Monday about the new "
                                                        "quay and the ferry timetable for the winter."}) + "\n"
                   for i in range(3)).encode()
    assert _cli("run", "-", "--out", "-", "--state", str(db), "-q", stdin=feed).returncode == 0
    con = sqlite3.connect(db)
    for n, blob in con.execute(f"SELECT n, {column} FROM docs WHERE {column} IS NOT NULL").fetchall():
        if change == "flip":
            damaged = bytearray(blob)
            for i in range(len(damaged) // 3, len(damaged) // 3 + 6):
                damaged[i] ^= 0xA5
            value: Any = bytes(damaged)
        else:
            value = change
        con.execute(f"UPDATE docs SET {column} = ? WHERE n = ?", (value, n))
    con.commit()
    con.close()
    more = json.dumps({"id": "x", "text": "The harbour board of town 1 met on Monday about the new quay and the "
                                          "ferry timetable for the winter."}).encode() + b"\n"
    for args, stdin in ((("show", str(db), "d1"), b""), (("export", str(db), "--out", str(tmp_path / "e")), b""),
                        (("run", "-", "--out", "-", "--state", str(db), "-q"), more)):
        proc = _cli(*args, stdin=stdin)
        err = proc.stderr.decode()
        assert proc.returncode == 2 and "Traceback" not in err, (args, err[-800:])
        assert err.strip().splitlines()[-1].startswith(f"cleaner: error: state {db} is damaged"), err


def test_a_dash_where_no_stream_is_read_or_written_is_a_one_line_error(tmp_path):
    """`--out -` is stdout, so a user may try `--state -` and `cleaner clean -`: the first
    made a state file named "-" in the current folder (which `rm -` cannot remove), the
    second said "File '-' does not exist."."""
    feed = b'{"text": "The ferry to the island runs again from Monday, the harbour board said."}\n'
    for args in (("run", "-", "--out", "-", "--state", "-"), ("run", "-", "--out", str(tmp_path / "o"), "--state", "-")):
        proc = _cli(*args, stdin=feed, cwd=tmp_path)
        assert proc.returncode == 2 and b"--state - is not stdin or stdout" in proc.stderr, proc.stderr
        assert not (tmp_path / "-").exists() and not (tmp_path / "o").exists()
    proc = _cli("clean", "-", stdin=b"Some text.\n", cwd=tmp_path)
    assert proc.returncode == 2 and b"clean reads a file, not stdin" in proc.stderr, proc.stderr
    # A file the user named "-" is still read as a file (of no type cleaner reads).
    (tmp_path / "-").write_text("The ferry to the island runs again from Monday.\n")
    proc = _cli("clean", "-", cwd=tmp_path)
    assert proc.returncode == 1 and b"unsupported file type" in proc.stdout, proc.stderr


def test_a_spool_written_by_threads_gives_back_each_document(tmp_path):
    """A Dask worker started as `dask worker ADDRESS` runs tasks in threads (one per core by
    default), and the stages, the spool with them, are scattered once: its threads shared
    one segment, each taking an offset, then appending, then moving the end. Two puts took
    the same offset: `cleaner run --engine dask --scheduler ...` on a worker of 4 threads
    ended with "OverflowError: Python int too large to convert to C ssize_t" reading its
    documents back (review-20; a wrong document would be worse)."""
    import json
    import threading

    from cleaner.core.document import Document
    from cleaner.store.spool import Spool

    with Spool(str(tmp_path)) as spool:
        refs: dict[str, int] = {}
        arrays: dict[str, int] = {}
        start = threading.Barrier(4)

        def put(t: int) -> None:
            start.wait()
            for i in range(150):
                doc = Document(id=f"t{t}-{i}", source="s", text=f"Text {t} {i} " * (1 + i % 7))
                refs[doc.id] = spool.put(doc)
                arrays[doc.id] = spool.put_arrays([np.arange(i % 11 + t, dtype=np.uint32)])[0]

        threads = [threading.Thread(target=put, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(refs) == 600
        for doc_id, ref in refs.items():
            assert spool.get(ref).id == doc_id
            assert spool.get_parts(ref)[1] == json.dumps(f"Text {doc_id[1:].replace('-', ' ')} " * (1 + int(doc_id.split('-')[1]) % 7)).encode()
            t, i = (int(x) for x in doc_id[1:].split("-"))
            assert spool.get_array(arrays[doc_id]).tolist() == list(range(i % 11 + t))


def test_a_stream_into_a_state_says_its_record_count_is_the_states(tmp_path):
    """The summary of `run - --out - --state STATE` counts the state's records (a stream
    has no end), but said "-> 6 records on stdout" after writing 3 rows of 3 records."""
    import json

    def feed(first: int) -> bytes:  # six stories that share no word
        words = lambda i: " ".join(f"w{i}x{k}" for k in range(40))  # noqa: E731
        return "".join(json.dumps({"text": words(i)}) + "\n" for i in range(first, first + 3)).encode()

    db = tmp_path / "news.db"
    assert _cli("run", "-", "--out", "-", "--state", str(db), stdin=feed(0)).returncode == 0
    proc = _cli("run", "-", "--out", "-", "--state", str(db), stdin=feed(100))
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 3
    summary = proc.stderr.decode().strip().splitlines()[-1]
    assert f"-> 6 records in {db}, rows on stdout (" in summary and "1 batch(es))" in summary, summary


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_a_text_whose_lines_end_in_unicode_separators_is_read_as_lines(tmp_path, separator):
    """scrub made "newlines only as \\n" of \\r\\n and \\r, not of U+2028 / U+2029 (LINE and
    PARAGRAPH SEPARATOR, a JavaScript or CMS export's line breaks): such a text was one line
    to the rules and kept "Subscribe to our newsletter" and "Cookie settings"."""
    import importlib.util
    import json

    from cleaner import clean
    from cleaner.core.config import load_config
    from cleaner.input.read import read_input

    lines = ["The harbour board met on Monday to discuss the new quay for the ferries and the fishing fleet.",
             "Subscribe to our newsletter",
             "The quay will cost twelve million euros and open in the spring of next year, the board said."]
    want = clean([{"id": "n", "text": "\n".join(lines)}]).documents[0]
    assert [r["rule"] for r in want["removed"]] == ["promo.newsletter"]
    got = clean([{"id": "n", "text": separator.join(lines)}]).documents[0]
    assert (got["text"], got["removed"]) == (want["text"], want["removed"])
    (tmp_path / "a.txt").write_text(separator.join(lines), encoding="utf-8")
    # A .json file's strings may hold them raw (valid JSON): still read, as the item above.
    (tmp_path / "b.json").write_text(json.dumps({"text": separator.join(lines)}, ensure_ascii=False), encoding="utf-8")
    cfg = load_config()
    docs = {d.source: d for d in read_input(tmp_path, cfg)}
    assert docs["a.txt"].text == docs["b.json"].text == "\n".join(lines)
    if importlib.util.find_spec("fsspec"):  # the same folder named by a URL
        from cleaner.input.read import parse_deferred
        from cleaner.input.urls import read_deferred

        limit = cfg["read"]["max_file_bytes"]
        by_url = {d.source: d.text for d in (parse_deferred(read_deferred(d, limit))
                                             for d in read_input(tmp_path.as_uri(), cfg))}
        assert by_url == {source: d.text for source, d in docs.items()}
    # An id keeps it: the ids of documents read before do not change.
    assert clean([{"id": f"a{separator}b", "text": "\n".join(lines)}]).documents[0]["id"] == f"a{separator}b"
