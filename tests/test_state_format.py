"""The state's compact rows (#16 point 9, at most 2 KB a document): what a row keeps comes
back exactly (texts with their language's dictionary, slim documents without their id,
record ids as integers), a rolled-back batch leaves no row that cannot be read, and a state
of the previous layout is refused with a one-line error."""

import sqlite3
import zlib

import pytest

from cleaner import Deduplicator
from cleaner.core.config import load_config
from cleaner.core.document import Document
from cleaner.dedup.incremental import _slim, restore_member, state_settings
from cleaner.stages.sign import Sign
from cleaner.store.state import SCHEMA, State, StateError, text_dictionary
from hostile_folder import DE, EN, FR, RU
from test_state import run_cli

SETTINGS = state_settings(load_config())
SIGN = Sign.from_config(load_config())


def _signed(doc_id: str, text: str, lang: str | None) -> Document:
    doc = Document(id=doc_id, source="<api>", text=text, lang=lang, title="A title", date="2025-03-04",
                   meta={"title": "first line of text"})
    return SIGN.process(doc)


def _add(state: State, doc: Document, g: int, batch: int, text: bool = True) -> int:
    return state.add_doc(doc.id, g, batch, doc.date, ("canonical", 1.0, 1.0, None, None, "starts the record"),
                         _slim(doc), doc.text if text else None)


def test_rows_come_back_exactly(tmp_path):
    db = tmp_path / "s.db"
    docs = [_signed("en-1", EN, "en"), _signed("ru-1", RU, "ru"), _signed("none-1", FR, None),
            _signed("xx-1", DE, "xx"), _signed("bad-1", "Odd language code.", "zh-Hant!")]
    state = State(db, SETTINGS)
    try:
        batch = state.begin()
        numbers = [_add(state, d, g, batch) for g, d in enumerate(docs)]
        copy = _signed("member-1", EN + " One more line.", "en")
        copy_n = _add(state, copy, 0, batch, text=False)
        state.add_group(0, docs[0].features.exact, "rec-0123456789abcdef", batch, numbers[0], 1, b"\x01" * 128)
        state.add_group(1, "not-hex key", "rec-not-a-hex-id", batch, numbers[1], None, b"\x02" * 128)
        state.add_events([{"batch": batch, "record_id": "rec-fedcba9876543210", "event": "created", "document": "x"},
                          {"batch": batch, "record_id": "rec-odd", "event": "merged", "ended": "rec-0"}])
        state.commit(batch, len(docs), "")
    finally:
        state.close()
    state = State(db, writer=False)  # a reader, as show and export read
    try:
        for doc, n in zip(docs, numbers):
            member, slim, text = state.doc(n)
            assert text == doc.text and slim.id == doc.id and slim.lang == doc.lang
            assert slim.features.exact == doc.features.exact and slim.features.words == doc.features.words
            # kept with its text: salient terms signed again from it, as signing gave them
            assert slim.features.terms is None
            restored = restore_member(SIGN, member, slim, text).doc.features
            for name in ("terms", "lead", "term_lines", "dateline", "line_words"):
                assert getattr(restored, name) == getattr(doc.features, name), name
            assert slim.title == doc.title and slim.date == doc.date and slim.meta == doc.meta
            assert member[0] == "canonical"
            assert state.slim_doc(n).id == doc.id
        assert state.known_doc("en-1", docs[0].features.exact) == numbers[0]
        # a member keeps no text, so it keeps its terms
        _, slim, text = state.doc(copy_n)
        assert text == "" and slim.id == "member-1" and slim.features.terms == copy.features.terms
        assert slim.features.term_lines == copy.features.term_lines and slim.features.lead == copy.features.lead
        assert state.group(0)[0] == docs[0].features.exact and state.group(1)[0] == "not-hex key"
        assert state.root_of_record("rec-0123456789abcdef") == 0 and state.root_of_record("rec-not-a-hex-id") == 1
        assert state.events_of("rec-fedcba9876543210") == [
            {"batch": 1, "event": "created", "record_id": "rec-fedcba9876543210", "document": "x"}]
        assert state.events_of("rec-odd")[0]["ended"] == "rec-0"
        # record ids as 8-byte integers, not 20 characters
        assert state.db.execute("SELECT typeof(rid) FROM groups WHERE g = 0").fetchone()[0] == "integer"
        assert state.db.execute("SELECT typeof(record_id) FROM events WHERE n = 1").fetchone()[0] == "integer"
        # one dictionary per language wordfreq has a list for, none for the others
        keys = {k for (k,) in state.db.execute("SELECT key FROM meta WHERE key LIKE 'ztext %'")}
        assert keys == {"ztext en", "ztext ru"}
        (blob,) = state.db.execute("SELECT text FROM docs WHERE n = ?", (numbers[0],)).fetchone()
        assert blob[:3] == b"\x02en"
        # the dictionary earns its keep: fewer bytes than zlib alone
        assert len(blob) - 3 < len(zlib.compress(EN.encode("utf-8"), 6)) - 6
        (blob,) = state.db.execute("SELECT text FROM docs WHERE n = ?", (numbers[3],)).fetchone()
        assert blob[:1] == b"\x00" and zlib.decompress(blob[1:], -15) == DE.encode("utf-8")
        # a text's bytes do not depend on what was compressed before it (each copies a
        # compressor prepared with the dictionary)
        again = state.packer.pack_text(EN, "en")
        assert state.packer.pack_text(RU, "ru") and state.packer.pack_text(EN, "en") == again
        assert again == state.db.execute("SELECT text FROM docs WHERE n = ?", (numbers[0],)).fetchone()[0]
        # no signature column: a canonical's MinHash comes back from its text
        assert "sig" not in {r[1] for r in state.db.execute("PRAGMA table_info(groups)")}
    finally:
        state.close()


def test_text_dictionary_is_common_words_and_kept_by_the_state():
    en = text_dictionary("en")
    assert 10_000 < len(en) <= 32768 and en.endswith(b" the ")  # the commonest word last
    assert text_dictionary("xx") == b"" and text_dictionary("EN") == b"" and text_dictionary("../en") == b""


def test_a_rolled_back_batch_takes_its_text_dictionary_with_it(tmp_path):
    db = tmp_path / "s.db"
    state = State(db, SETTINGS)
    try:
        batch = state.begin()
        _add(state, _signed("en-1", EN, "en"), 0, batch)
        state.rollback()  # the meta row with the dictionary is gone with the batch
        batch = state.begin()
        n = _add(state, _signed("en-2", EN, "en"), 0, batch)
        state.commit(batch, 1, "")
    finally:
        state.close()
    state = State(db, writer=False)
    try:
        assert state.doc(n)[2] == EN
    finally:
        state.close()


def test_a_text_whose_dictionary_is_missing_is_a_state_error(tmp_path):
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([{"id": "a", "text": EN, "lang": "en"}]))
    con = sqlite3.connect(db)
    langs = [k for (k,) in con.execute("SELECT key FROM meta WHERE key LIKE 'ztext %'")]
    assert langs
    con.execute("DELETE FROM meta WHERE key LIKE 'ztext %'")
    con.commit()
    con.close()
    state = State(db, writer=False)
    try:
        with pytest.raises(StateError, match="no text dictionary"):
            state.doc(1)
    finally:
        state.close()


def test_a_state_of_the_previous_layout_is_refused_in_one_line(tmp_path):
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([{"id": "a", "text": EN}]))
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")  # schema 4: signatures, text ids
    con.commit()
    con.close()
    assert SCHEMA == 6
    with pytest.raises(StateError, match=r"schema version 4; this cleaner reads version 6"):
        State(db, writer=False)
    for args in (["state", "info", str(db)], ["run", "-", "--out", "-", "--state", str(db)]):
        proc = run_cli(*args, stdin='{"id": "b", "text": "x"}\n', cwd=tmp_path)
        err = proc.stderr.decode().strip()
        assert proc.returncode == 2 and len(err.splitlines()) == 1, err
        assert "schema version 4" in err and "version 6" in err


def test_the_screen_never_rules_out_what_the_estimate_keeps():
    """groups.screen (the low byte of each MinHash value) skips a candidate only when the
    estimate would: equal values have equal low bytes, so its share of matches is never lower."""
    import numpy as np

    from cleaner.dedup.cluster import _estimate
    from cleaner.dedup.incremental import screen_bytes

    rng = np.random.default_rng(5)
    for shared in range(0, 129, 4):
        a = rng.integers(0, 2**32, 128, dtype=np.uint32)
        b = rng.integers(0, 2**32, 128, dtype=np.uint32)
        b[:shared] = a[:shared]
        b[shared:shared + 8] = (b[shared:shared + 8] & ~np.uint32(0xFF)) | (a[shared:shared + 8] & 0xFF)  # same low byte
        screened = float(np.mean(screen_bytes(a) == screen_bytes(b)))
        assert screened >= _estimate(a, b)
        assert screen_bytes(a).dtype == np.uint8 and len(screen_bytes(a).tobytes()) == 128
