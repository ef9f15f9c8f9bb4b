"""Batch after batch (#16 points 3, 4 and 8): the streaming API deduplicates each batch
against the ones before, keeps every record id it gave, and agrees with one run."""

import csv

import pytest

from cleaner import Deduplicator, clean
from cleaner.inspect.evaluate import score
from conftest import RAW

GOLD = RAW.parent / "tests" / "data" / "raw_gold.csv"
EN = ("Firefighters in Porto contained a warehouse blaze on Tuesday night after six hours of work "
      "by forty crews, the city's civil protection office said.")


@pytest.fixture(scope="module")
def raw_items(raw_run):
    rows = [d.to_json() for d in raw_run.documents]
    return [{k: r[k] for k in ("id", "text", "title", "date", "url", "site")} for r in rows
            if r["status"] != "rejected"]


def _partition(rows):
    return {r["id"]: r["record_id"] for r in rows if r["record_id"]}


def test_three_date_batches_agree_with_one_run(raw_items):
    """raw/ split by date into 3 batches (undated last): ARI >= 0.98 against one run."""
    ordered = sorted(raw_items, key=lambda i: (i["date"] is None, i["date"] or "", i["id"]))
    size = -(-len(ordered) // 3)
    with Deduplicator(batch_size=size) as dedup:
        streamed = list(dedup.add(iter(ordered)))  # a generator is fine
        final = {m["id"]: r["record_id"] for r in dedup.records for m in r["members"]}
        kinds = [e["event"] for e in dedup.events]
        # Every record was created once, and every usable document is accounted for by an event.
        assert kinds.count("created") - kinds.count("merged") == len(dedup.records)
        assert {e["document"] for e in dedup.events if "document" in e} == set(final)
        assert {e["record_id"] for e in dedup.events if e["event"] == "created"} >= set(final.values())
    assert [r["id"] for r in streamed] == [i["id"] for i in ordered]  # one row per item, in order
    one = _partition(clean(raw_items).documents)
    assert score(final, one)["ari"] >= 0.98
    gold = {row["id"]: row["label"] for row in csv.DictReader(GOLD.open(encoding="utf-8"))}
    assert score({k: v for k, v in final.items() if k in gold}, gold)["ari"] >= 0.98


def test_later_batches_find_copies_of_earlier_ones_and_ids_never_change():
    with Deduplicator(batch_size=1) as dedup:
        first = list(dedup.add([{"id": "a", "text": EN, "date": "2025-12-20"}]))
        second = list(dedup.add([{"id": "b", "text": EN + " More later.", "date": "2025-12-21"}]))
        assert second[0]["status"] == "duplicate" and second[0]["record_id"] == first[0]["record_id"]
        # A better canonical (earlier date) arrives: the record keeps its id, an event says so.
        third = list(dedup.add([{"id": "c", "text": EN, "date": "2025-12-19"}]))
        assert third[0]["record_id"] == first[0]["record_id"] and third[0]["status"] == "kept"
        kinds = [(e["batch"], e["event"]) for e in dedup.events]
        assert kinds == [(1, "created"), (2, "member_added"), (3, "member_added"), (3, "canonical_changed")]
        (record,) = dedup.records
        assert record["canonical_id"] == "c" and record["record_id"] == first[0]["record_id"]
        assert {m["id"] for m in record["members"]} == {"a", "b", "c"}


def test_bad_items_are_rejected_rows_and_bad_arguments_are_errors():
    with Deduplicator() as dedup:
        rows = list(dedup.add([{"id": "x", "text": ""}, "not an object", {"id": "y", "text": EN}]))
    assert [r["status"] for r in rows] == ["rejected", "rejected", "kept"]
    with pytest.raises(ValueError):
        Deduplicator(batch_size=0)
    with pytest.raises(TypeError):
        list(Deduplicator().add({"id": "a", "text": EN}))


def test_api_misuse_is_a_clear_error(tmp_path):
    from cleaner.store.state import StateError

    for bad in ({"batch_size": True}, {"workers": "2"}, {"workers": -1}):
        with pytest.raises(ValueError):
            Deduplicator(**bad)
    with pytest.raises(TypeError):
        Deduplicator(state=123)
    with pytest.raises(StateError, match="cannot write state"):
        Deduplicator(state=tmp_path / "missing-folder" / "s.db")
    dedup = Deduplicator()
    dedup.close()
    with pytest.raises(RuntimeError, match="closed"):
        list(dedup.add([{"id": "a", "text": EN}]))
    with pytest.raises(RuntimeError, match="closed"):
        dedup.records


# A follow-up whose title and lead name nothing of the first report; its body shares the
# first report's rare names (Kallo, Liebherr, Vinçotte, Verhaegen...).
CRANE = {"id": "crane", "date": "2025-03-10", "title": "Crane collapses at the Kallo container terminal in Antwerp",
         "text": "Crane collapses at the Kallo container terminal in Antwerp\n"
                 "A gantry crane collapsed at the Kallo container terminal in Antwerp on Monday, injuring three "
                 "dockworkers from the Vopak shift.\n"
                 "The Flemish port authority said the Liebherr crane had been inspected in January by the Vinçotte agency.\n"
                 "Union leader Marleen Verhaegen of the ABVV called for all Liebherr cranes at Kallo to be stopped.\n"
                 "Prosecutors in Antwerp opened a file, and the terminal operator Noordzee Stevedoring halted work for the night."}
FOLLOW_UP = {"id": "follow-up", "date": "2025-03-11", "title": "Questions mount after dock accident",
             "text": "Questions mount after dock accident\n"
                     "Questions are mounting one day after the accident, as workers, their families and local officials "
                     "demanded clear answers about how often the safety checks are made, who signs them off, and why "
                     "nobody stopped the work when the wind picked up in the evening.\n"
                     "The crane at Kallo, a Liebherr model, had passed its Vinçotte inspection in January, Noordzee "
                     "Stevedoring confirmed.\n"
                     "Marleen Verhaegen of the ABVV said the three injured Vopak dockworkers were still in hospital in Antwerp.\n"
                     "The Antwerp prosecutors said experts would examine the Liebherr crane at Kallo this week."}


@pytest.mark.parametrize("lead_names", [True, False])
def test_window_lead_names_decides_whether_a_follow_up_with_other_lead_names_joins(tmp_path, lead_names):
    """story.window_lead_names (README, "Against history"): true reads only the state's
    groups that share a title or lead name with the batch's, so a follow-up whose lead names
    none joins in one run but not in batches; false links the whole window, as one run does."""
    one = {d["id"]: d["record_id"] for d in clean([CRANE, FOLLOW_UP]).documents}
    assert one["crane"] == one["follow-up"]
    with Deduplicator(config={"story": {"window_lead_names": lead_names}}, state=tmp_path / "s.db") as dedup:
        first = list(dedup.add([CRANE]))[0]
        later = list(dedup.add([FOLLOW_UP]))[0]
    assert (later["record_id"] == first["record_id"]) is (not lead_names)
