"""review-18: defects found reviewing session 17's commits and carried from earlier
sessions. Each test fails without its fix."""

import json
import os
import sys
from array import array

from cleaner.core.document import Document
from cleaner.inspect.report_rows import stored_pieces
from cleaner.store import spool as spool_module
from cleaner.store.spool import Spool

# --- the spool: a read that returns less than asked ----------------------------------------


def test_the_spool_reads_a_frame_or_an_array_whole_when_a_read_returns_less(tmp_path, monkeypatch):
    """One os.pread returns at most 0x7ffff000 bytes on Linux: a document frame (or its row
    parts, or an array) over 2 GiB came back cut (a pickle that failed to load; an array
    silently short of its values). Simulated with reads of at most 1,000 bytes."""
    doc = Document(id="x", source="s", text="Long text, much longer than one read. " * 2000, title="T")
    values = array("I", range(5000)).tobytes()
    real = os.pread

    def short(fd, size, offset):
        return real(fd, min(size, 1000), offset)

    with Spool(str(tmp_path)) as spool:
        ref = spool.put(doc)
        (arrays,) = spool.put_arrays([values])
        monkeypatch.setattr(spool_module.os, "pread", short)
        assert spool.get(ref).text == doc.text
        assert spool.get_parts(ref) == doc.json_parts()
        assert spool.get_report_pieces(ref) == stored_pieces(doc)
        assert spool.get_array(arrays).tobytes() == values


# --- export: the parents of --out it made ---------------------------------------------------


def test_an_interrupted_export_removes_the_parent_folders_it_made_too(tmp_path):
    """`cleaner export S --out new/deeper/out` stopped by Ctrl-C or SIGTERM removed `out`
    (attack-17) but left `new/deeper`, folders the user never had (mkdir(parents=True))."""
    import subprocess

    from hostile_folder import EN
    from test_user_attacks import run_cli

    db = tmp_path / "s.db"
    lines = "".join(json.dumps({"id": f"d{i}", "text": f"{EN} Report {i}."}) + "\n" for i in range(3))
    assert run_cli("run", "-", "--out", "-", "--state", str(db), "-q", stdin=lines).returncode == 0
    kept = tmp_path / "kept"
    kept.mkdir()
    stop = ("import sys\nfrom cleaner.store import output\n"
            "def stopped(*args, **kwargs):\n    raise KeyboardInterrupt\n"
            "output.write_outputs = stopped\nfrom cleaner.cli import main\nmain(sys.argv[1:])\n")
    out = kept / "new" / "deeper" / "out"
    proc = subprocess.run([sys.executable, "-c", stop, "export", str(db), "--out", str(out), "-q"],
                          capture_output=True, timeout=300)
    assert proc.returncode == 130 and b"interrupted" in proc.stderr, proc.stderr
    assert kept.is_dir() and not (kept / "new").exists()  # the user's folder stays; the export's go


# --- a whole number written as a float is an id ----------------------------------------------


def test_a_whole_number_id_written_as_a_float_is_kept(tmp_path):
    """`{"id": 7.0}` (pandas writes an integer column with a gap as floats) was ignored as
    "input id of type number" and the line got a generated id, while 7 is kept as "7"; a
    gold file's 7.0 was refused ('must be a string or integer'), so the two never met."""
    from cleaner.input.read import from_record
    from cleaner.inspect.evaluate import load_gold

    assert from_record({"id": 7.0, "text": "Some text."}, "f:1", "f.jsonl", 1).id == "7"
    assert from_record({"id": 7, "text": "Some text."}, "f:1", "f.jsonl", 1).id == "7"
    half = from_record({"id": 7.5, "text": "Some text."}, "f:1", "f.jsonl", 1)
    assert half.id != "7.5" and half.meta["id"] == "input id 7.5 ignored (not a whole number)"
    assert from_record({"id": float("nan"), "text": "Some text."}, "f:1", "f.jsonl", 1).meta["id"] \
        == "input id nan ignored (not a whole number)"
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": 7.0, "label": 3.0}\n{"id": "8", "label": 3}\n', encoding="utf-8")
    assert load_gold(gold) == {"7": "3", "8": "3"}


# --- a UTF-16 line inside a JSONL file -------------------------------------------------------


def test_a_utf16_line_inside_jsonl_is_one_rejected_row_and_the_next_line_is_read(tmp_path):
    """A line appended in UTF-16-LE (a Windows tool's `>>`) ends "\\n\\x00": the NUL after its
    line break opened the next line, so a good UTF-8 line after it was rejected as not JSON,
    and at the file's end the NUL alone was a row for a line the file does not have."""
    from cleaner.core.config import load_config
    from cleaner.input.read import parse_deferred, read_input

    def line(i, encoding="utf-8"):
        return (json.dumps({"id": f"u{i}", "text": f"Line {i} of the feed, about the harbour."}) + "\n").encode(encoding)

    feed = tmp_path / "in"
    feed.mkdir()
    (feed / "mixed.jsonl").write_bytes(line(1) + line(2, "utf-16-le") + line(3))
    (feed / "ends.jsonl").write_bytes(line(4) + line(5, "utf-16-le"))
    (feed / "all16.jsonl").write_bytes(line(6, "utf-16-le") + line(7, "utf-16-le"))
    got = [(d.id, d.ok, d.line) for d in map(parse_deferred, read_input(feed, load_config()))]
    assert got == [("all16:1", False, 1), ("all16:2", False, 2),
                   ("u4", True, 1), ("ends:2", False, 2),
                   ("u1", True, 1), ("mixed:2", False, 2), ("u3", True, 3)], got
    rejected = [d.error for d in map(parse_deferred, read_input(feed, load_config())) if not d.ok]
    assert all("UTF-16 or UTF-32 without a byte order mark" in e for e in rejected), rejected


# --- a .gz with data after its gzip data ------------------------------------------------------


def test_a_gz_with_trailing_data_keeps_what_it_holds_and_says_so(tmp_path):
    """gunzip reads a .gz followed by data that is not gzip ("trailing garbage ignored"):
    cleaner rejected such an article whole ("not a readable gzip file: Not a gzipped file
    (b'JU')"), and named a feed's tail as if the file were unreadable. A damaged member, a
    cut one, or a file that is not gzip at all still fail as before."""
    import gzip

    from cleaner.core.config import load_config
    from cleaner.input.read import parse_deferred, read_input

    page = b"<html><body><article><p>" + b"The harbour board met on Monday about the new quay. " * 8 + b"</p></article></body></html>"
    feed = "".join(json.dumps({"id": f"f{i}", "text": f"Line {i} of the feed, about the quay."}) + "\n" for i in range(2))
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.html.gz").write_bytes(gzip.compress(page) + b"JUNK after it")
    (inp / "b.jsonl.gz").write_bytes(gzip.compress(feed.encode()) + b"GARBAGE\n")
    (inp / "c.html.gz").write_bytes(gzip.compress(page)[:-30])  # cut: still unreadable
    (inp / "d.html.gz").write_bytes(page)  # not gzip at all
    (inp / "e.html.gz").write_bytes(gzip.compress(page) + gzip.compress(page) + b"\0" * 64)  # two members, padding
    (inp / "list.json.gz").write_bytes(gzip.compress(json.dumps([{"id": "j1", "text": "One."}, {"id": "j2", "text": "Two."}]).encode())
                                       + b"\xff\xfe tail")
    got = {d.id: d for d in map(parse_deferred, read_input(inp, load_config()))}
    assert got["a"].ok and got["a"].html.endswith("</html>") and got["a"].meta == {
        "gzip": "data after the end of the gzip data, which is not gzip, was not read"}
    assert got["f0"].ok and got["f1"].ok
    assert got["b:3"].line == 3 and got["b:3"].error == "line 3: data after the end of the gzip data, which is not gzip, was not read"
    assert got["c"].error.startswith("not a readable gzip file: Compressed file ended")
    assert got["d"].error.startswith("not a readable gzip file: Not a gzipped file")
    assert got["e"].ok and got["e"].html == (page + page).decode() and got["e"].meta == {}
    assert [got[j].meta for j in ("j1", "j2")] == [{"gzip": "data after the end of the gzip data, which is not gzip, was not read"}] * 2
    assert len(got) == 9


# --- a hand-edited run with half of a UTF-16 pair ---------------------------------------------


def test_a_run_row_holding_a_lone_surrogate_is_a_one_line_error(tmp_path):
    """A documents.jsonl row edited by hand (or rewritten by a tool with ensure_ascii) to hold
    "\\ud800": `cleaner show OUT ID` ended in UnicodeEncodeError's traceback when it printed
    the row. cleaner never writes one (input/read.scrub): the row is not one it wrote. A whole
    pair ("\\ud83d\\ude00") is a character like any other."""
    from hostile_folder import EN
    from test_user_attacks import one_line_error, run_cli

    inp, out = tmp_path / "in.jsonl", tmp_path / "out"
    inp.write_text("".join(json.dumps({"id": f"d{i}", "text": f"{EN} Report {i}."}) + "\n" for i in range(2)),
                   encoding="utf-8")
    assert run_cli("run", str(inp), "--out", str(out), "-q").returncode == 0
    rows = [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    rows[1]["title"] = "Paired \U0001F600"
    written = [json.dumps(r) for r in rows]  # ensure_ascii: the pair as two escapes
    (out / "documents.jsonl").write_text("\n".join(written) + "\n", encoding="utf-8")
    assert b"Paired \xf0\x9f\x98\x80" in run_cli("show", str(out), "d1").stdout
    rows[1]["title"] = "Half \ud800 a pair"
    (out / "documents.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    one_line_error(run_cli("show", str(out), "d1"), "documents.jsonl line 2 holds a lone surrogate",
                   "not a row cleaner wrote")


# --- a FIFO where a cached table is looked for -------------------------------------------------


def test_a_fifo_in_the_cache_folder_is_not_waited_on(tmp_path):
    """A FIFO under a cached table's name in the cache folder (a user's mistake, another
    tool's pipe): read_table's open() waited for a writer for ever, so every run hung in
    its first stage's setup. Refused without blocking, and the table is written over it."""
    import subprocess

    from cleaner.core import table_cache

    cache = tmp_path / "cache"
    cache.mkdir()
    env = {**os.environ, "CLEANER_CACHE_DIR": str(cache)}
    probe = ("from cleaner.core.table_cache import cache_path, read_table, write_table\n"
             "print(read_table('probe', 's'))\n"
             "write_table('probe', 's', {}, [b'abc'])\n"
             "print(bytes(read_table('probe', 's')[1]))\n")
    os.mkfifo(cache / f"probe-v{table_cache.FORMAT}.table")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert done.stdout.split("\n")[:2] == ["None", "b'abc'"], done.stderr


# --- a .json file's encoding ----------------------------------------------------------------


def test_the_records_of_a_legacy_encoded_json_file_say_its_encoding(tmp_path):
    """A .txt in cp1252 says meta.encoding = cp1252; the records of a .json file in cp1252 said
    nothing (the note was made on the file's document, which a .json file never yields)."""
    from cleaner.core.config import load_config
    from cleaner.input.read import read_input

    text = "Caf\u00e9 cr\u00e8me \u00e0 la fran\u00e7aise, d\u00e9j\u00e0 vu au march\u00e9. " * 6
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "list.json").write_bytes(json.dumps([{"id": "j1", "text": text}, {"id": "j2", "text": text + "!"}],
                                               ensure_ascii=False).encode("cp1252"))
    (inp / "one.txt").write_bytes(text.encode("cp1252"))
    (inp / "utf8.json").write_text(json.dumps({"id": "j3", "text": text}, ensure_ascii=False), encoding="utf-8")
    got = {d.id: d for d in read_input(inp, load_config())}
    assert got["one"].meta == {"encoding": "cp1252"}
    assert got["j1"].meta == got["j2"].meta == {"encoding": "cp1252"} and got["j1"].text == text
    assert got["j3"].meta == {}
    by_url = {d.id: d for d in read_input(f"file://{inp}", load_config())}  # input/urls.py: the same
    assert by_url["j1"].meta == by_url["j2"].meta == {"encoding": "cp1252"} and by_url["j3"].meta == {}
