"""review-19: defects found reviewing session 18's commits and attacking the product.
Each test fails without its fix."""

import gzip
import json

import pytest

# --- a .gz read through a URL (input/urls.py) as a folder's is -----------------------------


def test_a_gz_read_through_a_url_is_read_as_the_folders_own(tmp_path):
    """9673675 taught the folder reader to read a .gz as gunzip does (data after its gzip data
    ignored and said): the same folder named by a file:// URL still rejected the article whole
    ("cannot read file: Not a gzipped file") and a feed's tail differently; and a damaged
    member there (zlib.error, not an OSError) was "read failed (internal error, a bug)"."""
    pytest.importorskip("fsspec")
    from cleaner.core.config import load_config
    from cleaner.input.read import parse_deferred, read_input
    from cleaner.input.urls import read_deferred

    page = b"<html><body><article><p>" + b"The harbour board met on Monday about the new quay. " * 8 + b"</p></article></body></html>"
    feed = "".join(json.dumps({"id": f"f{i}", "text": f"Line {i} of the feed, about the quay."}) + "\n" for i in range(2))
    damaged = bytearray(gzip.compress(page))
    for i in range(15, 40):
        damaged[i] ^= 0x55
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.html.gz").write_bytes(gzip.compress(page) + b"JUNK after it")
    (inp / "b.jsonl.gz").write_bytes(gzip.compress(feed.encode()) + b"GARBAGE\n")
    (inp / "c.txt.gz").write_bytes(bytes(damaged))
    (inp / "list.json.gz").write_bytes(gzip.compress(json.dumps([{"id": "j1", "text": "One."}]).encode()) + b"tail")
    cfg = load_config()

    def read(where):
        limit = cfg["read"]["max_file_bytes"]
        return {d.id: (d.ok, d.meta, d.error) for d in (parse_deferred(read_deferred(d, limit)) for d in read_input(where, cfg))}

    folder, url = read(inp), read(inp.as_uri())
    assert folder["a"] == (True, {"gzip": "data after the end of the gzip data, which is not gzip, was not read"}, None)
    assert folder["c"][0] is False and "internal" not in folder["c"][2]
    assert url.keys() == folder.keys()
    for key in ("a", "b:3", "f0", "f1", "j1"):
        assert url[key] == folder[key], key
    assert url["c"][0] is False and "while decompressing data" in url["c"][2]


# --- a name that is not UTF-8 in the manifest ---------------------------------------------


def _cli(*args, cwd=None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, cwd=cwd, timeout=600)


def test_an_input_folder_named_in_bytes_that_are_not_utf8_gives_a_run(tmp_path):
    """`cleaner run $'in\\xff' --out OUT`: every document was processed, then writing the
    outputs failed with UnicodeEncodeError's traceback (the manifest's "input", a lone
    surrogate from the command line) and no output was left. The name is written as the
    sources are (input/read.rel_name: in\\\\xff), and `report` prints it."""
    import os

    folder = os.path.join(os.fsencode(tmp_path), b"in\xff")
    os.mkdir(folder)
    with open(os.path.join(folder, b"a.txt"), "w") as fh:
        fh.write("A title\n\nA body about the harbour board meeting on Monday.\n")
    out = tmp_path / "out"
    run = _cli("run", os.fsdecode(folder), "--out", str(out), "-q")
    assert run.returncode == 0, run.stderr.decode()[-800:]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["input"].endswith("in\\xff")
    report = _cli("report", str(out))
    assert report.returncode == 0 and b"in\\xff" in report.stdout, report.stderr.decode()[-800:]


def test_a_hand_edited_manifest_with_a_lone_surrogate_is_a_one_line_error(tmp_path):
    """17f4162 made a documents.jsonl or records.jsonl row holding half of a UTF-16 pair a
    one-line error; the manifest's own strings were still printed by `report` into
    UnicodeEncodeError's traceback."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("A title\n\nA body about the harbour board meeting on Monday.\n")
    out = tmp_path / "out"
    assert _cli("run", str(tmp_path / "in"), "--out", str(out), "-q").returncode == 0
    path = out / "manifest.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"input": "', '"input": "\\ud800', 1), encoding="utf-8")
    for args in (("report", str(out)), ("report", str(out), "--json"), ("show", str(out), "a")):
        got = _cli(*args)
        err = got.stderr.decode()
        assert got.returncode == 2 and "Traceback" not in err and "lone surrogate" in err, (args, err[-600:])


# --- prune: an undated record stays, whatever the day ---------------------------------------


def test_prune_before_a_day_of_the_year_9999_keeps_undated_records(tmp_path):
    """An undated document counted as the text '9999' in prune's comparison, and '9999' <
    '9999-12-31' as text: `state prune --before 9999-12-31` (a far day, to prune every dated
    record) removed every undated record too, which README and --help say stay whole."""
    feed = "".join(json.dumps({"id": f"d{i}", "text": f"Story {i}: the harbour board met about quay number {i} today."}) + "\n"
                   for i in range(3))
    state = tmp_path / "s.db"
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state", str(state)],
                         input=feed.encode(), capture_output=True, timeout=600)
    assert run.returncode == 0, run.stderr.decode()[-600:]
    for day in ("9999-01-01", "9999-12-31"):
        got = _cli("state", "prune", str(state), "--before", day)
        assert got.returncode == 0 and got.stdout.decode().startswith("pruned 0 records"), (day, got.stdout, got.stderr)
    assert _cli("show", str(state), "d1").returncode == 0


# --- show's guesses: one rule for a run folder and a state ----------------------------------


def test_show_guesses_the_same_ids_in_a_run_and_in_its_state(tmp_path):
    """8ec6385 and 1257aab guess what a user meant by an id that names nothing, in two copies
    of the rule that differed: a state missed the path of a .gz ('in/a.txt.gz': one suffix
    stripped), a run folder the bare name with its extension ('a.txt')."""
    import gzip

    inp = tmp_path / "in"
    (inp / "wires").mkdir(parents=True)
    (inp / "wires" / "a.txt.gz").write_bytes(gzip.compress(b"A title\n\nThe harbour board met on Monday about the quay.\n"))
    (inp / "b.txt").write_text("B title\n\nThe school board met on Tuesday about the roof.\n")
    out, state = tmp_path / "out", tmp_path / "s.db"
    assert _cli("run", str(inp), "--out", str(out), "--state", str(state), "-q").returncode == 0
    for typed, meant in ((str(inp / "wires" / "a.txt.gz"), "wires/a"), ("wires/a.txt.gz", "wires/a"), ("a.txt", "wires/a"),
                         ("a", "wires/a"), (str(inp / "b.txt"), "b"), ("in/b", "b")):
        for where in (out, state):
            got = _cli("show", str(where), typed)
            assert got.returncode == 2 and f"did you mean '{meant}'?" in got.stderr.decode(), (typed, where, got.stderr)


# --- a reader of a state sees one committed batch, whatever a run commits meanwhile --------


def test_a_state_reader_sees_one_snapshot_while_a_run_commits(tmp_path):
    """README: readers (show, export, state info) "work during a run and see the last
    committed batch". Each of a reader's queries was its own transaction: `cleaner export`
    while `run --state` committed batches read a record's groups after a batch had moved
    them to another record, and failed with IndexError's traceback (story_records).
    Here a batch is committed between two reads of one reader."""
    from cleaner.api import Deduplicator
    from cleaner.cli_state import _reader

    state = tmp_path / "s.db"
    items = [{"id": f"d{i}", "text": f"Story {i}: the harbour board met about quay number {i} on Monday."} for i in range(4)]
    with Deduplicator(state=state) as dedup:
        list(dedup.add(items[:2]))
        reader = _reader(state)
        try:
            before = list(reader.roots())
            list(dedup.add(items[2:]))  # committed while the reader reads
            assert list(reader.roots()) == before
            assert reader.root_of_doc("d3") is None
        finally:
            reader.close()
