"""attack-14: a demanding new user's mistakes against the CLI, the stream, the API and the
inspection verbs. Each test fails without its fix."""

import json
import os
import subprocess
import sys
import warnings

import pytest

import cleaner.api as api
from cleaner.exec.local import worker_limit
from hostile_folder import EN
from test_user_attacks import one_line_error, run_cli


# --- the API's workers: capped as --workers is, and said so ----------------------------------

def test_clean_with_a_million_workers_is_capped_with_a_warning_not_a_million_processes(monkeypatch):
    """clean(workers=10**6) started a pool of 10**6 processes (LocalExecutor was given the
    number as it came): the machine ran out of memory. It is lowered as --workers is."""
    seen = []

    def fake_run(docs, cfg, workers=1, **kw):  # never start the pool: record what it would get
        seen.append(workers)
        raise RuntimeError("stop")

    monkeypatch.setattr(api, "run_documents", fake_run)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="stop"):
            api.clean([{"id": "a", "text": EN}], workers=10**6)
    assert seen == [worker_limit()]
    assert any("more than 4 per core" in str(w.message) and str(worker_limit()) in str(w.message) for w in caught)


def test_deduplicator_with_a_million_workers_is_capped_with_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dedup = api.Deduplicator(workers=10**6)
    try:
        assert dedup._executor.workers == worker_limit()  # the pool it would start
    finally:
        dedup.close()
    assert any("more than 4 per core" in str(w.message) for w in caught)


@pytest.mark.parametrize("bad", [-1, 1.5, "4", True])
def test_clean_refuses_workers_that_are_not_a_count(bad):
    with pytest.raises(ValueError, match="workers must be an integer"):
        api.clean([{"id": "a", "text": EN}], workers=bad)


# --- the API's state path -------------------------------------------------------------------

def test_deduplicator_expands_a_tilde_in_state(tmp_path, monkeypatch):
    """state="~/news.db" made a folder named "~" in the working directory."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    with api.Deduplicator(state="~/news.db") as dedup:
        rows = list(dedup.add([{"id": "a", "text": EN}]))
    assert rows[0]["status"] == "kept"
    assert (home / "news.db").is_file()
    assert not (work / "~").exists()


# --- a 0-byte file as a state ---------------------------------------------------------------

def test_an_empty_file_given_as_state_is_refused_in_one_line(tmp_path):
    """`--state rows.jsonl > rows.jsonl`: the shell made the file empty, and the run silently
    turned the user's file into a state."""
    empty = tmp_path / "rows.jsonl"
    empty.write_bytes(b"")
    line = json.dumps({"id": "a", "text": EN}) + "\n"
    one_line_error(run_cli("run", "-", "--out", "-", "--state", str(empty), stdin=line), str(empty), "empty file")
    src = tmp_path / "in.jsonl"
    src.write_text(line)
    one_line_error(run_cli("run", str(src), "--out", str(tmp_path / "out"), "--state", str(empty)),
                   str(empty), "empty file")
    assert empty.stat().st_size == 0
    from cleaner.store.state import StateError
    with pytest.raises(StateError, match="empty file"):
        api.Deduplicator(state=empty)
    assert empty.stat().st_size == 0


# --- rule_files = [] ------------------------------------------------------------------------

def test_rule_files_empty_runs_without_rules(tmp_path):
    """`rule_files = []` stopped with "boilerplate.certain_categories: no rule has the
    category 'consent'", a key the user never wrote."""
    cfg = tmp_path / "norules.toml"
    cfg.write_text("[boilerplate]\nrule_files = []\n")
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(EN + "\nWe use cookies to count visits.\n")
    proc = run_cli("run", str(src), "--out", str(tmp_path / "out"), "--config", str(cfg), "-q")
    assert proc.returncode == 0, proc.stderr.decode()
    row = json.loads((tmp_path / "out" / "documents.jsonl").read_text())
    assert row["status"] == "kept" and row["removed"] == []
    result = api.clean([{"id": "a", "text": EN}], config={"boilerplate": {"rule_files": []}})
    assert result.counts["kept"] == 1


def test_rule_files_empty_with_certain_categories_says_why(tmp_path):
    cfg = tmp_path / "norules.toml"
    cfg.write_text('[boilerplate]\nrule_files = []\ncertain_categories = ["consent"]\n')
    one_line_error(run_cli("run", str(cfg), "--out", str(tmp_path / "out"), "--config", str(cfg)),
                   "boilerplate.certain_categories", "rule_files is empty", "certain_categories = []")


# --- an empty path argument -----------------------------------------------------------------

@pytest.mark.parametrize("args", [["report", ""], ["show", "", "x"], ["explain", "", "a", "b"],
                                  ["state", "info", ""], ["export", "", "--out", "e"]])
def test_an_empty_path_is_refused_not_read_as_the_current_folder(tmp_path, args):
    """`cleaner report ""` (an unset shell variable) said ". is not a cleaner output folder"."""
    err = one_line_error(run_cli(*args, cwd=tmp_path), "is empty")
    assert " . " not in err


def test_run_with_out_empty_writes_nothing_into_the_current_folder(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": EN}) + "\n")
    work = tmp_path / "work"
    work.mkdir()
    one_line_error(run_cli("run", str(src), "--out", "", "-q", cwd=work), "--out", "is empty")
    assert list(work.iterdir()) == []


# --- another version's output folder --------------------------------------------------------

def test_a_row_missing_a_field_reads_as_another_versions_output(tmp_path):
    """An older version's folder (rows without 'lang_reason') read "not a row cleaner
    wrote", which sounds like damage."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": EN}) + "\n")
    out = tmp_path / "out"
    assert run_cli("run", str(src), "--out", str(out), "-q").returncode == 0
    docs = out / "documents.jsonl"
    rows = [json.loads(line) for line in docs.read_text().splitlines()]
    for row in rows:
        del row["lang_reason"]
    docs.write_text("".join(json.dumps(row) + "\n" for row in rows))
    for args in (["report", str(out)], ["show", str(out), "a"]):
        err = one_line_error(run_cli(*args), "has no 'lang_reason'", "another version's output")
        assert "not a row cleaner wrote" not in err


# --- a broken .jsonl.gz ---------------------------------------------------------------------

@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_jsonl_gz_broken_at_its_first_bytes_is_rejected_alone(tmp_path, workers):
    """A .jsonl.gz whose gzip header is followed by garbage: peeking for a BOM raised
    EOFError, which click turned into "cleaner: error: aborted" for the whole run."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "bad.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (src / "good.txt").write_text(EN)
    out = tmp_path / "out"
    proc = run_cli("run", str(src), "--out", str(out), "-q", "--workers", workers)
    assert proc.returncode == 0, proc.stderr.decode()
    rows = {r["id"]: r for r in map(json.loads, (out / "documents.jsonl").read_text().splitlines())}
    assert rows["good"]["status"] == "kept"
    assert rows["bad:1"]["status"] == "rejected" and "not a readable gzip file" in rows["bad:1"]["error"]


def test_show_state_of_a_renamed_id_does_not_also_say_never_added(tmp_path):
    """It said "(shared by several inputs, it was renamed: ...) (never added, or removed by
    `cleaner state prune`)": two explanations, the second wrong."""
    db = tmp_path / "s.db"
    lines = [json.dumps({"id": "dup", "text": EN}), json.dumps({"id": "dup", "text": "Paris and Berlin talks on Friday."})]
    assert run_cli("run", "-", "--out", "-", "--state", str(db), "-q", stdin="\n".join(lines) + "\n").returncode == 0
    err = one_line_error(run_cli("show", str(db), "dup"), "it was renamed: dup@<stdin>:1, dup@<stdin>:2")
    assert "never added" not in err


def test_config_path_with_a_tilde_is_the_users(tmp_path, monkeypatch):
    """config="~/my.toml" was read as ./~/my.toml: "no such file"."""
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "my.toml").write_text("[near]\nthreshold = 0.9\n")
    assert api.get_config("~/my.toml")["near"]["threshold"] == 0.9


def test_batch_events_of_a_closed_deduplicator_is_an_error_as_events_is():
    dedup = api.Deduplicator()
    with dedup:
        list(dedup.add([{"id": "a", "text": EN}]))
        assert dedup.batch_events
    with pytest.raises(RuntimeError, match="closed"):
        dedup.batch_events


def test_explain_given_a_record_id_says_it_is_one(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": EN}) + "\n" + json.dumps({"id": "b", "text": EN + " Again."}) + "\n")
    out = tmp_path / "out"
    assert run_cli("run", str(src), "--out", str(out), "-q").returncode == 0
    rec = json.loads((out / "records.jsonl").read_text().splitlines()[0])["record_id"]
    one_line_error(run_cli("explain", str(out), rec, "a"), "it is a record's id")


# --- a configuration saved by a Windows editor ----------------------------------------------

def test_a_config_with_a_utf8_bom_is_read(tmp_path):
    """Notepad's UTF-8 opens with a BOM: tomllib said "Invalid statement (at line 1, column 1)"."""
    from cleaner.core.config import load_config

    cfg = tmp_path / "bom.toml"
    cfg.write_bytes(b"\xef\xbb\xbf[near]\nthreshold = 0.5\n")
    assert load_config(cfg)["near"]["threshold"] == 0.5


def test_a_utf16_config_says_so(tmp_path):
    cfg = tmp_path / "u16.toml"
    cfg.write_text("[near]\nthreshold = 0.5\n", encoding="utf-16")
    one_line_error(run_cli("run", str(cfg), "--out", str(tmp_path / "o"), "--config", str(cfg)), "UTF-16", "save it as UTF-8")


# --- a closed stdin or stdout ---------------------------------------------------------------

def _run_closed(fd, *args, stdin_file=None):
    def close():
        os.close(fd)
    with open(stdin_file or os.devnull, "rb") as fh:
        return subprocess.run([sys.executable, "-m", "cleaner", *args], stdin=fh, stderr=subprocess.PIPE,
                              stdout=subprocess.PIPE if fd != 1 else None, preexec_fn=close, timeout=300)


def test_run_stdin_closed_is_a_one_line_error(tmp_path):
    """`cleaner run - --out - <&-`: AttributeError: 'NoneType' object has no attribute 'isatty'."""
    proc = _run_closed(0, "run", "-", "--out", "-", "--state", str(tmp_path / "s.db"))
    one_line_error(proc, "stdin is closed")
    assert not (tmp_path / "s.db").exists()


def test_run_stdout_closed_is_a_one_line_error_before_any_work(tmp_path):
    """`cleaner run - --out - >&-`: the whole input was processed, then AttributeError:
    'NoneType' object has no attribute 'buffer'."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": EN}) + "\n")
    proc = _run_closed(1, "run", "-", "--out", "-", "--state", str(tmp_path / "s.db"), stdin_file=src)
    one_line_error(proc, "stdout is closed")
    assert not (tmp_path / "s.db").exists()


def test_an_add_loop_stopped_inside_a_committed_batch_warns():
    """A `break` in `for row in dedup.add(items)` left the rest of a committed batch unread
    without a word (the CLI's stream says so when its reader goes: README)."""
    items = ({"id": f"x{i}", "text": f"{EN} Item {i}."} for i in range(12))
    with api.Deduplicator(batch_size=5) as dedup:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows = dedup.add(items)
            for i, _ in enumerate(rows):
                if i == 6:
                    break
            rows.close()
        assert any("stopped after row 2 of a batch of 5" in str(w.message) for w in caught), caught
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a loop read to its end says nothing
            assert len(list(dedup.add([{"id": "y", "text": EN}]))) == 1


def test_state_info_on_a_run_folder_says_what_it_is(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": EN}) + "\n")
    out = tmp_path / "out"
    assert run_cli("run", str(src), "--out", str(out), "-q").returncode == 0
    one_line_error(run_cli("state", "info", str(out)), "run's output folder", "cleaner report")
    one_line_error(run_cli("export", str(out), "--out", str(tmp_path / "e")), "run's output folder")


def test_resume_without_a_checkpoint_says_it_is_a_whole_run(tmp_path):
    """`--resume` into a fresh folder said "resuming: the checkpoint holds 0 processed
    documents", of a checkpoint that never was."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": EN}) + "\n")
    proc = run_cli("run", str(src), "--out", str(tmp_path / "out"), "--resume")
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "no interrupted run's checkpoint" in err and "checkpoint holds" not in err


def test_config_given_as_an_empty_string_says_so():
    """config="" was read as the current folder: "/work/x: (file): is a folder, not a file"."""
    with pytest.raises(ValueError, match="empty string"):
        api.clean([{"id": "a", "text": EN}], config="")


def test_explain_of_two_textless_documents_of_an_export_reads_as_english(tmp_path):
    db = tmp_path / "s.db"
    lines = [json.dumps({"id": i, "text": EN + " Again."}) for i in ("a", "b")] + [json.dumps({"id": "c", "text": EN})]
    assert run_cli("run", "-", "--out", "-", "--state", str(db), "-q", stdin="\n".join(lines) + "\n").returncode == 0
    assert run_cli("export", str(db), "--out", str(tmp_path / "e"), "-q").returncode == 0
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "e" / "documents.jsonl").read_text().splitlines())}
    textless = sorted(i for i, r in rows.items() if not r["text"])
    assert len(textless) == 2, rows
    out = run_cli("explain", str(tmp_path / "e"), *textless).stdout.decode()
    assert f"{textless[0]} and {textless[1]} have no text" in out, out


# --- a FIFO where a run or a state is expected ----------------------------------------------

@pytest.mark.parametrize("verb", [["show", "{p}", "x"], ["report", "{p}"], ["explain", "{p}", "a", "b"],
                                  ["eval", "{p}", "{gold}"]])
def test_a_fifo_given_as_out_is_an_error_not_a_wait(tmp_path, verb):
    """`cleaner show FIFO ID` (and report, explain, eval) opened the FIFO to see whether it
    was a state, and waited for a writer forever."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    gold = tmp_path / "gold.csv"
    gold.write_text("id,label\na,1\n")
    args = [a.format(p=fifo, gold=gold) for a in verb]
    try:
        proc = run_cli(*args, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"cleaner {' '.join(verb)} waited on a FIFO")
    one_line_error(proc, str(fifo))


def test_a_json_list_saved_as_jsonl_gets_a_hint_on_each_rejected_line(tmp_path):
    """A pretty-printed JSON list in a .jsonl file: its last item was kept and the others
    rejected "Extra data: line 1 column 37" with no word of why; "[" was called "a JSON
    object spread over several lines"."""
    src = tmp_path / "list.jsonl"
    src.write_text('[\n  {"id": "a", "text": "first item"},\n  {"id": "b", "text": "second item"}\n]\n')
    proc = run_cli("run", str(src), "--out", "-", "-q")
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    rejected = [r["error"] for r in rows if r["status"] == "rejected"]
    assert len(rejected) == 3, rows
    assert all("a JSON list written one item a line?" in e for e in rejected), rejected
    assert "trailing comma" in rejected[1] and "spread over" not in rejected[0]


def test_jsonl_content_in_a_json_file_gets_a_hint(tmp_path):
    """One object a line in a .json file: rejected whole, "Extra data: line 2 column 1"."""
    src = tmp_path / "feed.json"
    src.write_text(json.dumps({"id": "a", "text": EN}) + "\n" + json.dumps({"id": "b", "text": EN}) + "\n")
    proc = run_cli("run", str(src), "--out", "-", "-q")
    (row,) = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert row["status"] == "rejected" and "name the file .jsonl" in row["error"], row


# --- a file of UTF-8 lines and legacy lines (two files joined with cat) ---------------------

@pytest.mark.parametrize("legacy, line", [("cp1252", "Deuxième partie écrite à Lyon, très bien."),
                                           ("cp1251", "Вторая часть написана в Москве.")])
def test_a_file_of_utf8_and_legacy_lines_reads_each_line_in_its_encoding(legacy, line):
    """Read whole as cp1252, its UTF-8 lines came out as mojibake ("PremiÃ¨re")."""
    from cleaner.input.read import decode_bytes

    first = "Première partie écrite à Paris, le maire a parlé."
    text, encoding = decode_bytes(first.encode("utf-8") + b"\n" + line.encode(legacy) + b"\n")
    assert text == f"{first}\n{line}\n"
    assert encoding.startswith("utf-8+")


def test_legacy_and_cjk_files_read_as_before():
    from cleaner.input.read import decode_bytes

    latin = "Café crème à Paris, déjà vu.\nÇa va très bien, merci.\n"
    assert decode_bytes(latin.encode("cp1252")) == (latin, "cp1252")
    zh = "中国人民银行周一宣布降息。\n新政策将于下周生效。\n"
    text, encoding = decode_bytes(zh.encode("gb18030"))
    assert text == zh and "+" not in encoding


def test_a_run_folder_given_as_input_gets_a_note(tmp_path):
    """`cleaner run clean/ --out clean2/` read the outputs as input without a word."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": EN}) + "\n")
    out = tmp_path / "out"
    assert run_cli("run", str(src), "--out", str(out), "-q").returncode == 0
    proc = run_cli("run", str(out), "--out", str(tmp_path / "out2"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert "is a cleaner run's output folder" in proc.stderr.decode()


def test_out_and_state_given_with_an_equals_sign_and_a_tilde_are_the_users(tmp_path):
    """`--out=~/clean` (the shell expands no tilde after "--out="): a folder named "~" was
    made in the current one."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": EN}) + "\n")
    env = {**os.environ, "HOME": str(home), "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, "-m", "cleaner", "run", str(src), "--out=~/clean", "--state=~/s.db", "-q"],
                          capture_output=True, cwd=work, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    assert (home / "clean" / "documents.jsonl").is_file() and (home / "s.db").is_file()
    assert list(work.iterdir()) == []


# --- a trickling stream's small batches -----------------------------------------------------

_COUNT_POOLS = """
import multiprocessing.pool as pool, sys
start = pool.Pool.__init__
def counted(*args, **kwargs):
    sys.stderr.write("POOL STARTED\\n")
    return start(*args, **kwargs)
pool.Pool.__init__ = counted
sys.argv[0] = "cleaner"
from cleaner.cli import main
main()
"""


def test_a_stream_of_small_batches_starts_no_worker_pool_for_them(tmp_path):
    """With --workers 2, every batch started a pool of 2 processes, even a batch of one line
    (a feed trickling a line a second): ~0.1-0.15 s a batch for nothing, since fewer than 64
    documents are one pool task, run by one worker. The rows are the same."""
    lines = "".join(json.dumps({"id": f"u{i}", "text": f"Story {i} about the town of Xville{i} and mayor Bob Q{i}."}) + "\n"
                    for i in range(3))
    rows = []
    for workers in ("2", "1"):
        proc = subprocess.run([sys.executable, "-c", _COUNT_POOLS, "run", "-", "--out", "-", "--state",
                               str(tmp_path / f"s{workers}.db"), "--batch-size", "1", "--workers", workers, "-q"],
                              input=lines.encode(), capture_output=True, timeout=300,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
        assert proc.returncode == 0, proc.stderr.decode()
        assert "POOL STARTED" not in proc.stderr.decode()
        rows.append(proc.stdout)
    assert rows[0] == rows[1] and len(rows[0].splitlines()) == 3


def test_deduplicator_small_batches_start_no_worker_pool(monkeypatch):
    import multiprocessing.pool

    started = []
    start = multiprocessing.pool.Pool.__init__

    def counted(self, *args, **kwargs):
        started.append(1)
        return start(self, *args, **kwargs)

    monkeypatch.setattr(multiprocessing.pool.Pool, "__init__", counted)
    items = [{"id": f"u{i}", "text": f"Story {i} about the town of Xville{i} and mayor Bob Q{i}."} for i in range(3)]
    with api.Deduplicator(workers=2, batch_size=1) as dedup:
        rows = list(dedup.add(items))
    with api.Deduplicator(workers=1, batch_size=1) as dedup:
        assert rows == list(dedup.add(items))
    assert started == []


_EOF_IN_REPORT = """
import sys
import cleaner.cli as cli
def broken(summary):
    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
cli.show_summary = broken
cli.main()
"""


def test_an_eof_error_inside_a_command_is_named_not_just_aborted(tmp_path):
    """click turns an EOFError raised by a command into Abort: a broken .gz read made the
    whole run end with "cleaner: error: aborted", naming nothing."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": EN}) + "\n")
    out = tmp_path / "out"
    assert run_cli("run", str(src), "--out", str(out), "-q").returncode == 0
    proc = subprocess.run([sys.executable, "-c", _EOF_IN_REPORT, "report", str(out)], capture_output=True,
                          timeout=300)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert "EOFError: Compressed file ended" in err and "a bug" in err, err


def test_a_deduplicator_entered_twice_or_after_closing_says_so():
    """A second `with` on one Deduplicator closed it at the inner block's end, under the outer
    one; a `with` on a closed one was allowed until the first add()."""
    dedup = api.Deduplicator()
    with dedup:
        with pytest.raises(RuntimeError, match="already in a with block"):
            with dedup:
                pass
        assert [row["status"] for row in dedup.add([{"id": "a", "text": EN}])] == ["kept"]
    with pytest.raises(RuntimeError, match="closed"):
        with dedup:
            pass
