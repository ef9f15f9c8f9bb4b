"""state-22 (#16 point 9): the story window's canonicals' salient terms kept in the state
(the terms table, schema 6) from the batch that made each canonical for as long as it may be
in a batch's window, so a later batch takes them from there instead of signing the texts
again: the same rows, events and tables as signing them again; a state of schema 5 is
migrated by a writer, read as it is by a reader; an older one is refused in one line."""

import sqlite3

import pytest

from cleaner import Deduplicator
from cleaner.core.config import config_from_dict
from cleaner.dedup import incremental
from cleaner.exec import forked
from cleaner.stages.sign import Sign
from cleaner.store.state import SCHEMA, State, StateError

from test_state import run_cli
from test_state_forked import raw_items  # noqa: F401  (a fixture)
from test_state_rows import TABLES


def _stream(items, workers, batch_size, path=None, config=None):
    with Deduplicator(state=path, batch_size=batch_size, workers=workers, config=config) as dedup:
        rows = list(dedup.add(items))
        tables = {name: dedup._state.db.execute(sql).fetchall() for name, sql in TABLES.items()}
        packer = dedup._state.packer
        tables["docs"] = [(n, i, g, b, d, packer.unpack(m), packer.unpack_doc(doc, i), packer.unpack_text(t))
                          for n, i, g, b, d, m, doc, t in tables["docs"]]
        terms = dedup._state.db.execute("SELECT g, n, day, batch FROM terms ORDER BY g").fetchall()
        return rows, dedup.events, tables, terms


def _signing(monkeypatch):
    """The texts Sign.salient signs in this process (sign_ahead, with_terms)."""
    signed: list[str] = []
    real = Sign.salient

    def salient(self, text, *rest):
        signed.append(text)
        return real(self, text, *rest)

    monkeypatch.setattr(Sign, "salient", salient)
    return signed


@pytest.mark.parametrize("workers", [1, 2])
def test_window_terms_come_from_the_state_with_the_same_rows(raw_items, monkeypatch, workers):  # noqa: F811
    """Later batches take their window canonicals' terms from the terms table, signing none
    of those texts again, and give the rows, events and tables of a run that signs them all."""
    if workers > 1 and not forked.can_fork():
        pytest.skip("no fork here")
    monkeypatch.setattr(forked, "MIN_TEXTS", 1)  # the window's texts on the batch's children, however few
    monkeypatch.setattr(incremental, "TERMS_BUDGET", 1 << 20)  # every row kept (a few documents' budget holds ~1)
    size = -(-len(raw_items) // 3)
    real_stored = State.stored_terms
    monkeypatch.setattr(State, "stored_terms", lambda self, groups: {})  # nothing kept: every text signed again
    again = _stream(raw_items, workers, size)
    monkeypatch.setattr(State, "stored_terms", real_stored)
    taken: list[int] = []

    def stored_terms(self, groups):
        found = real_stored(self, groups)
        taken.extend(found)
        return found

    monkeypatch.setattr(State, "stored_terms", stored_terms)
    signed = _signing(monkeypatch)
    kept = _stream(raw_items, workers, size)
    assert kept[:3] == again[:3]
    assert taken, "no window canonical's terms were taken from the state"
    # Every window canonical a later batch read had its terms kept: no text of a state's
    # canonical was signed again in this process (1 worker: sign_ahead signs here).
    if workers == 1:
        assert signed == [], len(signed)
    # A row for every group whose canonical a batch set (the window is every batch here).
    assert [g for g, *_ in kept[3]] == [g for g, *_ in kept[2]["groups"]]


def test_kept_terms_are_what_signing_the_text_again_gives(raw_items, tmp_path, monkeypatch):  # noqa: F811
    """The cache is exact: each row holds what sign.salient gives for its canonical's stored text."""
    monkeypatch.setattr(incremental, "TERMS_BUDGET", 1 << 20)
    _stream(raw_items, 1, -(-len(raw_items) // 2), path=str(tmp_path / "s.db"))
    state = State(tmp_path / "s.db", writer=False)
    sign = Sign.from_config(config_from_dict())
    rows = state.db.execute("SELECT g, n, terms FROM terms").fetchall()
    assert len(rows) > 10
    for g, n, blob in rows:
        assert state.group(g)[3] == n
        _, slim, text = state.doc(n)
        assert tuple(state.packer.unpack(blob)) == tuple(sign.salient(text, slim.date, slim.title, slim.lang))
    state.close()


def test_terms_outside_any_later_window_are_dropped_and_a_group_without_them_is_signed_again(tmp_path, monkeypatch):
    """Terms set before the last story.window_batches batches whose canonical is dated before
    the batch's window go; a window canonical without them is signed again from its text."""
    monkeypatch.setattr(incremental, "TERMS_BUDGET", 1 << 20)
    cfg = config_from_dict({"story": {"window_batches": 1, "window_days": 5}})
    texts = ["The Zorrilla warehouse fire in Vilanova de Marzal reached two depots overnight; mayor Ines "
             "Arrabal thanked the crews.",
             "Crews in Vilanova de Marzal fought the Zorrilla warehouse fire until dawn, mayor Ines Arrabal "
             "said on Wednesday.",
             "A storm closed the Karvell bridge over the Ostra river for six hours, the Lindqvist transport "
             "office said.",
             "Farmers in the Tollund valley began the olive harvest two weeks early after a dry summer, "
             "the Brannock cooperative said."]
    db = tmp_path / "s.db"
    with Deduplicator(state=db, config=cfg, batch_size=1) as dedup:
        list(dedup.add([{"id": "a", "text": texts[0], "date": "2025-03-01"}]))
        list(dedup.add([{"id": "b", "text": texts[2], "date": "2025-03-02"}]))
        kept = dedup._state.db.execute("SELECT g FROM terms ORDER BY g").fetchall()
        assert kept == [(0,), (1,)]
        # Two batches later and 60 days on: group 0 and 1 are neither recent nor dated in the window.
        list(dedup.add([{"id": "c", "text": texts[3], "date": "2025-05-01"}]))
        assert dedup._state.db.execute("SELECT g FROM terms ORDER BY g").fetchall() == [(1,), (2,)]
        list(dedup.add([{"id": "d", "text": texts[1], "date": "2025-05-02"}]))
        assert dedup._state.db.execute("SELECT g FROM terms ORDER BY g").fetchall() == [(2,), (3,)]
    # A window canonical whose row went is signed again: the same rows as with every row kept.
    signed = []
    real = incremental.IncrementalClusterer._stored_terms

    def stored(self, canonicals):
        todo = real(self, canonicals)
        signed.extend(todo)
        return todo

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(incremental.IncrementalClusterer, "_stored_terms", stored)
        with Deduplicator(state=db, config=config_from_dict({"story": {"window_batches": 10, "window_days": 90}}),
                          batch_size=1) as dedup:
            (row,) = dedup.add([{"id": "e", "text": texts[0] + " Two depots burned.", "date": "2025-03-03"}])
    assert signed, "group 0's canonical, without its terms row, was not signed again"
    assert row["record_id"]


def test_the_terms_kept_stay_within_their_budget_a_document_earliest_batches_first(tmp_path, monkeypatch):
    """At most TERMS_BUDGET bytes of terms a document of the state: the earliest batches' rows go first."""
    db = tmp_path / "s.db"
    monkeypatch.setattr(incremental, "TERMS_BUDGET", 1 << 20)
    words = ["harbour", "bridge", "river", "storm", "depot", "council", "museum", "market", "school", "station"]
    items = [{"id": f"d{i}", "date": "2025-03-01",
              "text": f"Mayor Ines Arrabal{i} of Vilanova{i} opened the {words[i]} on Monday, said Karl Ostra{i}. " * 3}
             for i in range(10)]
    with Deduplicator(state=db, batch_size=2) as dedup:
        list(dedup.add(items))
        con = dedup._state.db
        sizes = dict(con.execute("SELECT g, length(terms) FROM terms"))
        assert len(sizes) == 10
        by_batch = [g for g, in con.execute("SELECT g FROM terms ORDER BY batch, g")]
        # A budget that holds the last 7 rows' bytes, for 10 documents: the first 3 go.
        budget = -(-sum(sizes[g] for g in by_batch[3:]) // 10)
        dedup._state.trim_terms(budget)
        assert [g for g, in con.execute("SELECT g FROM terms ORDER BY batch, g")] == by_batch[3:]
        assert sum(length for length, in con.execute("SELECT length(terms) FROM terms")) <= budget * 10
    # The default budget, in a batch: never more than TERMS_BUDGET bytes a document.
    monkeypatch.setattr(incremental, "TERMS_BUDGET", 80)
    with Deduplicator(state=db, batch_size=2) as dedup:
        list(dedup.add([dict(item, id=f"e{i}", text=item["text"] + " Again.") for i, item in enumerate(items[:2])]))
        con = dedup._state.db
        (held,) = con.execute("SELECT sum(length(terms)) FROM terms").fetchone()
        (documents,) = con.execute("SELECT count(*) FROM docs").fetchone()
        assert held <= 80 * documents


def test_prune_drops_the_terms_of_the_groups_it_removes(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    monkeypatch.setattr(incremental, "TERMS_BUDGET", 1 << 20)
    with Deduplicator(state=db) as dedup:
        list(dedup.add([{"id": "a", "text": "Vilanova de Marzal opened its new harbour on Monday, mayor Ines "
                         "Arrabal said.", "date": "2025-01-01"},
                        {"id": "b", "text": "The Karvell bridge over the Ostra river reopened after the storm, "
                         "officials said.", "date": "2025-06-01"}]))
    state = State(db)
    assert state.prune("2025-03-01") == (1, 1)
    assert state.db.execute("SELECT g FROM terms").fetchall() == [(1,)]
    state.close()


def _as_schema_5(db):
    con = sqlite3.connect(db)
    con.execute("DROP TABLE terms")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema'")
    con.commit()
    con.close()


def test_a_schema_5_state_is_migrated_by_a_writer_and_read_as_it_is(tmp_path):
    db = tmp_path / "s.db"
    item = {"id": "a", "text": "The Karvell bridge over the Ostra river reopened after the storm.", "date": "2025-06-01"}
    with Deduplicator(state=db) as dedup:
        list(dedup.add([item]))
    _as_schema_5(db)
    reader = State(db, writer=False)  # show, export, state info: read, left as they are
    assert reader.meta("schema") == "5" and reader.info()["documents"] == 1
    reader.close()
    proc = run_cli("state", "info", str(db), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with Deduplicator(state=db) as dedup:
        (row,) = dedup.add([dict(item, id="b")])
    assert row["status"] == "duplicate"
    con = sqlite3.connect(db)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (str(SCHEMA),)
    assert con.execute("SELECT count(*) FROM terms").fetchone() == (0,)  # batch 2 made no canonical
    con.close()
    assert SCHEMA == 6


def test_a_state_older_than_schema_5_is_refused_in_one_line(tmp_path):
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([{"id": "a", "text": "The Karvell bridge reopened."}]))
    _as_schema_5(db)
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")
    con.commit()
    con.close()
    for writer in (True, False):
        with pytest.raises(StateError, match=r"schema version 4; this cleaner reads version 6"):
            State(db, writer=writer)
    proc = run_cli("run", "-", "--out", "-", "--state", str(db), stdin='{"id": "b", "text": "x"}\n', cwd=tmp_path)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1 and "schema version 4" in err, err


def test_terms_kept_under_other_settings_are_dropped_not_used(raw_items, tmp_path, monkeypatch):  # noqa: F811
    """A batch run with another story.lead_words (or another cleaner: the code's hash is in
    incremental.terms_settings) than the one that kept a window canonical's terms signs it
    again: its rows are those of a state that kept no terms, and every row left is what
    signing gives under the new settings."""
    monkeypatch.setattr(incremental, "TERMS_BUDGET", 1 << 20)
    half = -(-len(raw_items) // 2)
    first, second = raw_items[:half], raw_items[half:]
    other = {"story": {"lead_words": 5}}

    def two_batches(path, keep):
        _stream(first, 1, half, path=path)
        real = State.stored_terms
        if not keep:
            monkeypatch.setattr(State, "stored_terms", lambda self, groups: {})
        try:
            return _stream(second, 1, half, path=path, config=other)
        finally:
            monkeypatch.setattr(State, "stored_terms", real)

    kept = two_batches(str(tmp_path / "kept.db"), keep=True)
    again = two_batches(str(tmp_path / "again.db"), keep=False)
    assert kept[:2] == again[:2]
    state = State(tmp_path / "kept.db", writer=False)
    sign = Sign.from_config(config_from_dict(other))
    rows = state.db.execute("SELECT g, n, batch, terms FROM terms").fetchall()
    assert rows and {batch for _, _, batch, _ in rows} == {2}, "the first batch's terms (lead_words 40) were kept"
    for g, n, _, blob in rows:
        _, slim, text = state.doc(n)
        assert tuple(state.packer.unpack(blob)) == tuple(sign.salient(text, slim.date, slim.title, slim.lang))
    state.close()
