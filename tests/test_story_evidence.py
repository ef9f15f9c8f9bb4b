"""Story-tier evidence: terms, dates, weights and the pair similarity (issue #12).

Every text here is written by the team."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.config import config_from_dict
from cleaner.core.dates import story_gap
from cleaner.core.document import Document
from cleaner.dedup.terms import LineWords, salient_terms
from cleaner.stages.sign import Sign
from cleaner.dedup.term_weights import TermWeights, doc_terms, shared_evidence, similarity

CFG = config_from_dict()


def signed(text: str, date: str | None = None, lang: str = "en", doc_id: str = "d") -> Document:
    doc = Document(id=doc_id, source="<test>", text=text, date=date, lang=lang)
    return Sign.from_config(CFG).process(doc)


def test_possessives_fold_into_the_name():
    terms, *_ = salient_terms("Ships left the port.\nThe ships of Odesa's harbour and Kherson’s pier sailed.")
    assert "odesa" in terms and "kherson" in terms
    assert not any("'" in t or "’" in t for t in terms)


def test_dates_in_the_text_in_several_languages():
    for text in ("The port was hit on Dec 20 at night.", "Der Hafen wurde am 20. Dezember getroffen.",
                 "Le port a été frappé le 20 décembre.", "El puerto fue atacado el 20 de diciembre.",
                 "Порт был атакован 20 декабря."):
        terms, *_ = salient_terms(text)
        assert "@12-20" in terms, text


def test_a_weekday_counts_back_from_the_document_date():
    # 2025-12-22 is a Monday: "on Saturday" is 2025-12-20.
    terms, *_ = salient_terms("The port was hit on Saturday, officials said.", "2025-12-22")
    assert "@12-20" in terms
    undated, *_ = salient_terms("The port was hit on Saturday, officials said.")
    assert [t for t in undated if t.startswith("@")] == ["@w5"]  # no date to count back from


def test_an_undated_weekday_is_the_same_term_in_every_language():
    # Two undated reports that both say "on Saturday" share that day; "on Friday" does not.
    for text, lang in (("Der Hafen wurde am Samstag getroffen.", "de"), ("Le port a été frappé samedi.", "fr"),
                       ("El puerto fue atacado el sábado.", "es")):
        terms, *_ = salient_terms(text, lang=lang)
        assert [t for t in terms if t.startswith("@")] == ["@w5"], text
    friday, *_ = salient_terms("The port was hit on Friday.", lang="en")
    assert "@w4" in friday and "@w5" not in friday


def test_may_without_a_day_is_not_a_date():
    terms, *_ = salient_terms("They said it may rain.\nOfficials in May were calm.")
    assert not any(t.startswith("@") for t in terms)


def test_dateline_without_a_year_keeps_week_apart_reports_out_of_the_window():
    _, _, _, a, _ = salient_terms("GLASGOW, March 1 - The museum reopened its doors after two years.")
    _, _, _, b, _ = salient_terms("GLASGOW, March 8 - Staff at the museum walked out over pay.")
    assert (a, b) == ("03-01", "03-08")
    assert story_gap(None, a, None, b) == 7
    assert story_gap("2025-03-02", None, None, a) == 1  # a date and a dateline: by day and month
    assert story_gap(None, "12-30", None, "01-02") == 3  # the short way round the year
    assert story_gap(None, None, None, b) is None


def test_a_shared_country_weighs_less_than_a_shared_village():
    weigh = TermWeights(CFG["story"])
    assert weigh.base_weight("ukraine", "en") < weigh.base_weight("odesa", "en") / 3
    assert weigh.base_weight("president", "en") < weigh.base_weight("ukraine", "en")
    # The language's own table: a common German word is not rare in German text.
    assert weigh.base_weight("regierung", "de") < weigh.base_weight("regierung", "en")


def test_title_and_lead_terms_weigh_more():
    doc = signed("Strike on Vylkove port\n" + "Officials gave no details. " * 20 + "\nLater Tuzla was named too.")
    w = doc_terms(doc, TermWeights(CFG["story"])).weights
    weigh = TermWeights(CFG["story"])
    assert w["vylkove"] == weigh.base_weight("vylkove", "en") * CFG["story"]["lead_boost"]
    assert w["tuzla"] == weigh.base_weight("tuzla", "en")



def test_a_year_in_the_title_or_lead_weighs_as_a_date():
    # Where a report says when; further down a year is as often background ("since 2008").
    doc = signed("Quake hits Vylkove in 2013\n" + "Officials gave no details. " * 20 + "\nIt was the worst since 2008.")
    weigh = TermWeights(CFG["story"])
    w = doc_terms(doc, weigh).weights
    assert w["2013"] == CFG["story"]["date_weight"] * CFG["story"]["lead_boost"]
    assert w["2008"] == weigh.base_weight("2008", "en") != CFG["story"]["date_weight"]
    assert "year in the title or lead" in weigh.source("2013", "en", True)
    assert "year" not in weigh.source("2008", "en", False)


TALKS = ("Leaders meet for talks\nPresident Volodymyr Zelensky met envoys from Russia and the United States "
         "in Geneva on Tuesday, Ukraine said. Moscow and Washington sent delegations. The President of Ukraine "
         "said Europe would take part. Kyiv hopes for a ceasefire, the Kremlin said nothing.")
STRIKE = ("Missile hits port of Izmail\nA Russian missile struck the port of Izmail overnight, killing 8 dock "
          "workers and injuring 27, the regional governor Oleh Marchuk said. Ukraine's President Volodymyr "
          "Zelensky condemned the attack on Izmail. Moscow did not comment; Washington and Europe urged calm.")
STRIKE_RETOLD = ("Eight killed as missile strikes Izmail docks\nGovernor Oleh Marchuk said 27 people were hurt "
                 "when a missile hit the Izmail grain terminal before dawn. Rescuers searched the docks of Izmail "
                 "for hours. President Zelensky called it a crime; Kyiv asked Europe for air defence.")


def _talks_strike_retold() -> tuple[float, float]:
    weigh = TermWeights(CFG["story"])
    talks, strike, retold = (doc_terms(signed(t), weigh) for t in (TALKS, STRIKE, STRIKE_RETOLD))
    return similarity(strike, retold), similarity(talks, strike)


def test_shared_specific_names_outweigh_shared_generic_ones():
    same_event, same_topic = _talks_strike_retold()
    assert same_event >= CFG["story"]["threshold"]
    assert same_event > 1.5 * same_topic


@pytest.mark.xfail(strict=True, reason="issue #12: short texts sharing many generic names still score "
                                       "above 0.7 x story.threshold")
def test_shared_generic_names_alone_stay_well_below_the_threshold():
    _, same_topic = _talks_strike_retold()
    assert same_topic < 0.7 * CFG["story"]["threshold"]


def test_a_line_both_texts_print_word_for_word_is_not_story_evidence():
    shared_line = "The Vylkove choir of Orlivka sang for Bessarabka elders."
    a = signed("A report on one thing\nThe first text talks about harvest numbers in Tarutyne.\n" + shared_line)
    b = signed("Another report entirely\nThe second text covers a football match in Reni.\n" + shared_line)
    weigh = TermWeights(CFG["story"])
    assert similarity(doc_terms(a, weigh), doc_terms(b, weigh)) == 0.0
    # The same names told in other words are evidence.
    c = signed("Another report entirely\nElders in Bessarabka heard a concert: singers from Vylkove came over "
               "from Orlivka.")
    assert similarity(doc_terms(a, weigh), doc_terms(c, weigh)) > 0.0


def test_a_line_both_texts_print_nearly_word_for_word_is_not_story_evidence():
    # A boilerplate line with one number changed (story.wording_overlap): its names are
    # shared wording, whatever else each text says.
    a = signed("Portal news\nHarvest figures came in from Tarutyne.\n"
               "Authors Inma Castillo 56979 pt, Paco Cardenal 101612 pt, Amelia Esteve Samblas.")
    b = signed("Portal news\nA football match was played in Reni.\n"
               "Authors Inma Castillo 57078 pt, Paco Cardenal 101612 pt, Amelia Esteve Samblas.")
    weigh = TermWeights(CFG["story"])
    ta, tb = doc_terms(a, weigh), doc_terms(b, weigh)
    assert similarity(ta, tb) == 0.0
    _, evidence = shared_evidence(weigh, a, ta, b, tb)
    assert evidence and all(e["from"].startswith("not counted") for e in evidence)
    assert "story.wording_overlap 0.5" in evidence[0]["from"]
    # With story.wording_overlap 1, only lines of the same words are wording.
    exact = TermWeights(config_from_dict({"story": {"wording_overlap": 1.0}})["story"])
    assert similarity(doc_terms(a, exact), doc_terms(b, exact)) > 0.0
    # A name also told in a line of the text's own beside the shared one is evidence.
    c = signed("Portal news\nPaco Cardenal reported harvest figures from Tarutyne.\n"
               "Authors Inma Castillo 56979 pt, Paco Cardenal 101612 pt, Amelia Esteve Samblas.")
    d = signed("Portal news\nIn Tarutyne, Paco Cardenal saw the harvest counted.\n"
               "Authors Inma Castillo 57078 pt, Paco Cardenal 101612 pt, Amelia Esteve Samblas.")
    assert similarity(doc_terms(c, weigh), doc_terms(d, weigh)) > 0.0


def test_wording_overlap_zero_is_refused():
    from cleaner.core.config import ConfigError

    with pytest.raises(ConfigError, match="story.wording_overlap"):
        config_from_dict({"story": {"wording_overlap": 0.0}})


def test_corpus_frequency_counts_only_in_large_runs():
    weigh = TermWeights(CFG["story"])
    docs = [signed(f"Report {i}\nThe Universia portal wrote about Tarutyne{i} today.", doc_id=str(i)) for i in range(40)]
    small = weigh.observe(docs[:10]).corpus_factor("universia")
    large = weigh.observe(docs).corpus_factor("universia")
    assert 0.9 < small < 1.0 and large < small
    assert weigh.corpus_factor("tarutyne3") == 1.0  # printed by one document only
    assert "corpus: in 40 of 40 documents" in weigh.source("universia", "en", False)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400),
       st.sampled_from([None, "2024-02-29", "2025-12-31"]))
def test_terms_are_well_formed_for_any_text(text, date):
    terms, lead, lines, dateline, words = salient_terms(text, date)
    assert terms == sorted(set(terms)) and set(lead) <= set(terms)
    assert len(lines) == 4 * len(terms)  # one CRC per term
    on = LineWords(words, tuple(terms))  # every term is on a line, and every such line has words
    assert all(len(on.lines(t)) and all(on.words(i) for i in on.lines(t)) for t in terms)
    assert dateline is None or dateline in {t[1:] for t in terms if t.startswith("@")}


def test_shipped_calendar_names_match_babel():
    babel = pytest.importorskip("babel")  # noqa: F841 - the test extra installs it
    import json

    from cleaner.core.calendar_names import PATH, build

    assert json.loads(PATH.read_text(encoding="utf-8")) == build(), "rebuild: python3 -m cleaner.core.calendar_names"


def test_month_names_are_read_in_the_documents_language():
    # Short months of other languages are ordinary words here ("out", "set", "sie").
    for text, lang in (("Only 3 out of 10 voters came.", "en"), ("He set 3 records in a year.", "en"),
                       ("Als sie 14 war, zog sie nach Kiel.", "de"), ("Ele tem 30 anos e mora em Faro.", "pt")):
        terms, _, _, dateline, _ = salient_terms(text, lang=lang)
        assert not [t for t in terms if t.startswith("@")] and dateline is None, text
    # AP style: the dot after "Dec" is not a sentence end.
    terms, _, _, dateline, _ = salient_terms("Dec. 20 (Wire) - The talks ended.", lang="en")
    assert "@12-20" in terms and dateline == "12-20"


def test_odd_dates_and_digits_reject_nothing():
    doc = signed("The court met on Sunday in Vylkove.", date="0001-01-01")
    assert doc.ok and not [t for t in doc.features.terms if t.startswith("@")]
    assert signed("Dec ፩ Vylkove and Reni signed.").ok  # a digit int() cannot read


def test_a_month_without_a_day_is_still_a_name():
    terms, *_ = salient_terms("Officials said Theresa May met Jan Novak in Brno.", lang="en")
    assert {"may", "novak", "brno"} <= set(terms)
    assert not [t for t in terms if t.startswith("@")]


def test_a_lead_gate_without_a_lead_is_refused():
    from cleaner.core.config import ConfigError

    with pytest.raises(ConfigError, match="story.lead_words"):
        config_from_dict({"story": {"lead_words": 0, "min_shared_lead_names": 1}})
    assert config_from_dict({"story": {"lead_words": 0, "min_shared_lead_names": 0}})


def test_inside_a_component_what_all_its_documents_print_weighs_less():
    """stories.local_edges: a name all four documents print (the person) counts half, so a
    pair sharing only it falls, and a pair sharing its event's own place does not."""
    from cleaner.dedup.stories import local_edges
    from cleaner.dedup.term_weights import DocTerms

    story = CFG["story"]
    docs = [signed(f"Report {i} of the day.", doc_id=f"d{i}") for i in range(4)]
    terms = [{"rinaldo": 10.0, "tarvisio": 10.0}, {"rinaldo": 10.0, "tarvisio": 10.0},
             {"rinaldo": 10.0, "bellagio": 10.0}, {"rinaldo": 10.0, "bellagio": 10.0}]
    weights = [DocTerms(w, {}, sum(w.values())) for w in terms]
    edges = {(i, j): similarity(weights[i], weights[j]) for i in range(4) for j in range(i + 1, 4)}
    assert edges[(0, 2)] == pytest.approx(1 / 3)
    local = local_edges(docs, list(range(4)), edges, weights, story)
    a = story["local_df_factor"]
    rinaldo, place = 10.0 * (1 - a), 10.0 * (1 - a / 3)  # printed by 4 of 4, and by 2 of 4
    assert local[(0, 1)] == pytest.approx(1.0)  # same event: every term shared
    assert local[(0, 2)] == pytest.approx(rinaldo / (2 * (rinaldo + place) - rinaldo))
    assert local[(0, 2)] < edges[(0, 2)]


def test_a_component_joins_two_retellings_at_the_local_threshold_tune_chose():
    """story.local_threshold 0.0675 (story-12g: leave-topics-out cross-validation inside the
    ECB+ tune half; 0.075 before): in a component of four documents about one person, two
    retellings of one event that share, besides the person, only their event's place and are
    otherwise long (local similarity 0.07) join; the person's other event stays apart.
    With 0.075 the two retellings stayed two records."""
    from cleaner.dedup.stories import link_component
    from cleaner.dedup.term_weights import DocTerms

    story = CFG["story"]
    assert story["local_threshold"] == pytest.approx(0.0675)
    docs = [signed(f"Report {i} of the day.", doc_id=f"d{i}") for i in range(4)]
    # local weights: rinaldo (4 of 4) 10 x 0.5 = 5; a place (2 of 4) 6 x 5/6 = 5; so each
    # retelling pair shares 10 and each side holds u of its own: 10 / (10 + 2u) = 0.07
    u = 10 * (1 / 0.07 - 1) / 2
    terms = [{"rinaldo": 10.0, "tarvisio": 6.0, f"own{i}": u} if i < 2 else
             {"rinaldo": 10.0, "bellagio": 6.0, f"own{i}": u} for i in range(4)]
    weights = [DocTerms(w, {}, sum(w.values())) for w in terms]
    edges = {(i, j): similarity(weights[i], weights[j]) for i in range(4) for j in range(i + 1, 4)}
    clusters, local = link_component((docs, weights, story), list(range(4)), edges)
    assert local[(0, 1)] == pytest.approx(0.07)
    assert local[(0, 2)] < 0.05
    assert sorted(sorted(c) for c in clusters) == [[0, 1], [2, 3]]
    old = dict(story, local_threshold=0.075)
    clusters, _ = link_component((docs, weights, old), list(range(4)), edges)
    assert sorted(sorted(c) for c in clusters) == [[0], [1], [2], [3]]
