"""The pipeline's modes give the same output: in memory or spooled, 1 or 2 workers."""

import json

from cleaner.core.config import load_config
from cleaner.exec.flow import run_documents
from cleaner.input.read import read_inputs
from conftest import RAW


def rows(result):
    docs = [json.dumps(result.full(d).to_json(), ensure_ascii=False) + "\n" for d in result.documents]
    recs = [json.dumps(r.to_json(result.full(r.canonical).text), ensure_ascii=False) + "\n" for r in result.records]
    # What the CLI writes: rows spliced from parts the workers encoded.
    assert list(result.document_lines()) == [d.encode("utf-8") for d in docs]
    assert list(result.record_lines()) == [r.encode("utf-8") for r in recs]
    return docs, recs, result.rule_hits()


def run(**kw):
    cfg = load_config()
    return run_documents(read_inputs(RAW, cfg["read"]["extensions"], cfg["read"]["max_file_bytes"]), cfg, **kw)


def test_spooled_run_equals_in_memory_run(tmp_path):
    memory = run()
    spooled = run(spool=True, spool_dir=str(tmp_path))
    try:
        assert rows(spooled) == rows(memory)
        assert all(d.text == "" and d.features is None and d.stored.ref is not None for d in spooled.documents if d.ok)
        assert list(tmp_path.iterdir()), "the spool lives in the given folder"
    finally:
        spooled.close()
    assert not list(tmp_path.iterdir()), "closing removes the spool"


def test_two_workers_equal_one(tmp_path):
    one, two = run(workers=1), run(workers=2, spool=True, spool_dir=str(tmp_path))
    try:
        assert rows(one) == rows(two)
    finally:
        two.close()


def test_workers_store_documents_themselves(tmp_path, monkeypatch):
    # Whole documents never go through the main process: it stores none of them (no
    # document here shares a line with another, so templates re-store none either).
    import os

    from cleaner.core.document import Document
    from cleaner.store.spool import Spool

    main, stored_by_main, real_put = os.getpid(), [], Spool.put

    def put(self, doc, entry=None):
        if os.getpid() == main:  # the forked workers' appends go to their own copy of the list
            stored_by_main.append(doc.id)
        return real_put(self, doc, entry)

    monkeypatch.setattr(Spool, "put", put)
    docs = [Document(id=f"d{i}", source=f"s{i}.txt", text=f"Story {i}: " + " ".join(f"w{i}x{k}" for k in range(40)))
            for i in range(40)]
    result = run_documents(docs, load_config(), workers=2, spool=True, spool_dir=str(tmp_path))
    try:
        assert stored_by_main == []
        assert all(d.stored.ref is not None for d in result.documents)
        assert [result.full(d).text for d in result.documents] == [d.text for d in sorted(docs, key=Document.sort_key)]
    finally:
        result.close()


def _site_runs(tmp_path, texts):
    """One source's documents run in memory and spooled with 2 workers."""
    from cleaner.input.read import read_inputs as read

    src = tmp_path / "in" / "site"
    src.mkdir(parents=True)
    (tmp_path / "spool").mkdir()
    for i, text in enumerate(texts):
        (src / f"s{i}.txt").write_text(text, encoding="utf-8")
    cfg = load_config()
    memory = run_documents(read(tmp_path / "in", cfg["read"]["extensions"], 10**6), cfg)
    spooled = run_documents(read(tmp_path / "in", cfg["read"]["extensions"], 10**6), cfg, workers=2,
                            spool=True, spool_dir=str(tmp_path / "spool"))
    return memory, spooled


def test_spooled_run_applies_templates_like_in_memory(tmp_path):
    footer = "Kontakt zur Lokalredaktion und Leserservice unter der bekannten Nummer"
    memory, spooled = _site_runs(tmp_path, [
        f"Headline {i}\n{story}\n{footer}\n" for i, story in enumerate([
            "The harbour reopened on Monday after three weeks of repairs to the quay walls.",
            "The council voted on Tuesday to raise the school building budget by a tenth.",
            "A new tram line will link the station with the university from next spring.",
            "Firefighters put out a blaze at a timber yard on the edge of town overnight."])])
    try:
        assert rows(spooled) == rows(memory)
        assert spooled.rule_hits()["template.repeated-line"] == 4
        assert all(footer not in spooled.full(d).text for d in spooled.documents)
    finally:
        spooled.close()


def test_template_flag_without_removal_reaches_the_spooled_output(tmp_path):
    # Template lines over max_removed_fraction of a text are kept, and the document is
    # flagged: the spooled run must write that flag, though its text did not change.
    footer = ["Kontakt zur Lokalredaktion und Leserservice unter der bekannten Nummer",
              "Alle Rechte vorbehalten, Nachdruck nur mit schriftlicher Genehmigung des Verlags",
              "Folgen Sie uns auch in den sozialen Netzwerken und abonnieren Sie den Newsletter"]
    # Stories of many short words: the footer is most of each text's characters, yet under
    # half of its words, so the four are different stories, not copies of one (templates
    # count stories).
    stories = ["Am Kai ist ab Mai zu, ab Juli so bald wie nie, da man nun am Tor bei Ebbe im Hof vor dem Amt bis zum Eck",
               "Der Rat sagt am Di mit elf zu vier so ja, nur die SPD war bei dem Nein, wie oft bis ins Amt der Frau Ott",
               "Ab Mo um acht hält die Tram vier an der Uni, am Zoo, am Bad und im Ort so oft wie nie bis zur Au am See",
               "Im Ort hat es in der Nacht zu So an der Au bei der Mühle am Weg zum See im Hof mit Heu und Öl ein Feuer"]
    memory, spooled = _site_runs(tmp_path, ["\n".join([story, *footer]) + "\n" for story in stories])
    try:
        assert rows(spooled) == rows(memory)
        flagged = [d for d in spooled.documents
                   if any(f["flag"] == "removal_over_limit" for f in spooled.full(d).flags)]
        assert len(flagged) == 4
    finally:
        spooled.close()
