from cleaner import clean
from cleaner.core.document import Document
from cleaner.stages.templates import Templates, source_key

FOOTER = "Kontakt zur Lokalredaktion und Leserservice unter der bekannten Nummer"
STORIES = [
    "The harbour reopened on Monday after three weeks of repairs to the quay walls.",
    "The council voted on Tuesday to raise the school building budget by a tenth.",
    "A new tram line will link the station with the university from next spring.",
    "Firefighters put out a blaze at a timber yard on the edge of town overnight.",
]


def items(site, footer=FOOTER, n=4):
    return [{"id": f"{site}-{i}", "site": site, "text": f"Headline {i}\n{STORIES[i]}\n{footer}"} for i in range(n)]


def test_a_line_repeated_by_one_source_is_removed_with_provenance():
    res = clean(items("Nordkurier"))
    for doc in res.documents:
        assert FOOTER not in doc["text"] and STORIES[int(doc["id"][-1])] in doc["text"]
        (entry,) = [r for r in doc["removed"] if r["rule"] == "template.repeated-line"]
        assert entry["line_no"] == 3 and entry["category"] == "template"
        assert entry["note"] == "in 4 of 4 documents from site:nordkurier"


def test_never_counted_across_sources():
    mixed = [dict(item, site=f"Site {k}") for k, item in enumerate(items("x"))]
    res = clean(mixed)
    assert all(FOOTER in d["text"] for d in res.documents)


def test_too_few_documents_or_too_rare():
    assert all(FOOTER in d["text"] for d in clean(items("Nordkurier", n=2)).documents)
    docs = items("Nordkurier")
    for item in docs[1:]:
        item["text"] = item["text"].replace(FOOTER, "")
    assert FOOTER in clean(docs).documents[0]["text"]


def test_long_sentences_are_never_templates_and_documents_are_not_emptied():
    long_line = " ".join(["word"] * 45) + "."
    stage = Templates(min_docs=3, min_share=0.5, max_words=100)
    docs = [Document(id=str(i), source="<api>", site="s", text=f"Short {i}\n{long_line}") for i in range(3)]
    assert all(long_line in d.text for d in stage.run(docs))
    docs = [Document(id=str(i), source="<api>", site="s", text=f"Hi {i}\n{FOOTER}") for i in range(3)]
    out = stage.run(docs)
    assert all(FOOTER in d.text and d.flags[0]["flag"] == "removal_over_limit" for d in out)


def test_source_key():
    assert source_key(Document(id="a", source="x", site="Example")) == "site:example"
    assert source_key(Document(id="a", source="x", url="https://www.example.com/a")) == "host:example.com"
    assert source_key(Document(id="a", source="outlets/a.txt")) == "folder:outlets"
    assert source_key(Document(id="a", source="feeds/f.jsonl", line=3)) == "file:feeds/f.jsonl"


def test_can_be_switched_off():
    res = clean(items("Nordkurier"), config={"templates": {"enabled": False}})
    assert all(FOOTER in d["text"] for d in res.documents)


def test_statistics_observed_in_partitions_merge_to_the_same_decision():
    """A corpus stage's statistics merge across partitions (#15): observing in two parts,
    in either order of merging, decides exactly as observing everything in one."""
    docs = [Document(id=f"{site}-{i}", source=f"{site}/{i}.txt", site=site,
                     text=f"Story {i} of {site} about the harbour.\n{FOOTER}\nMore news from {site} today.")
            for site in ("alpha.example", "beta.example") for i in range(5)]
    docs.append(Document(id="gamma-0", source="gamma/0.txt", site="gamma.example", text=f"One story.\n{FOOTER}"))
    whole = Templates()
    for doc in docs:
        whole.observe(doc)
    whole.decide()
    assert whole.table  # the footer is a template of alpha and of beta
    for split in (3, 7):
        for order in ("ab", "ba"):
            a, b = Templates(), Templates()
            for doc in docs[:split]:
                a.observe(doc)
            for doc in docs[split:]:
                b.observe(doc)
            first, second = (a, b) if order == "ab" else (b, a)
            first.merge(second)
            first.decide()
            assert first.table == whole.table, (split, order)
