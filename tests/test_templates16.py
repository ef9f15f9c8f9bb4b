"""Templates count stories, not documents (session 16): copies of one story in one source
(a folder of downloads, the API's items, a stream's batch) do not make the story's own
headline and paragraphs a template; a line the source prints under many different
stories still is one, on both engines and whatever the partitions."""

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner import clean
from cleaner.core.config import load_config
from cleaner.core.document import Document
from cleaner.stages.build import build_stages
from cleaner.stages.templates import Templates

ROOT = Path(__file__).resolve().parent.parent
RULE = "template.repeated-line"
FOOTER = "Kontakt zur Lokalredaktion und Leserservice unter der bekannten Nummer"

# A story of its own (written for this test), line by line: headline, then paragraphs.
WIRE = [
    "Flood barrier at Hollmersby holds as the river Vell reaches a record height",
    "HOLLMERSBY, March 3 - The flood barrier built at Hollmersby after the floods of 2019 held on Sunday "
    "night as the river Vell rose to 6.4 metres, the highest level since records began in 1881.",
    "About 2,300 residents of the lower town were asked to leave their homes on Saturday evening, and "
    "most spent the night in the sports hall of the Kettering school on the hill above the market square.",
    "Engineers of the regional water board checked the barrier every two hours and found seepage at one "
    "joint near the old mill, which they sealed with sandbags before the crest passed at about 4 a.m.",
    "The board's director, Margit Olesund, said the barrier had cost 38 million crowns and had now paid "
    "for itself several times over, since the 2019 flood damaged more than 900 houses in the lower town.",
    "Rail services between Hollmersby and Dunstrand stay suspended until the embankment at Sorrel Bridge "
    "has been inspected, the rail operator said, and buses replace trains on the line until Wednesday.",
    "Forecasters expect the river to fall below five metres by Tuesday, although more rain is due on "
    "Thursday in the hills of the upper valley, where the ground is still saturated from February.",
    "Farmers downstream at Ebbesholm reported flooded pastures along eleven kilometres of the left bank, "
    "and the county moved about 400 cattle to higher ground with the help of the army.",
    "Insurers said it was too early to put a figure on the damage, but that claims so far were a small "
    "fraction of those after the floods five years ago, mostly for cellars and garden walls.",
    "The water board will ask parliament in April for money to raise the dykes at Ebbesholm and at "
    "Sorrel Bridge, which were not part of the barrier scheme and were overtopped in two places.",
    "Schools in the lower town reopen on Wednesday, the municipality said, except the primary school "
    "on Mill Street, whose ground floor stood under half a metre of water on Sunday morning.",
]
OTHERS = [
    "Council approves a new tram depot for the eastern districts of Brennmark\n"
    "The city council of Brennmark voted 31 to 12 on Monday to build a depot for 40 trams on the site "
    "of the former gasworks, ending a dispute that has lasted for almost a decade.\n"
    "Residents of the Osterfeld quarter had argued that the depot would bring noise at night, and the "
    "plan now includes a wall of four metres and a park along the canal.",
    "Fishing fleet of Kaldvik returns early as herring quotas run out in February\n"
    "Most of the 26 trawlers of the Kaldvik cooperative were back in harbour on Friday, six weeks before "
    "the end of the season, after the herring quota was used up in record time.\n"
    "The cooperative's chairman, Ivar Tollefsen, blamed the cut of a quarter in this year's quota and "
    "said crews would repair nets and engines until the mackerel season opens in summer.",
    "Museum of Varnholt reopens its glass collection after three years of repairs\n"
    "Visitors queued in the snow on Saturday as the Varnholt museum reopened its hall of Venetian and "
    "Bohemian glass, closed since a leaking roof damaged the display cases in the winter of 2021.\n"
    "The restoration cost 4.2 million euros, half of it from a foundation set up by the glassmaker "
    "family Lindqvist, whose workshop supplied the museum's first pieces in 1902.",
    "Hospital in Drossel opens a ward for children with long-term breathing illnesses\n"
    "The regional hospital in Drossel opened a ward of twelve beds on Tuesday for children who need "
    "breathing support for weeks or months, so that families no longer travel to the capital.\n"
    "Parents and nurses had collected signatures for the ward for five years, the head physician "
    "Annika Mersch said, and the ward's playroom was paid for by a local football club.",
]


def wire_items(footer: str = "") -> list[dict]:
    """A folder's worth of items: the wire story, two partial copies, and two other stories."""
    tail = f"\n{footer}" if footer else ""
    return [{"id": "wire", "text": "\n".join(WIRE) + tail},
            {"id": "copy1", "text": "\n".join(WIRE[:5]) + "\nThe mayor added that schools stay closed on Monday." + tail},
            {"id": "copy2", "text": "\n".join(WIRE[:4]) + "\nVolunteers filled sandbags at the fire station." + tail},
            {"id": "other", "text": OTHERS[0] + tail},
            {"id": "other2", "text": OTHERS[1] + tail}]


def template_lines(doc: dict) -> list[str]:
    return [r["text"] for r in doc["removed"] if r["rule"] == RULE]


def test_copies_of_one_story_are_not_a_template_of_their_source():
    docs = {d["id"]: d for d in clean(wire_items()).documents}
    assert not [line for d in docs.values() for line in template_lines(d)]
    assert WIRE[0] in docs["wire"]["text"] and WIRE[1] in docs["wire"]["text"]


def test_a_line_under_many_different_stories_is_still_a_template_beside_copies():
    """The negative: the footer is under five documents, three stories (the wire's copies
    count once): a template; the wire's headline, under three copies of one story, is not."""
    docs = {d["id"]: d for d in clean(wire_items(FOOTER)).documents}
    for doc in docs.values():
        assert template_lines(doc) == [FOOTER], doc["id"]
        (entry,) = [r for r in doc["removed"] if r["rule"] == RULE]
        assert entry["note"].startswith("in 5 of 5 documents from ")
    assert WIRE[0] in docs["wire"]["text"]


def test_a_template_over_many_stories_of_one_source_is_removed():
    items = [{"id": f"s{i}", "site": "Kaldvik Post", "text": f"{text}\n{FOOTER}"} for i, text in enumerate(OTHERS)]
    docs = clean(items).documents
    assert all(template_lines(d) == [FOOTER] and FOOTER not in d["text"] for d in docs)


def test_too_few_different_stories_is_no_template_however_many_copies():
    """Six copies of one story and one other: the footer under all seven is printed by two
    stories only (min_docs = 3)."""
    items = [{"id": f"c{i}", "text": "\n".join(WIRE[:6 - i % 3]) + f"\n{FOOTER}"} for i in range(6)]
    items.append({"id": "x", "text": f"{OTHERS[2]}\n{FOOTER}"})
    assert not [line for d in clean(items).documents for line in template_lines(d)]
    items.append({"id": "y", "text": f"{OTHERS[3]}\n{FOOTER}"})  # a third story: now it is one
    assert all(template_lines(d) == [FOOTER] for d in clean(items).documents)


def test_the_decision_does_not_depend_on_input_order():
    items = wire_items(FOOTER) + [{"id": f"dup{i}", "text": "\n".join(WIRE[:3 + i]) + f"\n{FOOTER}"} for i in range(3)]
    expected = {d["id"]: d["removed"] for d in clean(items).documents}
    for seed in range(4):
        shuffled = items[:]
        random.Random(seed).shuffle(shuffled)
        assert {d["id"]: d["removed"] for d in clean(shuffled).documents} == expected, seed


def _signed(items: list[dict]) -> list[Document]:
    sign = build_stages(load_config(None)).sign
    sign.setup()
    return [sign.process(Document(id=i["id"], source="<api>", text=i["text"])) for i in items]


def test_partitions_merge_to_the_same_decision_with_copies_split_between_them():
    docs = _signed(wire_items(FOOTER) + [{"id": "third", "text": f"{OTHERS[2]}\n{FOOTER}"}])
    whole = Templates()
    for doc in docs:
        whole.observe(doc)
    whole.decide()
    assert len(whole.table) == 1  # the footer; not the wire's headline or paragraphs
    for split in range(1, len(docs)):
        a, b = Templates(), Templates()
        for doc in docs[:split]:
            a.observe(doc)
        for doc in docs[split:]:
            b.observe(doc)
        b.merge(a)
        b.decide()
        assert b.table == whole.table, split


def _run(args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cleaner", "run", *args, "-q"], capture_output=True, timeout=600,
                          env=env)


def test_dask_and_local_engines_decide_the_same(tmp_path):
    """A folder of downloads (the folder is the source): copies of the wire story and a
    footer under different stories. Byte-identical output from the local engine (1 and 2
    workers) and Dask; the footer removed, the wire's headline kept."""
    pytest.importorskip("distributed", reason="the dask extra (pip install 'cleaner[dask]')")
    folder = tmp_path / "downloads"
    folder.mkdir()
    items = wire_items(FOOTER)
    for item in items:
        (folder / f"{item['id']}.txt").write_text(item["text"] + "\n", encoding="utf-8")
    outs = {}
    for name, extra in (("one", ["--workers", "1"]), ("two", ["--workers", "2"]),
                        ("dask", ["--engine", "dask", "--workers", "2"])):
        proc = _run([str(folder), "--out", str(tmp_path / name), *extra])
        assert proc.returncode == 0, proc.stderr.decode()[-2000:]
        outs[name] = (tmp_path / name / "documents.jsonl").read_bytes(), (tmp_path / name / "records.jsonl").read_bytes()
    assert outs["one"] == outs["two"] == outs["dask"]
    text = outs["dask"][0].decode("utf-8")
    assert text.count(f'"text": "{FOOTER}"') == len(items) and RULE in text
    assert f'"text": "{WIRE[0]}"' not in text  # no removal names the headline


# --- line keys computed a text at a time: the same values as _line_key's, line by line ----

def _texts():
    rng = random.Random(16)
    alphabet = ("abcXYZ ÄöüßẞİıΣσς ДЖЯ 東京 ｶﾀｶﾅ ﬁ ² ½ ǅ \u0301\u0308\u0327 \u00a0\u2009\u3000\t\x0b\x0c\r"
                "\x1c\x1d\x1e\x1f\x85\u1680\u2028\u2029\u200b\ufeff _-.,!?\"'()")
    yield ""
    yield "\n\n"
    yield " leading\ntrailing \n  double  spaces \n\ttab\there\r\n\u00a0nbsp\u00a0\n"
    yield "e\n\u0301 a combining mark after a line break\nA\u030a\nﬁnal ΣΑΣ\n"
    yield "\n".join(WIRE + OTHERS)
    for _ in range(400):
        lines = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(rng.randint(1, 6))]
        yield "\n".join(lines)


def test_line_keys_of_a_whole_text_are_those_of_each_line():
    from cleaner.stages.templates import _line_key, _line_keys

    for text in _texts():
        lines = text.split("\n")
        assert _line_keys("site:x", text) == [_line_key("site:x", line) for line in lines], repr(text)
        which = list(range(0, len(lines), 2))
        assert _line_keys("folder:", text, which) == [_line_key("folder:", lines[at]) for at in which]


def test_the_other_spaces_are_every_whitespace_a_folded_text_can_hold():
    import unicodedata

    from cleaner.stages.templates import _OTHER_SPACES

    held = {c for cp in range(sys.maxunicode + 1)
            for c in unicodedata.normalize("NFKC", chr(cp)).casefold() if c.isspace()}
    assert held - {" ", "\n"} == set(_OTHER_SPACES)


def test_line_keys_select_the_same_lines_as_before():
    """The candidate lines: 1 to max_words words, not sentences of protect_min_words or more."""
    from cleaner.core.text import word_count
    from cleaner.stages.boilerplate.rules import is_sentence
    from cleaner.stages.templates import _line_key

    stage = Templates(max_words=12, protect_min_words=8)
    for text in _texts():
        doc = Document(id="d", source="a/b.txt", text=text)
        expected = sorted({_line_key("folder:a", line) for line in text.split("\n")
                           if 0 < word_count(line) <= 12 and not (word_count(line) >= 8 and is_sentence(line))})
        assert stage.line_keys(doc) == expected, repr(text)


BRIEF_FOOTER = ["More on this from us on our web site and in the app for you",
                "Tell us what you think and see you on the next page"]
BRIEFS = [
    "Parliamentarians unanimously approved extraordinary infrastructure appropriations yesterday evening after "
    "lengthy negotiations concerning motorway maintenance, railway electrification, harbour modernisation, "
    "broadband expansion and hospital renovations across seventeen municipalities, reports Kowalski",
    "Meteorologists forecast unprecedented thunderstorms throughout northwestern provinces tomorrow, warning "
    "commuters, farmers, fishermen, schoolteachers and hikers about hailstones, lightning, landslides, flooding, "
    "falling branches and interrupted electricity supplies overnight, reports Fernandes",
    "Archaeologists discovered remarkable Byzantine manuscripts underneath monastery foundations, including "
    "illuminated psalters, astronomical calculations, medicinal recipes, commercial correspondence and liturgical "
    "calendars preserved inside sealed ceramic containers, reports Okonkwo",
    "Pharmaceutical manufacturers announced considerable reductions regarding prescription expenditures, promising "
    "cheaper insulin, antibiotics, vaccines, painkillers and inhalers for pensioners, students, unemployed citizens "
    "and chronically ill patients nationwide, reports Lindqvist",
]


def test_short_stories_under_one_footer_are_not_copies_of_one_story():
    """Four different stories under a footer of nearly their length: shingle Jaccard >= 0.3
    (near copies, by Jaccard alone), but what they share is under half of each, which a
    template removal may take: different stories, so the footer goes (and, re-signed, the
    four are no copies of each other)."""
    docs = clean([{"id": f"b{i}", "site": "Briefs", "text": "\n".join([brief, *BRIEF_FOOTER])}
                  for i, brief in enumerate(BRIEFS)]).documents
    assert all(template_lines(d) == BRIEF_FOOTER for d in docs), [d["removed"] for d in docs]
    assert all(d["status"] == "kept" for d in docs)


def test_each_printer_is_measured_against_a_story_once_however_many_lines(monkeypatch):
    """review-16: a source of many near copies of one story measured every printer against
    the story again for each of its lines once the pair cache (4,096 pairs) overflowed:
    12,000 copies took 1.5 CPU s to decide. Answers are kept a story at a time now. The
    array bound is set tiny here, so the old pair cache would overflow at 40 copies."""
    from cleaner.stages import templates as tpl

    monkeypatch.setattr(tpl._Copies, "LIMIT", 8)
    n = 40
    items = [{"id": f"c{i}", "text": "\n".join(WIRE) + f"\nUpdate {i}: bulletin number {i} at {i % 24} hours."}
             for i in range(n)]
    docs = _signed(items)
    calls = []
    real = tpl._Copies._alike
    monkeypatch.setattr(tpl._Copies, "_alike", lambda self, a, b: calls.append(1) or real(self, a, b))
    stage = Templates()
    for doc in docs:
        stage.observe(doc)
    stage.decide()
    assert stage.table == {}  # copies of one story: no template
    assert len(calls) <= n, len(calls)  # each printer against the story once (lines: len(WIRE))
