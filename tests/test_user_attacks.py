"""What a new user's mistakes and odd inputs do (an attack on cleaner as a user): one line
naming the problem, never a traceback, never a stall, nothing silently lost."""

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from hostile_folder import EN


def run_cli(*args, stdin: str = "", cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "cleaner", *args], input=stdin.encode(), capture_output=True,
                          timeout=timeout, cwd=cwd, env={**os.environ, "PYTHONHASHSEED": "0"})


def one_line_error(proc, *needles):
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err
    return err


# --- 1. a damaged --state file ------------------------------------------------------------

def _state_with_docs(tmp_path):
    db = tmp_path / "s.db"
    lines = [json.dumps({"id": f"d{i}", "text": f"{EN} Report number {i} of the day.", "date": "2025-12-20"})
             for i in range(3)]
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), "-q", stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    return db, lines


def _damage_table(db, table):
    """Random bytes over a table's root page: the state still opens (its meta table is
    whole), and fails where that table is read."""
    con = sqlite3.connect(db)
    (root,) = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    (size,) = con.execute("PRAGMA page_size").fetchone()
    con.close()
    with open(db, "r+b") as fh:
        fh.seek((root - 1) * size)
        fh.write(bytes((i * 97 + 13) % 256 for i in range(size)))


def test_a_state_damaged_inside_is_a_one_line_error_naming_it(tmp_path):
    db, lines = _state_with_docs(tmp_path)
    _damage_table(db, "docs")
    more = json.dumps({"id": "x", "text": EN})
    one_line_error(run_cli("run", "-", "--out", "-", "--state", str(db), stdin=more + "\n"), str(db), "damaged")
    one_line_error(run_cli("export", str(db), "--out", str(tmp_path / "e")), str(db), "damaged")
    one_line_error(run_cli("show", str(db), "d0"), str(db), "damaged")
    src = tmp_path / "in.jsonl"
    src.write_text(more + "\n")
    one_line_error(run_cli("run", str(src), "--out", str(tmp_path / "o"), "--state", str(db)), str(db), "damaged")


def test_random_bytes_or_a_truncated_state_is_a_one_line_error(tmp_path):
    db, _ = _state_with_docs(tmp_path)
    cut = tmp_path / "cut.db"
    cut.write_bytes(db.read_bytes()[:3000])
    junk = tmp_path / "junk.db"
    junk.write_bytes(bytes((i * 131 + 7) % 256 for i in range(20000)))
    for bad in (cut, junk):
        one_line_error(run_cli("run", "-", "--out", "-", "--state", str(bad), stdin=json.dumps({"text": EN})),
                       str(bad))
        one_line_error(run_cli("state", "info", str(bad)), str(bad))


# --- 2. a BOM on a later JSONL line (files joined with cat) -------------------------------

def test_a_bom_on_any_jsonl_line_is_read_as_on_the_first(tmp_path):
    part = lambda i: "\ufeff" + json.dumps({"id": f"p{i}", "text": f"{EN} Part {i}."}) + "\n"  # noqa: E731
    feed = tmp_path / "joined.jsonl"
    feed.write_text(part(1) + part(2) + part(3), encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("run", str(feed), "--out", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == ["p1", "p2", "p3"] and all(r["status"] != "rejected" for r in rows)
    proc = run_cli("run", "-", "--out", "-", "-q", stdin=part(1) + part(2))
    assert [json.loads(line)["id"] for line in proc.stdout.decode().splitlines()] == ["p1", "p2"]
    assert all(json.loads(line)["status"] != "rejected" for line in proc.stdout.decode().splitlines())


# --- 3. the summary names a rejected JSONL line --------------------------------------------

def test_the_rejection_summary_names_the_file_and_line(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "feed.jsonl").write_text(json.dumps({"text": EN}) + "\n" + json.dumps({"title": "no text"}) +
                                       "\n{broken\n", encoding="utf-8")
    (folder / "list.json").write_text(json.dumps([{"text": EN + " More."}, {"title": "x"}]), encoding="utf-8")
    proc = run_cli("run", str(folder), "--out", str(tmp_path / "out"))
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "  rejected feed.jsonl:2: no non-empty 'text' or 'html' field" in err
    assert "  rejected feed.jsonl:3: invalid JSON" in err
    assert "  rejected list.json item 2: no non-empty" in err
    proc = run_cli("run", "-", "--out", "-", stdin=json.dumps({"text": EN}) + "\n[1]\n")
    assert "  rejected <stdin>:2: expected a JSON object, got array" in proc.stderr.decode()


# --- 4. fields of the wrong type are noted, not dropped without a word ---------------------

def test_wrong_typed_fields_are_noted_in_meta_or_the_reason():
    from cleaner.input.read import from_record

    doc = from_record({"id": "a", "text": EN, "title": 5, "date": ["2024-12-03"], "url": {"x": 1}, "site": True},
                      "f:1", "f.jsonl", line=1)
    assert doc.ok and doc.title is None and doc.date is None
    assert doc.meta["title_ignored"] == "input field of type number, not a string: 5"
    assert doc.meta["date_ignored"] == 'input field of type array, not a string: ["2024-12-03"]'
    assert "object" in doc.meta["url_ignored"] and "boolean" in doc.meta["site_ignored"]
    bad = from_record({"id": "b", "text": 7}, "f:2", "f.jsonl", line=2)
    assert not bad.ok and bad.error == "no non-empty 'text' or 'html' field ('text' is number, not a string: 7)"
    long = from_record({"id": "c", "text": EN, "title": list(range(100))}, "f:3", "f.jsonl", line=3)
    assert long.meta["title_ignored"].endswith("...") and len(long.meta["title_ignored"]) < 100


def test_a_wrong_typed_title_note_survives_the_title_taken_from_the_text():
    proc = run_cli("run", "-", "--out", "-", "-q", stdin=json.dumps({"id": "a", "text": EN, "title": 5}) + "\n")
    (row,) = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert row["status"] == "kept" and row["meta"]["title_ignored"].startswith("input field of type number")


def test_an_input_author_is_kept_and_unread_keys_are_named():
    """An input `author` reaches the output's author field (it was dropped); keys cleaner
    does not read are named in meta.unread_fields, sorted, at most ten."""
    from cleaner.input.read import from_record

    doc = from_record({"id": "a", "text": EN, "author": "Ana Lopez", "tags": ["x"], "body": "b", "lang": "en"},
                      "f:1", "f.jsonl", line=1)
    assert doc.author == "Ana Lopez" and doc.meta["unread_fields"] == "body, lang, tags"
    many = from_record({"id": "b", "text": EN, **{f"k{i:02d}": i for i in range(12)}}, "f:2", "f.jsonl", line=2)
    assert many.meta["unread_fields"] == ", ".join(f"k{i:02d}" for i in range(10)) + " and 2 more"
    plain = from_record({"id": "c", "text": EN, "title": "T", "date": "2024-12-03", "url": "u", "site": "s"},
                        "f:3", "f.jsonl", line=3)
    assert "unread_fields" not in plain.meta and plain.author is None
    odd = from_record({"id": "d", "text": EN, "author": 3}, "f:4", "f.jsonl", line=4)
    assert odd.author is None and odd.meta["author_ignored"] == "input field of type number, not a string: 3"
    proc = run_cli("run", "-", "--out", "-", "-q", stdin=json.dumps({"id": "a", "text": EN, "author": "Ana Lopez",
                                                                      "tags": []}) + "\n")
    (row,) = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert row["author"] == "Ana Lopez" and row["meta"]["unread_fields"] == "tags"


def test_show_tells_where_a_field_came_from_apart_from_notes():
    """`show` said "unread_fields from: tags" and "encoding from: utf-8": a note is not
    where a field came from. And a long reason no longer draws a rule hundreds of dashes long."""
    from cleaner.inspect.show import show_document, table

    row = {"id": "a", "source": "f.jsonl", "line": 1, "status": "kept", "error": None, "record_id": "rec-1",
           "lang": "en", "lang_prob": 1.0, "lang_reason": "r", "title": "T", "date": None, "url": None,
           "author": "Ana Lopez", "text": "x", "removed": [], "flags": [],
           "meta": {"title": "first line of text", "unread_fields": "tags", "encoding": "cp1251"}}
    out = show_document(row)
    assert "  author:   Ana Lopez" in out and "  title from: first line of text" in out
    assert "  note unread_fields: tags" in out and "  note encoding: cp1251" in out
    assert not any("unread_fields from" in line for line in out)
    head, rule, body = table([("a", "x" * 300)], ("id", "reason"))
    assert rule == "--  " + "-" * 60 and body.endswith("x" * 300)


# --- 5. RSS dates (RFC 822) ------------------------------------------------------------------

def test_rss_pubdate_dates_are_read_as_the_date_written():
    from cleaner.core.dates import normalise_date
    from cleaner.input.read import from_record

    assert normalise_date("Tue, 03 Dec 2024 10:00:00 GMT") == "2024-12-03"
    assert normalise_date("Tue, 3 Dec 2024 23:30:00 -0500") == "2024-12-03"  # the publisher's day, not UTC's
    assert normalise_date("3 December 2024") == "2024-12-03" and normalise_date("1 Sept. 2024") == "2024-09-01"
    assert normalise_date("sat, 31 feb 2024 10:00:00 GMT") is None  # no such day
    assert normalise_date("03 Decimal 2024") is None and normalise_date("Tue, 03 Dec 20245") is None
    doc = from_record({"id": "a", "text": EN, "date": "Tue, 03 Dec 2024 10:00:00 GMT"}, "f:1", "f.jsonl", line=1)
    assert doc.date == "2024-12-03" and doc.meta["date"] == "input field 'date'"


def test_an_unparsed_input_date_stays_noted_when_the_text_gives_the_date():
    """meta.date said "unparsed input date ..." and a date found in the text overwrote that
    note: the input's value was then lost without a word."""
    proc = run_cli("run", "-", "--out", "-", "-q", stdin=json.dumps(
        {"id": "a", "date": "sometime in winter", "text": "Updated 2025-12-20 10:00\n" + EN}) + "\n")
    (row,) = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert row["date"] == "2025-12-20" and row["meta"]["date"].startswith("text prefix")
    assert row["meta"]["date_unparsed"] == "input field 'date': 'sometime in winter'"


# --- 6. `clean` of a device or a pipe ---------------------------------------------------------

def test_clean_of_a_device_or_a_fifo_is_a_one_line_error(tmp_path):
    one_line_error(run_cli("clean", os.devnull, timeout=60), os.devnull, "not a regular file")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    one_line_error(run_cli("clean", str(fifo), timeout=60), str(fifo), "not a regular file")


# --- 7. an empty list the run cannot do without ---------------------------------------------

def test_an_empty_extensions_list_is_a_config_error_naming_file_key_and_problem(tmp_path):
    import pytest

    from cleaner.core.config import ConfigError, load_config

    for text, key, words in (("[read]\nextensions = []\n", "read.extensions", "must not be empty"),
                             ("[read]\nextensions = ['.']\n", "read.extensions[0]", "name a type")):
        path = tmp_path / "c.toml"
        path.write_text(text)
        with pytest.raises(ConfigError) as err:
            load_config(path)
        assert err.value.key == key and words in err.value.reason and str(path) in str(err.value)
    proc = run_cli("run", "-", "--out", "-", "--config", str(tmp_path / "c.toml"), stdin=json.dumps({"text": EN}))
    one_line_error(proc, "bad configuration", str(tmp_path / "c.toml"), "read.extensions[0]")


# --- 8. words looked up in wordfreq's lists as wordfreq looks them up ------------------------

def _zipf_both_ways(monkeypatch, words, lang):
    """zipf_of streaming the list, then from its cache file (built the second time), and
    the single-term path (explain): all three must agree."""
    from cleaner.dedup import term_weights

    seen = []
    for _ in range(3):
        monkeypatch.setattr(term_weights, "_ZIPF_SEEN", {})
        seen.append(term_weights.zipf_of(set(words), lang))
    assert seen[0] == seen[1] == seen[2]
    assert all(round(term_weights.zipf(w, lang), 2) == seen[0][w] for w in words)
    return seen[0]


def test_words_with_an_apostrophe_get_wordfreqs_figure(monkeypatch):
    import wordfreq

    en = ["don't", "o'clock", "o'hara", "d'italia"]
    found = _zipf_both_ways(monkeypatch, en + [w.replace("'", "\u2019") for w in en], "en")
    for w in en:  # wordfreq's own figure; a curly apostrophe is read as the straight one
        assert found[w] == found[w.replace("'", "\u2019")] == wordfreq.zipf_frequency(w, "en") > 0, w
    fr = ["l'état", "qu'il", "aujourd'hui", "d'artagnan"]  # an elision is a word of its own
    found = _zipf_both_ways(monkeypatch, fr + ["l\u2019état"], "fr")
    assert all(found[w] == wordfreq.zipf_frequency(w, "fr") > 0 for w in fr)
    assert found["l\u2019état"] == found["l'état"]
    assert _zipf_both_ways(monkeypatch, ["\u043f\u02bc\u044f\u0442\u044c"], "uk")["\u043f\u02bc\u044f\u0442\u044c"] == \
        wordfreq.zipf_frequency("\u043f'\u044f\u0442\u044c", "uk") > 0  # Ukrainian's modifier-letter apostrophe


def test_turkish_dotted_and_dotless_i_are_looked_up_as_wordfreq_folds_them(monkeypatch):
    import wordfreq

    # Terms are str.casefold()ed: "İstanbul" is "i̇stanbul" (i and a combining dot), "Irak" is "irak".
    names = {"\u0130stanbul": "i\u0307stanbul", "Irak": "irak", "Isparta": "isparta", "\u0130ran": "i\u0307ran",
             "\u0130stanbul'da": "i\u0307stanbul'da"}
    assert all(name.casefold() == term for name, term in names.items())
    found = _zipf_both_ways(monkeypatch, list(names.values()), "tr")
    for name, term in names.items():
        assert found[term] == wordfreq.zipf_frequency(name, "tr") > 0, name
    assert found["irak"] != wordfreq.zipf_frequency("irak", "tr")  # "Irak" is Iraq, not the word for far


def test_s_and_t_with_a_cedilla_or_a_comma_below_are_looked_up_as_the_list_writes_them(monkeypatch):
    import wordfreq

    ro = ["bucure\u015fti", "bucure\u0219ti", "timi\u015foara", "\u0163ar\u0103", "\u021bar\u0103"]  # ş/ș, ţ/ț
    found = _zipf_both_ways(monkeypatch, ro, "ro")
    assert all(found[w] == wordfreq.zipf_frequency(w, "ro") > 0 for w in ro)
    assert found["bucure\u015fti"] == found["bucure\u0219ti"]
    tr = ["ba\u015fbakan", "ba\u0219bakan"]  # Turkish writes the cedilla
    found = _zipf_both_ways(monkeypatch, tr, "tr")
    assert found[tr[0]] == found[tr[1]] == wordfreq.zipf_frequency(tr[1], "tr") > 0


def test_unread_keys_are_named_readably():
    """attack-11: keys holding a newline, ESC or a bidi override were named raw (`cleaner show`
    printed a broken line, or the terminal obeyed the escape), an empty key named as nothing,
    and a key cut at 40 characters named as if it were whole."""
    from cleaner.input.read import from_record

    doc = from_record({"id": "a", "text": EN, "a\nb": 1, "esc\x1b[2J": 2, "\u202eevil": 3, "": 4,
                       "Überschrift": 5, "k" * 50: 6}, "f:1", "f.jsonl", line=1)
    names = doc.meta["unread_fields"]
    assert all(c.isprintable() for c in names), names
    assert names == ", ".join(sorted(["'a\\nb'", "'esc\\x1b[2J'", "'\\u202eevil'", "''", "Überschrift",
                                      "k" * 40 + "\u2026"]))


def test_show_prints_a_fields_control_characters_escaped():
    """attack-11: an input author (or title, url) with ESC or a newline went raw to the
    terminal from `cleaner show`: ESC[2J cleared the screen, a newline split the field's line."""
    from cleaner.inspect.show import show_document, show_record

    row = {"id": "a", "source": "f.jsonl", "line": 1, "status": "kept", "error": None, "record_id": "rec-1",
           "lang": "en", "lang_prob": 1.0, "lang_reason": "r", "title": "T\u202eitle", "date": None,
           "url": "http://x/\x1b]0;pwned\x07", "author": "Ana\x1b[2J\nBob", "text": "line one\tTab\nline two",
           "removed": [], "flags": [], "meta": {"unread_fields": "tags"}}
    out = show_document(row)
    assert "  author:   Ana\\x1b[2J\\nBob" in out and "  title:    T\\u202eitle" in out
    assert "  url:      http://x/\\x1b]0;pwned\\x07" in out and "  line one\tTab" in out
    record = {"record_id": "rec-1", "size": 1, "lang": "en", "date": None, "title": "Ti\x1btle",
              "canonical_id": "a", "why": "w", "members": [], "text": "x"}
    assert "  title:     Ti\\x1btle" in show_record(record)


# --- 12. legacy single-byte files: the code page whose letters fit one language ---------

LEGACY = [  # (code page the file was saved in, its text)
    ("latin-1", "El gobierno español anunció el miércoles una serie de medidas para apoyar a los agricultores "
                "afectados por la sequía. El ministro declaró que las ayudas se pagarán la próxima semana."),
    ("latin-1", "O governo português anunciou na quarta-feira um conjunto de medidas para apoiar os agricultores "
                "afetados pela seca. O ministro declarou que as ajudas serão pagas já na próxima semana."),
    ("latin-1", "Il governo italiano ha annunciato mercoledì una serie di misure per sostenere gli agricoltori "
                "colpiti dalla siccità, perché la situazione è grave."),
    ("latin-1", "Regeringen meddelade på onsdagen nya åtgärder för bönder som drabbats av torkan."),
    ("latin-1", "Le conseil municipal a adopté le budget lundi après un long débat sur les écoles."),
    ("latin-1", "Ríkisstjórnin tilkynnti á miðvikudag nýjar aðgerðir til stuðnings bændum sem urðu fyrir þurrkum."),
    ("cp1252", "L’œuvre « très » connue coûte 5 € – un délai, dit-il… Noël à Zoë."),
    ("cp1250", "Rząd ogłosił w środę nowe środki wsparcia dla rolników dotkniętych suszą. Minister powiedział, "
               "że pieniądze zostaną wypłacone w przyszłym tygodniu."),
    ("cp1250", "Vláda v úterý oznámila nová opatření na podporu zemědělců postižených suchem."),
    ("iso8859_2", "Rząd ogłosił w środę nowe środki wsparcia dla rolników dotkniętych suszą."),
    ("cp1257", "Vyriausybė trečiadienį paskelbė naujas priemones ūkininkams, nukentėjusiems nuo sausros."),
    ("cp1251", "Правительство в среду объявило новые меры поддержки фермеров, пострадавших от засухи."),
]


def test_a_legacy_file_is_decoded_in_the_code_page_its_language_was_written_in():
    """charset-normalizer's scores often tie between Latin code pages: a Spanish latin-1
    file was read as cp1250 ("espańol"), French "après" as "aprčs", Polish cp1250 as cp1252
    ("og³osi³"). Each was silently kept with its letters changed."""
    from cleaner.input.read import decode_bytes
    wrong = [(enc, got[:60]) for enc, text in LEGACY
             if (got := decode_bytes(text.encode(enc))[0]) != text]
    assert not wrong, wrong


def test_the_hostile_latin1_file_keeps_its_accents(tmp_path):
    from hostile_folder import FR
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "fr.txt").write_bytes((FR + "\n").encode("latin-1"))
    proc = run_cli("run", str(raw), "--out", str(tmp_path / "out"), "-q")
    assert proc.returncode == 0, proc.stderr
    (doc,) = [json.loads(line) for line in (tmp_path / "out" / "documents.jsonl").open(encoding="utf-8")]
    assert doc["text"] == FR and doc["meta"]["encoding"] == "cp1252", doc


# --- 13. stdout on a full disk (`> rows.jsonl`): one line, not a traceback -------------------

def _to_full_disk(*args, stdin=""):
    """The command with its stdout on /dev/full, where every write fails with ENOSPC."""
    with open("/dev/full", "wb") as full:
        return subprocess.run([sys.executable, "-m", "cleaner", *args], input=stdin.encode(), stdout=full,
                              stderr=subprocess.PIPE, timeout=300, env={**os.environ, "PYTHONHASHSEED": "0"})


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_rows_to_a_full_disk_are_a_one_line_error_naming_the_committed_batch(tmp_path):
    lines = "".join(json.dumps({"id": f"d{i}", "text": f"{EN} Report {i}."}) + "\n" for i in range(3))
    one_line_error(_to_full_disk("run", "-", "--out", "-", "-q", stdin=lines), "cannot write to stdout",
                   "No space left on device")
    db = tmp_path / "s.db"
    proc = _to_full_disk("run", "-", "--out", "-", "-q", "--state", str(db), stdin=lines)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "cannot write to stdout" in err and "batch 1, which is committed to" in err, err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_commands_output_to_a_full_disk_is_a_one_line_error(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(EN + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("run", str(raw), "--out", str(out), "-q").returncode == 0
    for args in (["report", str(out)], ["show", str(out), "a"], ["clean", str(raw / "a.txt")], ["--help"]):
        one_line_error(_to_full_disk(*args), "cannot write the output: No space left on device")


# --- 14. looking up an id as the user typed it ----------------------------------------------

def _ids_feed():
    rows = [{"id": "a", "text": "First a about Lviv trams and the mayor Sadovyi on Monday."},
            {"id": "a", "text": "Second a about Kharkiv metro and the mayor Terekhov on Friday."},
            {"id": "\u00e9t\u00e9", "text": "Summer story about Odesa beaches and the mayor Trukhanov."},
            {"id": "rec-0000000000000000", "text": "An id like a record's: Sumy apples and the mayor Lysenko."}]
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_show_finds_an_id_typed_decomposed_a_rec_like_document_id_and_names_renamed_ids(tmp_path):
    """An id pasted decomposed (macOS file names are NFD) was not found, though ids are
    written NFC; in a state, a document id starting with rec- was looked up only as a
    record; an id two inputs shared (renamed id@source) was 'not found' without a word
    about what it became."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "feed.jsonl").write_text(_ids_feed(), encoding="utf-8")
    out, db = tmp_path / "out", tmp_path / "s.db"
    assert run_cli("run", str(raw), "--out", str(out), "-q").returncode == 0
    assert run_cli("run", "-", "--out", "-", "-q", "--state", str(db), stdin=_ids_feed()).returncode == 0
    for where in (out, db):
        proc = run_cli("show", str(where), "e\u0301te\u0301")
        assert proc.returncode == 0 and "Summer story" in proc.stdout.decode(), proc.stderr
        proc = run_cli("show", str(where), "rec-0000000000000000")
        assert proc.returncode == 0 and "Sumy apples" in proc.stdout.decode(), proc.stderr
        one_line_error(run_cli("show", str(where), "a"), "renamed: a@")
    one_line_error(run_cli("explain", str(out), "a", "\u00e9t\u00e9"), "renamed: a@feed.jsonl:1, a@feed.jsonl:2")


# --- 15. UTF-16 without a byte order mark ----------------------------------------------------

def test_utf16_without_a_bom_is_read_as_utf16_not_kept_as_control_codes(tmp_path):
    """Cyrillic (Greek, Arabic...) in UTF-16 without a BOM is all bytes below 0x80, so valid
    UTF-8: it was kept as '\\x1f\\x04@\\x040\\x04...', language 'hu'. Control codes alone
    are still not text."""
    from cleaner.input.read import decode_bytes, scrub
    ru = "Правительство в среду объявило новые меры поддержки фермеров, пострадавших от засухи."
    for text in (ru, EN, "أعلنت الحكومة يوم الأربعاء عن إجراءات جديدة لدعم المزارعين."):
        for enc in ("utf-16-le", "utf-16-be"):
            got, used = decode_bytes(text.encode(enc))
            assert got is not None and scrub(got) == text and used == enc, (enc, got[:30] if got else used)
    assert decode_bytes(bytes(range(1, 32)) * 100)[1] == "utf-8"  # no text either way: rejected later
    with_nuls = EN.encode().replace(b" ", b" \x00", 3)  # a few NULs in UTF-8 text stay UTF-8
    assert decode_bytes(with_nuls)[1] == "utf-8"
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "ru.txt").write_bytes(ru.encode("utf-16-le"))
    assert run_cli("run", str(raw), "--out", str(tmp_path / "out"), "-q").returncode == 0
    (doc,) = [json.loads(line) for line in (tmp_path / "out" / "documents.jsonl").open(encoding="utf-8")]
    assert doc["text"] == ru and doc["lang"] == "ru" and doc["meta"]["encoding"] == "utf-16-le", doc


def test_iso2022_jp_and_kr_are_decoded_not_kept_as_escapes():
    """ISO-2022-JP (Japanese mail and old news archives) is 7-bit, valid UTF-8: it was kept
    as '$BEl5~ET5D2q...' with the escape codes in the text."""
    from cleaner.input.read import decode_bytes
    ja = "東京都議会は月曜日、学校と道路をめぐる長い議論の末に新しい予算案を可決した。"
    ko = "정부는 수요일 가뭄 피해 농민을 위한 새로운 지원 대책을 발표했다."
    assert decode_bytes(ja.encode("iso2022_jp")) == (ja, "iso2022_jp")
    assert decode_bytes(ko.encode("iso2022_kr")) == (ko, "iso2022_kr")


# --- 16. file names that are not UTF-8 ------------------------------------------------------

def test_files_whose_names_are_not_utf8_keep_names_that_tell_them_apart(tmp_path):
    """b'caf\\xe9.txt' and b'caf\\xe8.txt' were both named 'caf\\ufffd.txt' (source) and
    renamed '#1', '#2' (id): nothing in the output said which file was which."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / os.fsdecode(b"caf\xe9.txt")).write_text("Mayor Petrenko of Vinnytsia opened the bridge on Monday.\n")
    (raw / os.fsdecode(b"caf\xe8.txt")).write_text("The Kharkiv metro line reopened after repairs, officials said.\n")
    assert run_cli("run", str(raw), "--out", str(tmp_path / "out"), "-q").returncode == 0
    docs = {d["source"]: d for d in map(json.loads, (tmp_path / "out" / "documents.jsonl").open(encoding="utf-8"))}
    assert sorted(docs) == ["caf\\xe8.txt", "caf\\xe9.txt"], docs
    assert docs["caf\\xe9.txt"]["id"] == "caf\\xe9" and "Vinnytsia" in docs["caf\\xe9.txt"]["text"]


# --- 17. a state on a read-only disk ---------------------------------------------------------

@pytest.fixture
def read_only_folder(tmp_path):
    """(writable folder, the same folder read-only): a read-only bind mount as root (who
    writes through file permissions), a folder without write permission otherwise."""
    import shutil
    src, view = tmp_path / "src", tmp_path / "view"
    src.mkdir()
    view.mkdir()
    if os.geteuid() != 0:
        yield src, src, lambda: src.chmod(0o555)
        src.chmod(0o755)
        return
    if not shutil.which("mount"):
        pytest.skip("needs mount(8) as root")
    mounted = subprocess.run(["mount", "--bind", str(src), str(view)], capture_output=True).returncode == 0

    def seal():
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], capture_output=True).returncode:
            pytest.skip("cannot remount read-only here")
    if not mounted:
        pytest.skip("cannot bind-mount here")
    try:
        yield src, view, seal
    finally:
        subprocess.run(["umount", str(view)], capture_output=True)


def test_readers_open_a_state_on_a_read_only_disk(read_only_folder):
    """A state on a read-only mount (a backup, a snapshot, a shared volume) was 'not a
    cleaner state (unable to open database file)' for info, show and export: SQLite cannot
    open a WAL database read-only where it cannot create its -shm file."""
    src, view, seal = read_only_folder
    lines = "".join(json.dumps({"id": f"d{i}", "text": f"{EN} Report {i}."}) + "\n" for i in range(2))
    assert run_cli("run", "-", "--out", "-", "-q", "--state", str(src / "s.db"), stdin=lines).returncode == 0
    seal()
    db = view / "s.db"
    proc = run_cli("state", "info", str(db))
    assert proc.returncode == 0 and "2 documents" in proc.stdout.decode(), proc.stderr
    proc = run_cli("show", str(db), "d0")
    assert proc.returncode == 0 and "d0" in proc.stdout.decode(), proc.stderr
    out = view.parent / "export"
    proc = run_cli("export", str(db), "--out", str(out))
    assert proc.returncode == 0 and (out / "documents.jsonl").is_file(), proc.stderr
    one_line_error(run_cli("run", "-", "--out", "-", "-q", "--state", str(db), stdin=lines), "cannot write state")


# --- 18. dates with slashes ------------------------------------------------------------------

def test_a_slashed_date_is_read_in_the_order_it_shows_and_an_ambiguous_one_is_noted():
    """'12/03/2024' (a US feed's 3 December) was read as 12 March, silently: nine months
    off, outside every story window. '12/25/2024' was not read at all."""
    from cleaner.core.dates import normalise_date
    assert normalise_date("25/12/2024") == "2024-12-25" and normalise_date("12/25/2024") == "2024-12-25"
    assert normalise_date("05/05/2024") == "2024-05-05" and normalise_date("3.12.2024") == "2024-12-03"
    assert normalise_date("12/03/2024") is None and normalise_date("03/12/2024") is None
    assert normalise_date("2024-12-031") is None and normalise_date("3/12/20245") is None
    doc, = __import__("cleaner").clean([{"id": "us", "text": EN, "date": "12/03/2024"}]).documents
    assert doc["date"] is None and doc["meta"]["date_unparsed"] == "input field 'date': '12/03/2024'", doc


# --- 19. a JSONL feed saved as UTF-16 (Windows PowerShell's `>`) -----------------------------

def test_a_jsonl_file_or_stdin_with_a_utf16_bom_is_read(tmp_path):
    """Every line of it was rejected: the first 'not UTF-8', the others 'invalid JSON'."""
    rows = [{"id": "a", "text": "Mayor Petrenko of Vinnytsia opened the bridge on Monday."},
            {"id": "b", "text": "The Kharkiv metro line reopened after repairs, officials said."}]
    feed = "".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in rows)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "ps.jsonl").write_bytes(feed.encode("utf-16"))
    proc = run_cli("run", str(raw), "--out", str(tmp_path / "out"), "-q")
    assert proc.returncode == 0, proc.stderr
    docs = [json.loads(line) for line in (tmp_path / "out" / "documents.jsonl").open(encoding="utf-8")]
    assert [(d["id"], d["status"], d["line"]) for d in docs] == [("a", "kept", 1), ("b", "kept", 2)], docs
    proc = subprocess.run([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "-q"],
                          input=feed.encode("utf-16-le").join([b"\xff\xfe", b""]), capture_output=True, timeout=300)
    assert [json.loads(r)["status"] for r in proc.stdout.decode().splitlines()] == ["kept", "kept"], proc.stderr


# --- 20. an earlier run's output folder inside the input ----------------------------------------

def test_an_earlier_runs_output_folder_inside_the_input_is_not_read_again(tmp_path):
    """`cleaner run . --out clean2` where `clean/` holds an earlier run read clean/documents.jsonl
    back in as input: every document came twice, the second time as a JSONL row."""
    (tmp_path / "a.txt").write_text(EN, encoding="utf-8")
    assert run_cli("run", ".", "--out", "clean", "-q", cwd=tmp_path).returncode == 0
    proc = run_cli("run", ".", "--out", "clean2", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    docs = [json.loads(line) for line in (tmp_path / "clean2" / "documents.jsonl").open(encoding="utf-8")]
    assert [(d["source"], d["status"]) for d in docs] == [("a.txt", "kept"), ("clean", "rejected")], docs
    assert "earlier cleaner run's output" in docs[1]["error"]
    # Given as INPUT itself, the folder is read as the user asked.
    proc = run_cli("run", "clean", "--out", "clean3", "-q", cwd=tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "clean3" / "documents.jsonl").open(encoding="utf-8")]
    assert proc.returncode == 0 and ("documents.jsonl", "kept") in {(r["source"], r["status"]) for r in rows}, rows


# --- 21. reasons in the words of JSON ------------------------------------------------------------

def test_reasons_name_json_types_and_a_blank_id():
    """A feed's user read 'got NoneType' and 'input id of type str ignored' for "id": ""."""
    from cleaner.input.read import from_record

    assert from_record(None, "f:1", "f.jsonl", 1).error == "expected a JSON object, got null"
    assert from_record(True, "f:2", "f.jsonl", 2).error == "expected a JSON object, got boolean"
    blank = from_record({"id": " ", "text": EN}, "f:3", "f.jsonl", 3)
    assert blank.ok and blank.meta["id"] == "blank input id ignored" and blank.id.startswith("f:")
    assert from_record({"id": [1], "text": EN}, "f:4", "f.jsonl", 4).meta["id"] == "input id of type array ignored"


# --- 22. a stdout reader that closes early (`| head -1`) -------------------------------------------

def _big_run(tmp_path):
    big = "\n".join(f"Line {i} of the council's long report about Paris and Berlin." for i in range(20000))
    feed = tmp_path / "big.jsonl"
    feed.write_text(json.dumps({"id": "big", "text": big}) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("run", str(feed), "--out", str(out), "-q").returncode == 0
    return feed, out


def _to_closed_pipe(*args):
    """The command with stdout on a pipe whose reader has already gone."""
    r, w = os.pipe()
    os.close(r)
    try:
        return subprocess.run([sys.executable, "-m", "cleaner", *args], stdout=w, stderr=subprocess.PIPE,
                              timeout=300, env={**os.environ, "PYTHONUNBUFFERED": ""})
    finally:
        os.close(w)


def test_every_verb_ends_quietly_with_0_when_its_reader_closes(tmp_path):
    """click exited 1 without a word for `cleaner show OUT ID | head -1`; `run --out -` exits 0."""
    feed, out = _big_run(tmp_path)
    db = tmp_path / "s.db"
    assert run_cli("run", str(feed), "--out", str(tmp_path / "o2"), "--state", str(db), "-q").returncode == 0
    for args in (("show", str(out), "big"), ("show", str(out), "big", "--json"), ("show", str(db), "big"),
                 ("report", str(out)), ("state", "info", str(db)), ("run", str(feed), "--out", "-", "-q"),
                 ("--help",)):
        proc = _to_closed_pipe(*args)
        assert proc.returncode == 0 and proc.stderr == b"", (args, proc.returncode, proc.stderr)


def test_rows_are_written_whole_under_pythonunbuffered():
    """With PYTHONUNBUFFERED (container images set it) stdout's binary layer is a raw file whose
    write takes part of a row when the reader closes mid-row: the rest was lost and a state's
    batch was reported delivered."""
    from cleaner.store.output import write_all

    class Short:
        def __init__(self):
            self.got = b""

        def write(self, data):
            part = bytes(data[:7])
            self.got += part
            return len(part)

    sink = Short()
    write_all(sink, b'{"id": "x", "text": "a long row"}\n')
    assert sink.got == b'{"id": "x", "text": "a long row"}\n'


def test_a_reader_closing_mid_row_under_pythonunbuffered_is_told(tmp_path):
    feed, _ = _big_run(tmp_path)
    db = tmp_path / "s.db"
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", str(feed), "--out", "-", "--state", str(db), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout.read(1) == b"{"
    proc.stdout.close()  # mid-row: the row is ~900 KB, a pipe holds 64 KB
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 1 and "not delivered" in err, err


# --- 23. a full disk under `export` and under `state prune`'s report ---------------------------------

def test_export_onto_a_full_disk_leaves_no_empty_folder(tmp_path, monkeypatch):
    import errno

    from cleaner import cli
    from cleaner.store import output

    db, _ = _state_with_docs(tmp_path)

    def full(files):
        for _path, _chunks in files:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output, "atomic_writes", full)
    out = tmp_path / "exp"
    with pytest.raises(SystemExit) as ended:
        cli.main(["export", str(db), "--out", str(out), "-q"])
    left = [name for name in os.listdir(tmp_path) if "exp" in name]
    assert ended.value.code == 2 and not out.exists() and left == [], left
    (tmp_path / "mine").mkdir()  # a folder the user made stays
    with pytest.raises(SystemExit):
        cli.main(["export", str(db), "--out", str(tmp_path / "mine"), "-q"])
    assert (tmp_path / "mine").is_dir()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_prunes_report_onto_a_full_disk_says_the_prune_is_committed(tmp_path):
    db, _ = _state_with_docs(tmp_path)
    proc = _to_full_disk("state", "prune", str(db), "--before", "2030-01-01")
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "the prune is committed" in err and "(3 documents)" in err, err
    assert "0 records" in run_cli("state", "info", str(db)).stdout.decode()


# --- 24. `show STATE ID` of a pruned document or record ------------------------------------------

def test_show_says_a_pruned_document_or_record_was_pruned(tmp_path):
    db, _ = _state_with_docs(tmp_path)
    rid = json.loads(run_cli("show", str(db), "d0", "--json").stdout)["record_id"]
    assert run_cli("state", "prune", str(db), "--before", "2030-01-01").returncode == 0
    err = one_line_error(run_cli("show", str(db), "d1"), "'d1' is not in state", "removed by `cleaner state prune`")
    assert f"document (of record {rid})" in err, err
    one_line_error(run_cli("show", str(db), rid), f"{rid!r} is not in state", "this record was removed by")
    one_line_error(run_cli("show", str(db), "never-there"), "never added, or removed by `cleaner state prune`")


# --- 25. a JSON object that names a key twice ---------------------------------------------------------

def test_a_key_given_twice_is_noted_in_the_row(tmp_path):
    """json keeps the last value of a repeated key without a word: the row says so."""
    feed = tmp_path / "rep.jsonl"
    feed.write_text(json.dumps({"id": "r1", "title": "First", "text": EN})[:-1] + ', "title": "Second"}\n'
                    + '{"id": "r2", "text": ' + json.dumps(EN) + ', "text": ""}\n', encoding="utf-8")
    proc = run_cli("run", str(feed), "--out", "-", "-q")
    r1, r2 = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert r1["title"] == "Second" and r1["meta"]["repeated_fields"] == \
        "title (2 times): the last value of each was read", r1["meta"]
    assert r2["status"] == "rejected" and "'text' is given 2 times: the last was read" in r2["error"], r2


# --- 26. terminal escapes in an input reach no terminal ---------------------------------------------

def test_escape_sequences_in_inputs_are_shown_escaped_by_every_human_output(tmp_path):
    """An ESC sequence in a title or an id (retitling the window, clearing the screen) went
    raw to the terminal in `report`, `show STATE` (its history), `clean` and errors;
    documents.jsonl keeps it as data (JSON writes it \\u001b)."""
    esc = "\x1b]0;PWNED\x07\x1b[2J"
    feed = tmp_path / "f.jsonl"
    feed.write_text(json.dumps({"id": "e" + esc, "title": "T" + esc, "text": f"{EN} {esc} More."}) + "\n"
                    + json.dumps({"id": "b" + esc, "text": f"Another report {esc} about Madrid and its mayor."})
                    + "\n", encoding="utf-8")
    out, db = tmp_path / "out", tmp_path / "s.db"
    assert run_cli("run", str(feed), "--out", str(out), "--state", str(db), "-q").returncode == 0
    row = json.loads((out / "documents.jsonl").read_text(encoding="utf-8").splitlines()[1])
    assert row["title"] == "T" + esc and b"\\u001b" in (out / "documents.jsonl").read_bytes(), row
    for args in (("report", str(out)), ("show", str(db), "e" + esc), ("show", str(out), "e" + esc),
                 ("explain", str(out), "e" + esc, "b" + esc), ("clean", str(feed)), ("show", str(db), "x" + esc),
                 ("run", str(feed), "--out", str(tmp_path / "o2"))):
        proc = run_cli(*args)
        both = proc.stdout + proc.stderr
        assert b"\x1b" not in both and b"\x07" not in both, (args, both[:2000])
        assert b"\\x1b]0;PWNED\\x07" in both or args[0] == "run", (args, both[:2000])


# --- 27. an id of a megabyte ---------------------------------------------------------------------

def test_an_id_over_4096_characters_keeps_its_start_and_a_hash_and_says_so(tmp_path):
    MAX_ID_CHARS = 4096  # cleaner.core.document.MAX_ID_CHARS
    huge, long = "x" * 1_000_000, "u" * (MAX_ID_CHARS + 1)
    feed = tmp_path / "f.jsonl"
    feed.write_text("".join(json.dumps({"id": i, "text": f"{EN} Item {n}."}) + "\n"
                            for n, i in enumerate((huge, "u" * MAX_ID_CHARS, long))), encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("run", str(feed), "--out", str(out), "-q").returncode == 0
    rows = {r["line"]: r for r in map(json.loads, (out / "documents.jsonl").open(encoding="utf-8"))}
    assert all(len(r["id"]) <= MAX_ID_CHARS for r in rows.values()), [len(r["id"]) for r in rows.values()]
    assert rows[1]["id"].startswith("x" * 4000) and "input id of 1,000,000 characters shortened" in rows[1]["meta"]["id"]
    assert rows[2]["id"] == "u" * MAX_ID_CHARS and "id" not in rows[2]["meta"]
    assert rows[3]["id"] != rows[2]["id"] and rows[3]["id"].startswith("u" * 4000)
    # `show` finds it by the id the user gave.
    proc = run_cli("show", str(out), long, "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["line"] == 3, proc.stderr


def test_a_renamed_id_keeps_the_note_it_had(tmp_path):
    """Two inputs with the same over-long id were both shortened, then renamed for sharing
    it, and the renaming's note replaced the shortening's: meta.id keeps both."""
    long = "v" * 5000
    feed = tmp_path / "f.jsonl"
    feed.write_text("".join(json.dumps({"id": long, "text": f"{EN} Item {n}."}) + "\n" for n in range(2)),
                    encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("run", str(feed), "--out", str(out), "-q").returncode == 0
    rows = list(map(json.loads, (out / "documents.jsonl").open(encoding="utf-8")))
    assert len(rows) == 2 and rows[0]["id"] != rows[1]["id"]
    for row in rows:
        assert "input id of 5,000 characters shortened" in row["meta"]["id"], row["meta"]
        assert "renamed: id" in row["meta"]["id"] and "is shared by 2 inputs" in row["meta"]["id"], row["meta"]


# --- 28. UTF-32 (a BOM that opens like UTF-16's) and UTF-16 without a BOM in JSONL ------------------

def test_utf32_with_a_bom_is_read_as_utf32_in_text_and_jsonl(tmp_path):
    """FF FE 00 00 was read as UTF-16 (a text's meta.encoding said utf-16) and every line of a
    UTF-32 JSONL file was rejected as invalid JSON."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_bytes(EN.encode("utf-32"))
    (raw / "b.jsonl").write_bytes((json.dumps({"id": "b", "text": EN + " Feed."}) + "\n").encode("utf-32"))
    (raw / "c.jsonl").write_bytes((json.dumps({"id": "c", "text": EN + " Other."}) + "\n").encode("utf-16-le"))
    proc = run_cli("run", str(raw), "--out", str(tmp_path / "out"), "-q")
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "documents.jsonl").open(encoding="utf-8"))}
    assert rows["a"]["meta"]["encoding"] == "utf-32" and rows["a"]["text"] == EN, rows["a"]
    assert rows["b"]["status"] != "rejected" and rows["b"]["text"] == EN + " Feed.", rows["b"]
    assert "UTF-16 or UTF-32 without a byte order mark?" in rows["c:1"]["error"], rows


# --- 29. Deduplicator: a generator of add() resumed after close() ---------------------------------

def test_an_add_generator_resumed_after_close_says_the_deduplicator_is_closed():
    """It raised AttributeError: 'State' object has no attribute 'db'."""
    from cleaner import Deduplicator

    dedup = Deduplicator(batch_size=1)
    rows = dedup.add([{"id": f"d{i}", "text": f"{EN} Item {i}."} for i in range(3)])
    assert next(rows)["id"] == "d0"
    dedup.close()
    with pytest.raises(RuntimeError, match="this Deduplicator is closed"):
        next(rows)


# --- 30. a state file given where a run's folder is read ------------------------------------------

def test_report_or_explain_of_a_state_file_names_the_verbs_that_read_it(tmp_path):
    db, _ = _state_with_docs(tmp_path)
    for args in (("report", str(db)), ("explain", str(db), "d0", "d1"), ("eval", str(db), str(db) + ".csv")):
        if args[0] == "eval":
            (tmp_path / "s.db.csv").write_text("id,label\nd0,1\n", encoding="utf-8")
        one_line_error(run_cli(*args), "is a state file", "cleaner export STATE --out DIR")


# --- 31. `export` into a folder a running run holds ---------------------------------------------

def test_export_into_a_folder_a_running_run_holds_stops_with_one_line(tmp_path):
    """export swapped the folder away under the run (its checkpoint with it): the run then
    failed with 'cannot write to OUT: No such file or directory', and --resume had nothing."""
    import fcntl

    db, _ = _state_with_docs(tmp_path)
    out = tmp_path / "out"
    (out / ".cleaner-partial").mkdir(parents=True)
    (out / ".cleaner-partial" / "meta.json").write_text('{"fingerprint": "x"}\n')
    fd = os.open(out / ".cleaner-lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running `cleaner run ... --out out` holds
    try:
        one_line_error(run_cli("export", str(db), "--out", str(out)), "another cleaner run is writing into")
        assert (out / ".cleaner-partial" / "meta.json").exists() and not (out / "documents.jsonl").exists()
    finally:
        os.close(fd)
    proc = run_cli("export", str(db), "--out", str(out), "-q")
    assert proc.returncode == 0 and sorted(os.listdir(out)) == \
        ["documents.jsonl", "manifest.json", "records.jsonl", "report-pages", "report.html"], os.listdir(out)


# --- 32. README's first command in a fresh checkout ----------------------------------------------

def test_readmes_first_command_can_write_the_checkouts_clean_folder():
    """`python3 -m cleaner run raw/ --out clean/` stopped at once in a fresh clone: the
    repository kept a `clean/.gitkeep`, a file cleaner did not write."""
    from pathlib import Path

    from cleaner.store.outdir import refuse_reason

    repo = Path(__file__).resolve().parent.parent
    assert refuse_reason(repo / "clean", repo / "raw") is None


def test_an_empty_placeholder_keeps_its_folder_and_a_real_file_is_still_refused(tmp_path):
    """clean/ stays in the checkout with its empty .gitkeep: a run writes into the folder
    and carries the placeholder over, so `git status` shows nothing deleted; a .gitkeep
    with content is a user's file, refused as before."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(EN, encoding="utf-8")
    out = tmp_path / "clean"
    out.mkdir()
    (out / ".gitkeep").touch()
    for _ in range(2):  # into the folder with only the placeholder, then over that run
        assert run_cli("run", str(raw), "--out", str(out), "-q").returncode == 0
        assert (out / ".gitkeep").is_file() and (out / ".gitkeep").stat().st_size == 0
        assert (out / "documents.jsonl").is_file()
    other = tmp_path / "other"
    other.mkdir()
    (other / ".gitkeep").write_text("notes", encoding="utf-8")
    proc = run_cli("run", str(raw), "--out", str(other), "-q")
    assert proc.returncode != 0 and b"did not write (.gitkeep)" in proc.stderr, proc.stderr


# --- 33. a JSONL file whose only line is not UTF-8; gzip, an array, pretty JSON on stdin ------------

def test_a_jsonl_file_of_bad_lines_is_not_also_an_empty_file(tmp_path):
    """Its lines were rejected, and the file got a second row, 'empty file', besides."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "x.jsonl").write_bytes(b'{"id": "a", "text": "caf\xe9 in Paris"}\n')
    assert run_cli("run", str(raw), "--out", str(tmp_path / "out"), "-q").returncode == 0
    rows = [json.loads(line) for line in (tmp_path / "out" / "documents.jsonl").open(encoding="utf-8")]
    assert [(r["id"], r["error"]) for r in rows] == [("x:1", "line 1: not UTF-8 (invalid continuation byte)")], rows


def test_stdin_mistakes_get_a_hint(tmp_path):
    import gzip

    one = json.dumps({"id": "a", "text": EN})
    cases = ((gzip.compress((one + "\n").encode()), "gzip data: decompress it first"),
             (("[" + one + ", " + one + "]\n").encode(), "got array of 2 items (one object a JSONL line"),
             (json.dumps({"id": "a", "text": EN}, indent=2).encode(), "a JSON object spread over several lines?"))
    for data, hint in cases:
        proc = subprocess.run([sys.executable, "-m", "cleaner", "run", "-", "--out", "-"], input=data,
                              capture_output=True, timeout=300)
        err = proc.stderr.decode()
        assert proc.returncode == 0 and hint in err and "no JSON lines" not in err, err


# --- 34. stderr closed (2>&-) or on a full disk (2>/dev/full) -----------------------------------------

@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_run_whose_stderr_cannot_be_written_still_exits_0(tmp_path):
    """The summary's write failed after the outputs were written: exit 1 (closed) or 2 (full),
    so a cron job saw a failed run that had completed."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(EN + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for n, stderr in enumerate(("closed", "/dev/full")):
        out = tmp_path / f"out{n}"
        args = [sys.executable, "-m", "cleaner", "run", str(raw), "--out", str(out)]
        if stderr == "closed":
            proc = subprocess.run(["sh", "-c", '"$@" 2>&-', "sh", *args], timeout=300, env=env)
        else:
            with open(stderr, "w") as full:
                proc = subprocess.run(args, stderr=full, timeout=300, env=env)
        assert proc.returncode == 0 and (out / "documents.jsonl").exists(), (stderr, proc.returncode)
        with open("/dev/full", "w") as full:  # an error stays an error
            assert subprocess.run([sys.executable, "-m", "cleaner", "show", str(out), "nope"], stderr=full,
                                  stdout=subprocess.DEVNULL, timeout=300, env=env).returncode == 2


# --- 35. a file that is not a state, given as --state ----------------------------------------------

def test_a_file_refused_as_a_state_gets_no_lock_file_beside_it(tmp_path):
    """`--state app.db` (another program's database) or `--state feed.jsonl` by mistake was
    refused, and left `app.db.lock` beside it."""
    app = tmp_path / "app.db"
    con = sqlite3.connect(app)
    con.execute("CREATE TABLE users(id INTEGER)")
    con.commit()
    con.close()
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"text": EN}) + "\n", encoding="utf-8")
    before = feed.read_bytes(), app.read_bytes()
    for bad in (app, feed):
        one_line_error(run_cli("run", "-", "--out", "-", "--state", str(bad), stdin=json.dumps({"text": EN})),
                       "not a cleaner state")
    assert sorted(os.listdir(tmp_path)) == ["app.db", "feed.jsonl"] and (feed.read_bytes(), app.read_bytes()) == before


def test_a_real_state_refused_for_its_settings_keeps_its_lock_file(tmp_path):
    """Only a file that is not a state loses the lock file its opening made. A real state
    refused (other MinHash settings, another schema) keeps it: removing it let a writer
    waiting on the old file (--wait) and a new writer on a fresh lock file both write."""
    from cleaner.store.state import NotAState, State, StateError

    db = tmp_path / "s.db"
    State(db, settings="a").close()
    os.remove(str(db) + ".lock")  # as a copied or restored state arrives: no lock file yet
    with pytest.raises(StateError) as refused:
        State(db, settings="b")
    assert not isinstance(refused.value, NotAState) and "other MinHash/shingle settings" in str(refused.value)
    assert (tmp_path / "s.db.lock").exists()
    (tmp_path / "junk.db").write_bytes(b"not sqlite at all, just text" * 100)
    with pytest.raises(NotAState):
        State(tmp_path / "junk.db")
    assert not (tmp_path / "junk.db.lock").exists()


# --- 36. explain in an export of a state, whose copies have no text --------------------------------

def test_explain_in_an_export_does_not_score_texts_it_does_not_have(tmp_path):
    """explain said 'near: 0.0000 below' for two documents merged as near copies at 0.875: the
    export keeps canonicals' texts only."""
    text = "The city council of Lyon approved the new budget on Monday after a long debate about schools."
    lines = "".join(json.dumps(d) + "\n" for d in ({"id": "a", "text": text, "date": "2025-01-02"},
                                                   {"id": "b", "text": text + " Reporting by Ann.",
                                                    "date": "2025-01-03"}))
    db, out = tmp_path / "s.db", tmp_path / "exp"
    assert run_cli("run", "-", "--out", "-", "--state", str(db), "-q", stdin=lines).returncode == 0
    assert run_cli("export", str(db), "--out", str(out), "-q").returncode == 0
    proc = run_cli("explain", str(out), "a", "b")
    text_out = proc.stdout.decode()
    assert proc.returncode == 0 and "0.0000" not in text_out and "b has no text" in text_out, text_out
    assert "b: near in rec-" in text_out, text_out


# --- 37. Ctrl-C while a committed batch's rows are being written -------------------------------------

def test_ctrl_c_while_a_committed_batchs_rows_go_out_says_that_batch_is_committed(tmp_path):
    """It said 'the state keeps every batch written before', as if the batch whose rows were
    half written had been rolled back: it was committed, and some of its rows never went out."""
    import select
    import signal

    feed, _ = _big_run(tmp_path)  # one ~900 KB row: the write blocks on the pipe's 64 KB
    db = tmp_path / "s.db"
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", str(feed), "--out", "-", "--state", str(db), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": ""})
    try:
        assert select.select([proc.stdout], [], [], 300)[0], "no row came"
        proc.send_signal(signal.SIGINT)  # the row is being written, and the reader reads nothing
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 130, err
    finally:
        proc.stdout.close()
        proc.kill()
    assert "while writing the rows of batch 1, which is committed to" in err and len(err.strip().splitlines()) == 1, err
    assert "1 document," in run_cli("state", "info", str(db)).stdout.decode()


# --- attack-13b: the Python API given the wrong kind of argument --------------------------

@pytest.mark.parametrize("config", [5, [1], b"cleaner.toml", True])
def test_api_config_of_a_wrong_type_is_a_type_error_naming_config(config):
    from cleaner import Deduplicator, clean
    with pytest.raises(TypeError, match=r"^config must be a path .* got "):
        clean([{"id": "a", "text": EN}], config=config)
    with pytest.raises(TypeError, match=r"^config must be a path .* got "):
        Deduplicator(config=config)


@pytest.mark.parametrize("items", [None, 5])
def test_api_items_that_are_not_iterable_is_a_type_error_naming_the_verb(items):
    from cleaner import Deduplicator, clean
    with pytest.raises(TypeError, match=r"^clean\(\) takes an iterable of items"):
        clean(items)
    with Deduplicator() as dedup:
        with pytest.raises(TypeError, match=r"^add\(\) takes an iterable of items"):
            list(dedup.add(items))


def test_eval_names_the_gold_ids_missing_from_the_run_and_a_renamed_one(tmp_path):
    """A gold id not in the run is scored as a singleton (lower recall): eval says which, on
    stderr, and when the run renamed it (two inputs shared it), says that too."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jsonl").write_text(json.dumps({"id": "x", "text": "The mayor opened a new library on Friday."}) + "\n")
    (src / "b.jsonl").write_text(json.dumps({"id": "x", "text": "Heavy rain flooded streets near the port."}) + "\n")
    (src / "c.jsonl").write_text(json.dumps({"id": "y", "text": "Schools close early on Thursday for the storm."}) + "\n")
    out = tmp_path / "out"
    assert run_cli("run", str(src), "--out", str(out), "-q").returncode == 0
    gold = tmp_path / "gold.csv"
    gold.write_bytes("\ufeffid,label\r\nx,s1\r\ny,s2\r\nzz é,s2\r\n".encode())
    proc = run_cli("eval", str(out), str(gold), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["missing"] == 2
    err = proc.stderr.decode()
    assert len(err.strip().splitlines()) == 1, err
    assert "2 gold id(s) not in the run" in err and "'x'" in err and "'zz é'" in err, err
    assert "1 of them shared an id in the run, which renamed them id@source" in err, err


@pytest.mark.parametrize("state", ["", "  "])
def test_api_an_empty_state_path_is_a_value_error_saying_so(state, tmp_path, monkeypatch):
    """It was "StateError  is not a file", naming nothing ("  " made a state named "  ")."""
    from cleaner import Deduplicator
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"^state must be a path, got an empty string"):
        Deduplicator(state=state)


def test_run_with_a_blank_state_name_is_refused(tmp_path):
    line = json.dumps({"id": "a", "text": EN}) + "\n"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state", " "],
                          input=line.encode(), capture_output=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": root})
    one_line_error(proc, "--state needs a file name, got a blank one")
    assert not list(tmp_path.iterdir())


def test_a_deduplicator_dropped_without_close_lets_the_next_one_open_the_state(tmp_path):
    """A stage in a job that forgot `with`: once its object is gone, the next job's
    Deduplicator on the same state was refused ("already open for writing in this process")
    for the process's lifetime, though nothing could use the first one any more."""
    from cleaner import Deduplicator
    db = tmp_path / "s.db"

    def job(item):
        dedup = Deduplicator(state=db)
        # a reference cycle, as a user's object or a callback can make: only gc frees it
        dedup.me = dedup
        return [row["status"] for row in dedup.add([item])]

    assert job({"id": "a", "text": EN}) == ["kept"]
    assert job({"id": "b", "text": "Heavy rain flooded several streets near the port overnight."}) == ["kept"]
    live = Deduplicator(state=db)  # one still referenced is still refused
    with pytest.raises(Exception, match="already open for writing in this process"):
        Deduplicator(state=db)
    live.close()


def test_a_python_date_or_datetime_in_date_is_its_calendar_day():
    """A Python job passes its own dates: a datetime.date or datetime in `date` was noted as
    a field of the wrong type and ignored, so the item had no date for the story window."""
    import datetime

    from cleaner import clean

    text = "The council of Lyon met on Monday and approved the budget for the schools of the town."
    items = [{"id": "a", "text": text, "date": datetime.datetime(2025, 3, 4, 23, 30, tzinfo=datetime.timezone.utc)},
             {"id": "b", "text": text + " Later.", "date": datetime.date(2025, 3, 5)},
             {"id": "c", "text": text + " Else.", "date": 20250306}]
    rows = {d["id"]: d for d in clean(items).documents}
    assert (rows["a"]["date"], rows["b"]["date"]) == ("2025-03-04", "2025-03-05"), rows
    assert rows["a"]["meta"]["date"] == "input field 'date' (datetime)" and "date_ignored" not in rows["b"]["meta"]
    assert rows["c"]["date"] is None and "date_ignored" in rows["c"]["meta"], rows["c"]["meta"]


def test_long_and_month_first_dates_are_read():
    """A feed's "Dec 20, 2025" or "20. Dezember 2025" stayed unparsed: the document had no
    date, so the story tier's window never applied to it."""
    from cleaner.core.dates import normalise_date

    for value in ("Dec 20, 2025", "Saturday, December 20, 2025", "Dec. 20th 2025", "20251220", "20251220T0340Z",
                  "20. Dezember 2025", "20 de diciembre de 2025", "20 декабря 2025 г.", "20 grudnia 2025 r.",
                  "20 Δεκεμβρίου 2025", "20th December 2025"):
        assert normalise_date(value) == "2025-12-20", value
    assert normalise_date("1er décembre 2025") == "2025-12-01"
    # a name two languages give two months (Czech November, Croatian October) gives no date
    assert normalise_date("5 listopad 2025") is None and normalise_date("5 listopadu 2025") == "2025-11-05"
    assert normalise_date("Feb 30, 2024") is None and normalise_date("202512201") is None and normalise_date("12345678") is None
    assert normalise_date("Decimal 20, 2025") is None and normalise_date("Mai 20, 2025") is None


def test_a_users_files_inside_reports_folders_are_not_deleted(tmp_path):
    """Only OUT's top-level names were checked: a file the user put in report-pages/ (or in
    .cleaner-partial/) was deleted with the previous run when the next run replaced OUT."""
    from pathlib import Path

    out, raw = tmp_path / "o", str(Path(__file__).resolve().parent.parent / "raw")
    assert run_cli("run", raw, "--out", str(out), "-q", timeout=300).returncode == 0
    notes = out / "report-pages" / "notes.txt"
    notes.write_text("mine")
    proc = run_cli("run", raw, "--out", str(out), "-q", timeout=300)
    assert proc.returncode != 0 and "report-pages/notes.txt" in proc.stderr.decode(), proc.stderr
    assert notes.read_text() == "mine"
    notes.unlink()
    (out / "report-pages" / "sub").mkdir()
    assert run_cli("run", raw, "--out", str(out), "-q", timeout=300).returncode != 0
    assert (out / "report-pages" / "sub").is_dir()
    (out / "report-pages" / "sub").rmdir()
    partial = out / ".cleaner-partial"
    partial.mkdir()
    (partial / "meta.json").write_text('{"fingerprint": "x"}')
    (partial / "diary.txt").write_text("mine")
    assert run_cli("run", raw, "--out", str(out), "-q", timeout=300).returncode != 0
    assert (partial / "diary.txt").read_text() == "mine"
    (partial / "diary.txt").unlink()
    (partial / "123.spool").write_bytes(b"")
    # what cleaner itself writes there is its own: the run goes on
    assert run_cli("run", raw, "--out", str(out), "-q", timeout=300).returncode == 0
