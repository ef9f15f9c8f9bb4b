"""What a spooled run's main process holds a document (#18 point 6): the packed line words
wait in the spool until the story tier, references are single ints, repeated strings are
shared, and template keys are an array; the records are the same as an in-memory run's."""

import sys
from array import array
from collections import Counter

import pytest

from cleaner.core.config import load_config
from cleaner.core.document import Document
from cleaner.core.features import ARRAY_FIELDS
from cleaner.dedup.cluster import cluster, load_line_words
from cleaner.exec.flow import pack, process_documents, share_strings
from cleaner.exec.local import LocalExecutor
from cleaner.stages.build import build_stages
from cleaner.store.memory import MemoryStore
from cleaner.store.spool import Spool, make_ref, split_ref

# Two outlets telling one event in their own words (a story link), a copy of the first,
# and an unrelated text: the story tier reads line words of canonicals and of a member.
_EVENT = ("Harbour officials in Valmora said on Tuesday that the cargo ship Kestrel Dawn ran aground "
          "near the Ostrand lighthouse after its engine failed in a storm.")
TEXTS = {
    "a": "Ship runs aground off Valmora\n" + _EVENT + "\nThe crew of 14 was rescued by the Valmora coast guard, "
         "and Captain Ilse Varga said no fuel had leaked.\nSalvage crews from Ostrand will try to refloat "
         "the Kestrel Dawn on Thursday, weather permitting.",
    "b": "Kestrel Dawn stranded near Ostrand\nA storm left the freighter Kestrel Dawn stuck on rocks close to "
         "Ostrand lighthouse, Valmora port authorities reported Tuesday.\nAll 14 sailors reached shore safely, "
         "according to Ilse Varga, the vessel's captain, and there was no spill.\nTugs from Ostrand are due "
         "on Thursday to pull the ship free if the sea calms.",
    "c": "Ship runs aground off Valmora\n" + _EVENT + "\nThe crew of 14 was rescued by the Valmora coast guard, "
         "and Captain Ilse Varga said no fuel had leaked.\nSalvage crews from Ostrand will try to refloat "
         "the Kestrel Dawn on Thursday, weather permitting.\nShare this article",
    "d": "Orchard harvest up in Belcaro\nFarmers around Belcaro picked more apples this autumn than in any year "
         "since records began, the Tellis growers' union said.\nDry weather in September helped, said union "
         "head Marco Ferrin.",
}


def docs():
    return [Document(id=k, source="feed.jsonl", text=t, line=n) for n, (k, t) in enumerate(TEXTS.items(), 1)]


def slim_copies(store):
    cfg = load_config()
    stages = build_stages(cfg)
    stages.templates.reset()
    out, _ = process_documents(docs(), stages, LocalExecutor(1), store, Counter(), Counter())
    return cfg, out


def test_references_are_single_ints_that_split_back():
    ref = make_ref(2**48 - 1, 2**48 - 1, 2**32 - 1)
    assert split_ref(ref) == (2**48 - 1, 2**48 - 1, 2**32 - 1)
    assert split_ref(make_ref(7, 12345, 128)) == (7, 12345, 128)
    with pytest.raises(ValueError):
        make_ref(1, 2**48, 0)


def test_spool_round_trip_with_int_references(tmp_path):
    with Spool(str(tmp_path)) as spool:
        doc = Document(id="x", source="s", text="some text")
        ref = spool.put(doc)
        arrays = spool.put_arrays([array("I", [1, 2, 3]).tobytes(), b"", array("I", [9]).tobytes()])
        assert isinstance(ref, int) and all(isinstance(r, int) for r in arrays)
        assert spool.get(ref).text == "some text"
        assert spool.get_parts(ref) == doc.json_parts()
        assert [spool.get_array(r).tolist() for r in arrays] == [[1, 2, 3], [], [9]]


def test_line_words_wait_in_the_spool_and_come_back_the_same(tmp_path):
    assert "line_words" in ARRAY_FIELDS
    _, memory = slim_copies(MemoryStore())
    with Spool(str(tmp_path)) as spool:
        _, spooled = slim_copies(spool)
        for kept, slim in zip(memory, spooled):
            assert isinstance(kept.features.line_words, bytes) and kept.features.line_words
            assert not isinstance(slim.features.line_words, bytes)  # a reference: the bytes are on disk
        load_line_words(spooled, spool)
        assert [s.features.line_words for s in spooled] == [m.features.line_words for m in memory]


def test_template_keys_travel_as_an_array(tmp_path):
    cfg = load_config()
    stages = build_stages(cfg)
    doc = docs()[0]
    for stage in [stages.read, *stages.per_document, stages.sign]:
        stage.setup()
        doc = stage.process(doc)
    with Spool(str(tmp_path)) as spool:
        slim = pack(doc, stages.templates, spool)
    keys = slim.stored.template_keys
    assert isinstance(keys, array) and keys.typecode == "Q"
    assert list(keys) == stages.templates.line_keys(doc) and len(keys) > 0


def test_spooled_records_equal_in_memory_records(tmp_path):
    cfg, memory = slim_copies(MemoryStore())
    want = [(r.record_id, [(m.doc.id, m.relation, m.similarity, m.shared_terms) for m in r.members])
            for r in cluster(memory, cfg)]
    assert any(m.relation == "story" for r in cluster(memory, cfg) for m in r.members), "the fixture has a story link"
    with Spool(str(tmp_path)) as spool:
        _, spooled = slim_copies(spool)
        got = [(r.record_id, [(m.doc.id, m.relation, m.similarity, m.shared_terms) for m in r.members])
               for r in cluster(spooled, cfg, free=True, store=spool)]
    assert got == want


def test_slim_copies_share_repeated_strings(tmp_path):
    with Spool(str(tmp_path)) as spool:
        _, spooled = slim_copies(spool)
    a, b = spooled[0], spooled[1]
    assert a.source is b.source and a.lang is b.lang and a.status is b.status
    twin = Document(id="y", source="".join(["feed", ".jsonl"]), meta={"".join(["ti", "tle"]): "".join(["first ", "line"])})
    share_strings(twin, {})
    assert twin.source is sys.intern("feed.jsonl")
    assert next(iter(twin.meta)) is sys.intern("title") and twin.meta["title"] is sys.intern("first line")


def test_may_link_picks_the_documents_the_story_tier_can_pair():
    """A document with fewer than story.min_shared_terms of the names that propose pairs
    (stories.name_postings) is in no candidate pair: its weighted terms are never built."""
    from cleaner.dedup.cluster import UNLINKED, Member, Record, may_link, story_links
    from cleaner.dedup.stories import name_postings, story_edges
    from cleaner.dedup.term_weights import TermWeights, doc_terms

    cfg, reps = slim_copies(MemoryStore())
    story = cfg["story"]
    weigh = TermWeights(story).observe(reps)
    postings = name_postings(reps, story["max_term_docs"])
    want = [sum(t in postings for t in d.features.terms) >= story["min_shared_terms"] for d in reps]
    assert may_link(reps, weigh, story) == want == [True, True, True, False]
    left, right, _ = story_edges((reps, [doc_terms(d, weigh) for d in reps], story))
    assert all(want[i] for i in [*left.tolist(), *right.tolist()]) and len(left)
    groups = [Record([Member(d, "canonical", 1.0)], key=d.id)
              for d in reps]
    _, _, _, weights = story_links(groups, cfg)
    assert [w is UNLINKED for w in weights] == [not ok for ok in want]
