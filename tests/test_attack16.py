"""attack-16: a demanding new user's slips and hostile inputs, beyond attack-15's. Each test
fails without its fix, or is marked xfail (strict) where the fix belongs to another
module's owner (the reason names the module)."""

import json
import sqlite3

import pytest

from cleaner import clean
from cleaner.core.config import ConfigError, config_from_dict, load_config
from cleaner.inspect.evaluate import load_gold, load_predicted, score
from cleaner.stages.build import build_stages
from hostile_folder import EN
from test_attack15 import _feed_state
from test_user_attacks import one_line_error, run_cli

OTHER = "Ghent trams ran late again on Monday after a signal failure near the station, the operator said."


# --- integers too large for a setting --------------------------------------------------------

def test_an_integer_past_a_floats_range_for_a_threshold_is_a_config_error(tmp_path):
    """`threshold = 1000...0` (401 digits) ended in OverflowError's traceback: the int was
    turned into a float before any check."""
    cfg = tmp_path / "big.toml"
    cfg.write_text("[near]\nthreshold = 1" + "0" * 400 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="near.threshold: must be a finite number, got an integer of 401 digits"):
        load_config(cfg)
    with pytest.raises(ConfigError, match="near.threshold"):
        config_from_dict({"near": {"threshold": 10 ** 400}})
    (tmp_path / "a.txt").write_text(EN, encoding="utf-8")
    one_line_error(run_cli("clean", str(tmp_path / "a.txt"), "--config", str(cfg)), "near.threshold", "401 digits")


@pytest.mark.parametrize("where", ["config", "rule file"])
def test_an_integer_of_5000_digits_is_a_config_error_naming_the_file(tmp_path, where):
    """tomllib raises a bare ValueError (Python's 4,300-digit limit on int()), not a
    TOMLDecodeError: a traceback, for the configuration and for a user's rule file alike."""
    huge = "1" + "0" * 5000
    cfg = tmp_path / "c.toml"
    if where == "config":
        bad = cfg
        cfg.write_text(f"[language]\nseed = {huge}\n", encoding="utf-8")
    else:
        bad = tmp_path / "r.toml"
        bad.write_text('[[rule]]\nid = "my.rule"\ncategory = "promo"\naction = "drop"\nany = ["buy now"]\n'
                       f'max_words = {huge}\nexamples.match = ["Buy now"]\nexamples.no_match = ["No."]\n',
                       encoding="utf-8")
        cfg.write_text('[boilerplate]\nrule_files = ["r.toml"]\ncertain_categories = []\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML: an integer of more than 4,300 digits"):
        build_stages(load_config(cfg))  # the rule files are read here
    (tmp_path / "a.txt").write_text(EN, encoding="utf-8")
    err = one_line_error(run_cli("clean", str(tmp_path / "a.txt"), "--config", str(cfg)), str(bad), "4,300 digits")
    assert "set_int_max_str_digits" not in err  # Python's advice to a programmer, not to this user


def test_a_huge_integer_out_of_range_is_named_by_its_size_not_printed_whole(tmp_path):
    """`seed = 1000...0` (4,001 digits) printed all 4,001 digits in its one-line error."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[language]\nseed = 1" + "0" * 4000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "must be at most 4294967295, got an integer of 4,001 digits" in str(err.value)
    assert len(str(err.value)) < 300


# --- a state whose stored configuration is not a table ----------------------------------------

def _set_meta(db, key, value):
    con = sqlite3.connect(db)
    if value is None:
        con.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        con.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    con.commit()
    con.close()


@pytest.mark.parametrize("verb", ["export", "show"])
def test_a_state_holding_a_configuration_that_is_not_a_table_is_one_line(tmp_path, verb):
    """A state's configuration `[1]` (damaged, or edited by hand) gave export and show an
    AttributeError's traceback; `{bad` was already one line."""
    db = _feed_state(tmp_path, [{"id": "a", "text": EN}])
    _set_meta(db, "config", "[1]")
    args = ("export", str(db), "--out", str(tmp_path / "exp")) if verb == "export" else ("show", str(db), "a")
    one_line_error(run_cli(*args), "holds a configuration this cleaner cannot read", "must be a table of sections")
    with pytest.raises(ConfigError, match="must be a table of sections"):
        config_from_dict([1])  # type: ignore[arg-type]


@pytest.mark.parametrize("key, value", [("config", "[1]"), ("zdict", None)])
def test_a_run_into_a_state_damaged_inside_its_meta_is_one_line(tmp_path, key, value):
    """dedup/incremental read the stored configuration with json.loads(previous).get, and
    store/state unpacked rows without the 'zdict' meta row: tracebacks. The writer now
    checks both when it opens the state."""
    db = _feed_state(tmp_path, [{"id": "a", "text": EN}])
    _set_meta(db, key, value)
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), "-q", stdin=json.dumps({"id": "b", "text": EN}) + "\n")
    one_line_error(proc, str(db))


@pytest.mark.parametrize("key, value, says", [("config", "[1]", "meta row 'config'"),
                                             ("zdict", None, "meta row 'zdict'"),
                                             ("zdict", "not base64!", "meta row 'zdict'"),
                                             ("schema", None, "is not a cleaner state")])
def test_a_damaged_state_is_named_with_what_is_damaged(tmp_path, key, value, says):
    """A meta table without a schema row said "has state schema version None"; a damaged
    'zdict' or 'config' row now names the row."""
    db = _feed_state(tmp_path, [{"id": "a", "text": EN}])
    _set_meta(db, key, value)
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), "-q", stdin=json.dumps({"id": "b", "text": EN}) + "\n")
    assert "version None" not in one_line_error(proc, str(db), says)


# --- an API item's id of NumPy's integer type ------------------------------------------------

def test_a_numpy_integer_id_is_kept_as_a_python_integer_is():
    """`df.to_dict("records")` gives ids of type numpy.int64: they were ignored ("input id
    of type int64 ignored") and replaced by a hash, where the int 7 is kept as "7"."""
    np = pytest.importorskip("numpy")
    result = clean([{"id": np.int64(7), "text": EN}, {"id": 8, "text": OTHER}])
    by_id = {d["id"]: d for d in result.documents}
    assert set(by_id) == {"7", "8"}
    assert "id" not in by_id["7"]["meta"]


# --- a gold CSV written without a header ------------------------------------------------------

def test_a_gold_csv_without_a_header_scores_its_first_row(tmp_path):
    """`a,ev1\\nb,ev1` (no header line): the first row was read as a header of unnamed
    columns and dropped, so the score covered one document fewer, unsaid."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(EN, encoding="utf-8")
    (src / "b.txt").write_text(EN + " One more sentence about the budget.", encoding="utf-8")
    (src / "c.txt").write_text(OTHER, encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("run", str(src), "--out", str(out), "-q").returncode == 0
    gold = tmp_path / "gold.csv"
    gold.write_text("a,ev1\nb,ev1\nc,ev2\n", encoding="utf-8")
    result = score(load_predicted(out), load_gold(gold))
    assert result["documents"] == 3
    # a real header of other names is still a header
    named = tmp_path / "named.csv"
    named.write_text("doc,story\na,ev1\nb,ev1\nc,ev2\n", encoding="utf-8")
    assert score(load_predicted(out), load_gold(named))["documents"] == 3
    proc = run_cli("eval", str(out), str(gold), "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["documents"] == 3


# --- a URL or site that urllib cannot split ---------------------------------------------------

@pytest.mark.parametrize("url", ["http://[::1", "https://[example.com]/news/1"])
def test_a_url_urllib_cannot_split_does_not_stop_the_run(url):
    """templates.source_key and credits.own_names called urlsplit(...).hostname unguarded:
    ValueError ('Invalid IPv6 URL') stopped the whole run (core/hosts.url_host)."""
    result = clean([{"id": "a", "text": EN, "url": url}, {"id": "b", "text": OTHER}])
    assert {d["id"]: d["status"] for d in result.documents} == {"a": "kept", "b": "kept"}


@pytest.mark.parametrize("site", ["[Bruges Daily]", "Bruges [Daily"])
def test_a_site_name_in_brackets_does_not_stop_the_run(site):
    """dedup/credits.own_names split a site name as a URL host: urlsplit('//[Bruges Daily]')
    raised ValueError in clustering, which stopped the whole run (core/hosts.url_host)."""
    credited = "BRUGES (Reuters) - " + EN
    result = clean([{"id": "a", "text": credited, "site": site}, {"id": "b", "text": OTHER, "site": "other"}])
    assert sorted(d["status"] for d in result.documents) == ["kept", "kept"]


def test_a_rule_that_moves_a_bad_url_into_url_does_not_stop_the_run(tmp_path):
    """A user rule's metadata action moved a line's URL into `url`, which templates.source_key
    fed to urlsplit unguarded: a traceback, every other input lost."""
    (tmp_path / "r.toml").write_text(
        '[[rule]]\nid = "my.source-url"\ncategory = "metadata"\naction = "metadata"\nfield = "url"\n'
        "regex = '^Source: (?P<value>\\S++)$'\n"
        'examples.match = ["Source: http://example.com/a"]\nexamples.no_match = ["The source said so."]\n',
        encoding="utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[boilerplate]\nrule_files = ["r.toml"]\ncertain_categories = []\n', encoding="utf-8")
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("Source: http://[::1\n" + EN + "\n", encoding="utf-8")
    (src / "b.txt").write_text(OTHER + "\n", encoding="utf-8")
    proc = run_cli("run", str(src), "--out", str(tmp_path / "out"), "--config", str(cfg), "-q")
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr.decode()


# --- a rule regex whose repeat count Python cannot hold ----------------------------------------

@pytest.mark.parametrize("regex", ["x{99999999999}", "(" * 2000 + "x" + ")" * 2000], ids=["repeat", "nesting"])
def test_a_rule_regex_with_a_huge_repeat_count_is_a_config_error(tmp_path, regex):
    """boilerplate/rules.py caught re.error only: re.compile('x{99999999999}') raises
    OverflowError (a group nested 2,000 deep, RecursionError): a traceback instead of the rule's error."""
    (tmp_path / "r.toml").write_text(
        '[[rule]]\nid = "my.rule"\ncategory = "promo"\naction = "drop"\nregex = "' + regex + '"\n'
        'examples.match = []\nexamples.no_match = []\n', encoding="utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[boilerplate]\nrule_files = ["r.toml"]\ncertain_categories = []\n', encoding="utf-8")
    (tmp_path / "a.txt").write_text(EN, encoding="utf-8")
    one_line_error(run_cli("clean", str(tmp_path / "a.txt"), "--config", str(cfg)), "my.rule", "regex")


# --- Python's advice to a programmer in a rejection's reason -----------------------------------

def test_a_huge_number_or_deep_nesting_is_rejected_in_a_users_words(tmp_path):
    """A feed line with a 5,000-digit number was rejected with "Exceeds the limit (4300
    digits) for integer string conversion: ...; use sys.set_int_max_str_digits() to
    increase the limit": advice for a programmer, in documents.jsonl and the summary."""
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "ok", "text": EN}) + "\n"
                    + '{"id": "big", "text": "x", "n": 1' + "0" * 5000 + "}\n"
                    + '{"id": "deep", "text": "x", "n": ' + "[" * 100000 + "]" * 100000 + "}\n", encoding="utf-8")
    proc = run_cli("run", str(feed), "--out", "-")
    assert proc.returncode == 0, proc.stderr.decode()
    errors = {row["line"]: row["error"] for row in map(json.loads, proc.stdout.splitlines())}
    assert errors[1] is None
    assert errors[2] == "line 2: invalid JSON: a number of more than 4300 digits"
    assert errors[3] == "line 3: invalid JSON: nested too deep (past Python's recursion limit)"
    assert b"set_int_max_str_digits" not in proc.stderr
    api = clean([{"id": "n", "text": EN, "n": 10 ** 5000}]).documents[0]
    assert api["error"] == "item cannot be read as JSON: a number of more than 4300 digits"


# --- an HTML fragment, as feeds and CMS exports give it ----------------------------------------

@pytest.mark.parametrize("html", [f"<p>{EN}</p>", f"<div><p>{EN}</p><p>{OTHER}</p></div>", f"{EN}\n{OTHER}\n",
                                  f"<article><h2>Budget</h2><p>{EN}</p></article>"])
def test_an_html_fragment_is_extracted_not_rejected(html):
    """`{"html": "<p>...</p>"}` (an RSS description, a CMS body field) was rejected, "HTML
    extraction found no main text": trafilatura's load_html refuses what does not open like
    a page ("html" in its first 50 characters) and has fewer than 2 elements."""
    doc = clean([{"id": "a", "html": html}]).documents[0]
    assert doc["status"] == "kept", doc["error"]
    assert EN in doc["text"]


def test_an_html_fragment_saved_as_a_file_is_extracted_and_a_page_without_text_still_rejected(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "fragment.html").write_text(f"<p>{EN}</p>\n", encoding="utf-8")
    (src / "empty.html").write_text("<html><head><title>t</title></head><body><div></div></body></html>",
                                    encoding="utf-8")
    (src / "only-tags.html").write_text("<p></p><div> </div>", encoding="utf-8")
    proc = run_cli("run", str(src), "--out", "-")
    assert proc.returncode == 0, proc.stderr.decode()
    rows = {row["id"]: row for row in map(json.loads, proc.stdout.splitlines())}
    assert rows["fragment"]["status"] == "kept" and rows["fragment"]["text"] == EN
    assert rows["empty"]["error"] == rows["only-tags"]["error"] == "HTML extraction found no main text"


# --- a JSONL file with classic Mac OS line ends --------------------------------------------------

@pytest.mark.parametrize("via", ["file", "stdin"])
def test_jsonl_parted_by_lone_crs_gets_a_hint(tmp_path, via):
    """A feed whose lines end in a lone CR was one rejected line, "invalid JSON: Extra data:
    line 1 column 66", with no word of why."""
    feed = "\r".join(json.dumps({"id": f"c{i}", "text": f"{EN} Item {i}."}) for i in range(3)) + "\r"
    if via == "file":
        (tmp_path / "cr.jsonl").write_bytes(feed.encode())
        proc = run_cli("run", str(tmp_path / "cr.jsonl"), "--out", "-")
    else:
        proc = run_cli("run", "-", "--out", "-", stdin=feed)
    assert proc.returncode == 0, proc.stderr.decode()
    (row,) = map(json.loads, proc.stdout.splitlines())
    assert row["status"] == "rejected" and "lone CR (classic Mac OS line ends)" in row["error"], row["error"]


# --- a UTF-16 file cut short by a byte ---------------------------------------------------------

@pytest.mark.parametrize("encoding, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                           ("utf-32-le", b"\xff\xfe\x00\x00")])
def test_a_file_with_a_bom_cut_mid_character_keeps_its_text(tmp_path, encoding, bom):
    """A UTF-16 text (its BOM says so) with one stray byte at its end, a download cut short,
    was rejected whole: "binary or undecodable content (no text encoding fits)"."""
    (tmp_path / "cut.txt").write_bytes(bom + EN.encode(encoding) + b"\x41")
    proc = run_cli("run", str(tmp_path / "cut.txt"), "--out", "-")
    assert proc.returncode == 0, proc.stderr.decode()
    (row,) = map(json.loads, proc.stdout.splitlines())
    assert row["status"] == "kept", row["error"]
    assert row["text"] == EN + "\ufffd" and row["meta"]["encoding"] == encoding[:6]


# --- a file:// URL as a browser or file manager writes it ---------------------------------------

def test_a_file_url_that_names_nothing_says_what_it_most_likely_meant(tmp_path):
    """`file:///data/my%20feeds` (a file manager's copied URL) and `file://data/feeds` (two
    slashes) said only "does not exist", where the folder meant is there."""
    pytest.importorskip("fsspec")
    folder = tmp_path / "my feeds"
    folder.mkdir()
    (folder / "a.txt").write_text(EN, encoding="utf-8")
    escaped = f"file://{tmp_path}/my%20feeds"
    one_line_error(run_cli("run", escaped, "--out", str(tmp_path / "o1")), "does not exist",
                   f"%-escapes are read as written: file://{folder} names what exists")
    two_slashes = f"file:/{folder}"  # file://tmp/.../my feeds
    one_line_error(run_cli("run", two_slashes, "--out", str(tmp_path / "o2"), cwd=str(tmp_path)), "relative to the current folder",
                   f"file://{folder}, with three slashes")
    one_line_error(run_cli("run", f"file://{tmp_path}/nothing", "--out", str(tmp_path / "o3")), "does not exist")


# --- a feed trickling in (a line every 0.6 s never pauses for a second) --------------------------

def test_a_batch_closes_once_it_has_waited_long_enough_for_its_lines():
    """batches() closed a batch early only after a quiet second: a feed of a line every
    0.9 s waited for 1,000 lines (15 minutes) before its first row."""
    import time

    from cleaner.exec.batches import batches

    def trickle():
        for i in range(12):
            time.sleep(0.1)
            yield i

    cut = list(batches(trickle(), 1000, pause=1.0, max_wait=0.45))
    assert [i for batch in cut for i in batch] == list(range(12))
    assert len(cut) >= 2 and len(cut[0]) < 12


def test_a_stream_into_a_state_writes_rows_while_a_trickling_feed_goes_on(tmp_path):
    import os
    import subprocess
    import sys
    import threading
    import time

    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state",
                             str(tmp_path / "s.db"), "-q"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONHASHSEED": "0"})
    rows: list[str] = []
    reader = threading.Thread(target=lambda: rows.extend(proc.stdout), daemon=True)
    reader.start()
    started, sent = time.monotonic(), 0
    try:
        while not rows and time.monotonic() - started < 60:  # a line every 0.6 s: never a quiet second
            proc.stdin.write((json.dumps({"id": f"t{sent}", "text": f"{EN} Line {sent}."}) + "\n").encode())
            proc.stdin.flush()
            sent += 1
            time.sleep(0.6)
        assert rows, "no row in 60 s of a feed trickling in"
    finally:
        proc.stdin.close()
        proc.wait(timeout=120)
        reader.join(timeout=10)
    assert proc.returncode == 0 and len(rows) == sent


# --- read.max_file_bytes for the API's items ------------------------------------------------------

def test_the_api_rejects_an_item_over_read_max_file_bytes_as_the_cli_rejects_the_line(tmp_path):
    """A 60 MB text was cleaned by the API (73 s, 1.9 GB at peak) where the CLI rejects the
    same JSONL line as too large: read.max_file_bytes did not apply to API items."""
    from cleaner import Deduplicator

    big = {"id": "big", "text": (EN + " ") * 40}  # ~4.4 KB
    small = {"id": "ok", "text": OTHER}
    limit = {"read": {"max_file_bytes": 2000}}
    reason = "record too large: over 2000 bytes (read.max_file_bytes)"
    by_id = {d["id"]: d for d in clean([big, small], config=limit).documents}
    assert by_id["big"]["error"] == reason and by_id["ok"]["status"] == "kept"
    with Deduplicator(config=limit) as dedup:
        rows = list(dedup.add([big, small]))
    assert [r["error"] for r in rows] == [reason, None]
    cfg = tmp_path / "c.toml"
    cfg.write_text("[read]\nmax_file_bytes = 2000\n", encoding="utf-8")
    proc = run_cli("run", "-", "--out", "-", "--config", str(cfg), stdin=json.dumps(big) + "\n" + json.dumps(small) + "\n")
    assert [json.loads(r)["error"] for r in proc.stdout.splitlines()] == [f"line 1: {reason}", None]


def test_state_info_counts_in_words_that_agree(tmp_path):
    """`state info` printed "1 batches, 1 documents" (attack-16)."""
    db = _feed_state(tmp_path, [{"id": "a", "text": EN}])
    text = run_cli("state", "info", str(db)).stdout.decode()
    assert "  1 batch, 1 document, 1 copy group, 1 record, " in text, text


def test_an_id_that_begins_with_a_dash_gets_a_hint(tmp_path):
    """`cleaner show OUT -x` (a document id "-x") said only "No such option '-x'"."""
    err = one_line_error(run_cli("show", str(tmp_path), "-x"), "No such option '-x'", "put -- before it")
    assert "cleaner show ... -- -x" in err
    # a mistyped long option keeps click's own suggestion, without the hint
    err = one_line_error(run_cli("run", str(tmp_path), "--ot", str(tmp_path / "o")), "Did you mean")
    assert "put -- before it" not in err
