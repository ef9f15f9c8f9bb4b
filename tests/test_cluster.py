import json
import random

import pytest

from cleaner import clean

WORDS = [f"w{i}" for i in range(400)]
STORY_A = ("Seven people were killed when missiles hit the port of Odesa at 03:40 on Saturday, governor "
           "Mykola Derevianko said. The Sea Linnet and the Dunav Star were damaged and 23 people were hurt, "
           "according to Iryna Lozynska of the Odesa Sea Port Authority. Andrii Voloshko said four Iskander "
           "missiles were fired.")
STORY_B = ("Russian missiles slammed into Odesa harbour overnight. Officials counted 23 injured. Governor "
           "Mykola Derevianko confirmed seven deaths after the 03:40 attack, while Iryna Lozynska said the "
           "Dunav Star and the Sea Linnet were hit. Air force spokesman Andrii Voloshko spoke of four Iskander missiles.")
OTHER = ("A drone attack on an energy plant in Kharkiv killed two workers, mayor Taras Hnatenko said. "
         "Nine people were wounded and 40,000 homes lost power, Hnatenko told Suspilne on Saturday.")


def records_by_member(result):
    return {m["id"]: r for r in result.records for m in r["members"]}


def text(words):
    return " ".join(words) + "."


def test_exact_copies_join_with_similarity_one():
    res = clean([{"id": "a", "text": STORY_A, "date": "2025-12-20"},
                 {"id": "b", "text": STORY_A.upper().replace(",", ""), "date": "2025-12-21"}])
    (rec,) = res.records
    assert [(m["id"], m["relation"], m["similarity"]) for m in rec["members"]] == [("a", "canonical", 1.0), ("b", "exact", 1.0)]
    statuses = {d["id"]: d["status"] for d in res.documents}
    assert statuses == {"a": "kept", "b": "duplicate"}


def test_near_duplicate_is_verified_and_estimated():
    base = WORDS[:300]
    edited = list(base)
    edited[150] = "changed"
    res = clean([{"id": "a", "text": text(base)}, {"id": "b", "text": text(edited)}])
    (rec,) = res.records
    near = rec["members"][1]
    assert near["relation"] == "near"
    assert 0.95 < near["similarity"] < 1.0 and 0.8 < near["estimated"] <= 1.0
    assert "near.threshold" in near["reason"]


def test_same_story_in_other_words_joins_with_shared_terms():
    res = clean([{"id": "a", "text": STORY_A, "date": "2025-12-20"},
                 {"id": "b", "text": STORY_B, "date": "2025-12-20"},
                 {"id": "c", "text": OTHER, "date": "2025-12-20"}])
    by = records_by_member(res)
    assert by["a"] is by["b"] and by["c"] is not by["a"]
    story = next(m for m in by["b"]["members"] if m["id"] == "b")
    assert story["relation"] == "story"
    assert 0 < story["estimated"] <= 1 and abs(story["estimated"] - story["similarity"]) < 0.25
    assert {"derevianko", "odesa", "iskander", "23"} <= set(story["shared_terms"])


def test_story_date_window():
    res = clean([{"id": "a", "text": STORY_A, "date": "2025-12-20"},
                 {"id": "b", "text": STORY_B, "date": "2025-12-26"}], config={"story": {"outside_window_factor": 0.0}})
    assert len(res.records) == 2
    # By default a pair outside the window counts 0.7 x its similarity: evidence, not a veto.
    res = clean([{"id": "a", "text": STORY_A, "date": "2025-12-20"}, {"id": "b", "text": STORY_B, "date": "2025-12-26"}])
    assert len(res.records) == 1
    res = clean([{"id": "a", "text": STORY_A, "date": "2025-12-20"}, {"id": "b", "text": STORY_B, "date": "2025-12-26"}],
                config={"story": {"date_window_days": 7}})
    assert len(res.records) == 1


def test_no_chaining_through_a_non_canonical_member():
    a = WORDS[:100]
    b = WORDS[:90] + WORDS[200:210]          # J(a, b) = 90/110
    c = WORDS[300:310] + WORDS[10:90] + WORDS[200:210]  # J(b, c) = 90/110, J(a, c) = 80/120
    cfg = {"near": {"word_ngram": 1, "threshold": 0.8, "lsh_threshold": 0.5}, "story": {"threshold": 1.0}}
    res = clean([{"id": "a", "text": text(a), "date": "2025-01-01"},
                 {"id": "b", "text": text(b), "date": "2025-01-02"},
                 {"id": "c", "text": text(c), "date": "2025-01-03"}], config=cfg)
    by = records_by_member(res)
    assert by["a"] is by["b"]
    assert by["c"] is not by["a"], "c matched only the non-canonical b: single linkage would chain it"


def test_canonical_choice_rules_and_why():
    long_copy = STORY_A + " " + "Extra closing sentence about the harbour."
    res = clean([{"id": "late-long", "text": long_copy, "date": "2025-12-21"},
                 {"id": "early", "text": STORY_A, "date": "2025-12-20"}])
    rec = res.records[0]
    assert rec["canonical_id"] == "early" and rec["why"].startswith("earliest_date")
    res = clean([{"id": "short", "text": STORY_A, "date": "2025-12-20"},
                 {"id": "long", "text": long_copy, "date": "2025-12-20"}])
    assert res.records[0]["canonical_id"] == "long" and res.records[0]["why"].startswith("most_complete_body")
    res = clean([{"id": "b", "text": STORY_A}, {"id": "a", "text": STORY_A}])
    assert res.records[0]["canonical_id"] == "a" and res.records[0]["why"].startswith("lowest_id")
    # Same length, one word apart: the content decides, whichever id each one has.
    other = STORY_A.replace("missiles hit", "missiles struck", 1)
    assert other != STORY_A and len(other.split()) == len(STORY_A.split())
    firsts = set()
    for ids in (("a", "b"), ("b", "a")):
        res = clean([{"id": ids[0], "text": STORY_A}, {"id": ids[1], "text": other}])
        rec = res.records[0]
        assert rec["size"] == 2 and rec["why"].startswith("content_tiebreak")
        firsts.add((rec["text"], rec["record_id"]))
    assert len(firsts) == 1
    res = clean([{"id": "a", "text": STORY_A, "site": "Blog"}, {"id": "b", "text": STORY_A, "site": "Wire"}],
                config={"canonical": {"source_priority": ["Wire"]}})
    assert res.records[0]["canonical_id"] == "b" and res.records[0]["why"].startswith("source_priority")


def test_source_priority_outranks_dates_when_set():
    # #19 point 3: a user's priority comes first; without one, the date decides as before.
    items = [{"id": "early", "text": STORY_A, "date": "2025-12-20", "site": "Blog"},
             {"id": "late", "text": STORY_A, "date": "2025-12-22", "site": "Wire"}]
    rec = clean(items, config={"canonical": {"source_priority": ["Wire"]}}).records[0]
    assert rec["canonical_id"] == "late" and rec["why"].startswith("source_priority")
    assert clean(items).records[0]["canonical_id"] == "early"


def test_a_copy_that_credits_its_source_loses_to_the_source_whatever_its_date():
    # A syndicating page's metadata date (set when it syndicated) is earlier than the
    # original's; its text credits the original's outlet. In three credit forms:
    body = STORY_A.split(" ", 1)[1]
    for credit_text, outlet in ((f"ODESA (Harbourwire) - {body}", "harbourwire"),
                                (f"{STORY_A}\nSource: Harbourwire", "harbourwire"),
                                (f"{STORY_A}\nkm/dpa", "dpa")):  # an agency signature (a rule removes it)
        copy = {"id": "syndicated", "text": credit_text, "date": "2025-12-19", "site": "dailyportal.example"}
        original = {"id": "original", "text": STORY_A + " Loading resumed.", "date": "2025-12-20",
                    "site": f"www.{outlet}.example"}
        rec = clean([copy, original]).records[0]
        assert rec["size"] == 2, credit_text
        assert rec["canonical_id"] == "original", credit_text
        assert rec["why"].startswith("credits_no_other_source") and outlet in rec["why"], rec["why"]
    # Crediting itself (the outlet's own dateline; its site "harbourwire-news") is no copy,
    # nor is a credit by a document that does not say whose it is (a wire's own feed read
    # from a folder): the date decides again.
    later = {"id": "later", "text": STORY_A + " Loading resumed.", "date": "2025-12-20", "site": "blog.example"}
    for site in ("harbourwire-news.example", None):
        own = {"id": "own", "text": f"ODESA (Harbourwire) - {body}", "date": "2025-12-19", "site": site}
        rec = clean([own, later]).records[0]
        assert rec["canonical_id"] == "own" and rec["why"].startswith("earliest_date"), site


def test_output_independent_of_input_order():
    items = [{"id": f"d{i}", "text": t, "date": "2025-12-20"}
             for i, t in enumerate([STORY_A, STORY_B, OTHER, STORY_A + " Update.", text(WORDS[:50])])]
    first = clean(items)
    shuffled = list(items)
    random.Random(3).shuffle(shuffled)
    second = clean(shuffled)
    assert json.dumps(first.records) == json.dumps(second.records)
    assert json.dumps(first.documents) == json.dumps(second.documents)
    assert all(r["record_id"].startswith("rec-") for r in first.records)


def test_average_linkage_does_not_chain():
    from cleaner.dedup.stories import average_linkage

    # a~b and b~c are strong, a and c share nothing: single linkage would give {a, b, c}
    edges = {(0, 1): 0.3, (1, 2): 0.25}
    assert average_linkage(3, edges, 0.2) == [[0, 1], [2]]
    # with a-c similar too, the three belong together
    assert average_linkage(3, {**edges, (0, 2): 0.2}, 0.2) == [[0, 1, 2]]


def test_average_linkage_is_independent_of_edge_order():
    from cleaner.dedup.stories import average_linkage

    edges = {(0, 1): 0.5, (2, 3): 0.5, (1, 2): 0.3, (0, 3): 0.3, (4, 5): 0.12}
    shuffled = dict(sorted(edges.items(), key=lambda kv: -kv[0][1]))
    # {0,1} and {2,3} average (0.3 + 0.3 + 0 + 0) / 4 = 0.15 across: below 0.2, they stay apart
    assert average_linkage(6, edges, 0.2) == average_linkage(6, shuffled, 0.2) == [[0, 1], [2, 3], [4], [5]]
    assert average_linkage(6, edges, 0.15) == [[0, 1, 2, 3], [4], [5]]


def test_numbers_alone_never_link_stories():
    a = "Officials said 14 stations and 20 trains were added in 2022 at a cost of 40 million."
    b = "The report counted 14 schools, 20 clinics and 40 wells built in 2022 across the region."
    res = clean([{"id": "a", "text": a}, {"id": "b", "text": b}], config={"story": {"threshold": 0.05}})
    assert len(res.records) == 2


def test_band_index_finds_what_datasketch_lsh_finds():
    from datasketch import MinHash, MinHashLSH

    from cleaner.dedup.cluster import BandIndex
    from cleaner.dedup.shingles import shingle_set
    from cleaner.dedup.signatures import minhash_values

    rng = random.Random(5)
    base = [f"w{rng.randrange(3000)}" for _ in range(300)]
    texts = []
    for k in range(60):
        words = list(base) if k % 3 == 0 else [f"w{rng.randrange(3000)}" for _ in range(300)]
        for i in rng.sample(range(300), k % 40):
            words[i] = f"x{rng.randrange(10**6)}"
        texts.append(" ".join(words))
    sigs = [minhash_values(shingle_set(t, 3, 3), 128, 1) for t in texts]
    ours, theirs = BandIndex(0.2, 128), MinHashLSH(threshold=0.2, num_perm=128)
    for i, hv in enumerate(sigs):
        ours.insert(i, hv)
        theirs.insert(i, MinHash(num_perm=128, seed=1, hashvalues=hv, scheme="affine32"))
    for hv in sigs:
        assert ours.query(hv) == set(theirs.query(MinHash(num_perm=128, seed=1, hashvalues=hv, scheme="affine32")))
    assert len(ours.query(sigs[0])) > 1  # the edited copies of the base are candidates


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
def test_lsh_bands_are_the_ones_datasketch_picks(num_perm):
    """cleaner's own (b, r) choice, without datasketch's private _optimal_param or scipy,
    agrees with MinHashLSH's public b and r; where MinHashLSH refuses (b < 2), so does
    the config check."""
    import warnings

    from datasketch import MinHashLSH

    from cleaner.dedup.bands import optimal_bands

    for threshold in (0.05, 0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 0.97):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
            except ValueError:
                assert optimal_bands(threshold, num_perm)[0] < 2
                continue
        assert optimal_bands(threshold, num_perm) == (lsh.b, lsh.r), threshold
