from cleaner.stages.boilerplate.decide import decide, join_lines
from cleaner.stages.boilerplate.strip import StripBoilerplate
from cleaner.stages.boilerplate.tag import tag_lines
from cleaner.core.config import load_config
from cleaner.core.document import REJECTED, Document
from cleaner.stages.boilerplate.rules import load_rules

CFG = load_config()
B = CFG["boilerplate"]
STAGE = StripBoilerplate(CFG.rule_paths(), B["protect_min_words"],
                         B["max_removed_fraction"], B["headline_max_words"])
PROSE = ("The port authority said loading resumed at the undamaged berths on Sunday morning, "
         "while divers inspected the quay walls for cracks.")


def strip(text, **kw):
    return STAGE.process(Document(id="t", source="t.txt", text=text, **kw))


def test_removed_lines_carry_rule_category_line_and_text():
    doc = strip(f"Headline about the port\n{PROSE}\nBy continuing to browse our site you agree to our use of cookies.\n{PROSE}")
    assert "cookies" not in doc.text
    assert doc.removed == [{"rule": "consent.en", "category": "consent", "line_no": 3,
                            "text": "By continuing to browse our site you agree to our use of cookies.",
                            "action": "drop"}]


def test_false_positive_sentences_stay():
    bait = ["The regulator said the site's use of cookies broke the law.",
            "Customers can call the consumer hotline on 0800 123 456, the regulator said.",
            "The ruling was first reported by the Meridian News Agency on Tuesday.",
            "Share prices fell 4% on Monday."]
    doc = strip("A headline\n" + "\n".join(f"{b} {PROSE}" if i % 2 else b for i, b in enumerate(bait)))
    for b in bait:
        assert b in doc.text
    assert doc.removed == []


def test_metadata_prefix_moves_and_sentence_stays():
    doc = strip(" date 2025-12-20 A missile strike on the port of Odesa kills seven\n" + PROSE)
    assert doc.date == "2025-12-20"
    assert doc.text.startswith("A missile strike on the port of Odesa kills seven")
    assert doc.removed[0]["rule"] == "meta.date-prefix" and doc.removed[0]["value"] == "2025-12-20"
    assert "meta.date-prefix" in doc.meta["date"]
    assert doc.title == "A missile strike on the port of Odesa kills seven"


def test_existing_date_is_not_overwritten():
    doc = strip("Updated 2025-12-22 10:00\n" + PROSE, date="2025-12-20")
    assert doc.date == "2025-12-20" and doc.meta["date_also_in_text"] == "2025-12-22"


def test_marker_list_stops_at_prose():
    doc = strip(f"Title\n{PROSE}\nRead more:\nFirst related headline\nSecond related headline?\n{PROSE}\nLast line of the story.")
    assert [r["text"] for r in doc.removed] == ["Read more:", "First related headline", "Second related headline?"]
    assert doc.text.count(PROSE) == 2 and "Last line of the story." in doc.text


def test_bullet_headline_pairs():
    doc = strip(f"Title\n{PROSE}\n-\nGrain exports resume after storm\n•\nAnother linked story\n{PROSE}")
    assert [r["rule"] for r in doc.removed] == ["related.bullet-headline"] * 4
    assert "Grain exports" not in doc.text


def test_long_sentence_line_is_protected_and_the_overrule_is_recorded(tmp_path):
    long_line = " ".join(["word"] * 45) + " photo credits."
    path = tmp_path / "r.toml"
    path.write_text("[[rule]]\nid = 'wide'\ncategory = 'credit'\naction = 'drop'\nany = ['photo credits']\n"
                    "max_words = 100\nexamples.match = ['photo credits']\nexamples.no_match = ['x']\n")
    rules = load_rules([path])
    doc = Document(id="t", source="t.txt")
    lines = ["Title", long_line]
    tags = tag_lines(lines, rules, 16)
    assert tags, "the credit rule tags the line"
    kept = decide(doc, lines, tags, protect_min_words=40, max_removed_fraction=0.9)
    assert [line for _, line in kept] == lines and doc.removed == []
    assert doc.flags[0]["flag"] == "kept_by_guard"


def test_document_is_flagged_not_emptied():
    text = "Share this article\nPrint\nAdvertisement\nA short note."
    doc = strip(text)
    assert doc.status != REJECTED
    assert doc.text == text and doc.removed == []
    flag = doc.flags[0]
    assert flag["flag"] == "removal_over_limit" and len(flag["would_remove"]) == 3


def test_a_short_text_loses_its_certain_clutter_and_keeps_the_ambiguous_lines():
    # #19 point 2: decided per line. Consent and copyright lines go even from a snippet the
    # rules would mostly remove; the ambiguous lines (navigation, promo) stay; still flagged.
    text = ("Ferry fares rise\nWe use cookies to improve your experience. By continuing you accept our cookie policy.\n"
            "Share this article\nFares go up in March.\n© 2026 Harbour Gazette. All rights reserved.")
    doc = strip(text)
    assert doc.text == "Ferry fares rise\nShare this article\nFares go up in March."
    assert [r["category"] for r in doc.removed] == ["consent", "legal"]
    flag = doc.flags[0]
    assert flag["flag"] == "removal_over_limit" and "2 line(s) of certain categories" in flag["reason"]
    assert [w["text"] for w in flag["would_remove"]] == ["Share this article"]


def test_a_text_of_certain_clutter_only_is_still_not_emptied():
    text = ("We use cookies to improve your experience. By continuing you accept our cookie policy.\n"
            "© 2026 Harbour Gazette. All rights reserved.")
    doc = strip(text)
    assert doc.status != REJECTED and doc.text == text and doc.removed == []
    assert doc.flags[0]["flag"] == "removal_over_limit" and len(doc.flags[0]["would_remove"]) == 2


def test_certain_categories_are_configuration_and_checked_at_start(tmp_path):
    from cleaner.core.config import ConfigError
    from cleaner.stages.build import build_stages

    path = tmp_path / "c.toml"
    path.write_text('[boilerplate]\ncertain_categories = ["consnet"]\n', encoding="utf-8")
    try:
        build_stages(load_config(path))
    except ConfigError as exc:
        assert "boilerplate.certain_categories" in str(exc) and "consnet" in str(exc) and "c.toml" in str(exc)
    else:
        raise AssertionError("a misspelt category was accepted")
    none = StripBoilerplate(load_config().rule_paths(), certain_categories=[])
    text = ("Ferry fares rise\nWe use cookies to improve your experience. By continuing you accept our cookie policy.\n"
            "Fares go up.")
    assert none.process(Document(id="t", source="t.txt", text=text)).text == text  # the old guard: all kept


def test_blank_lines_collapse_and_line_numbers_follow():
    assert join_lines(list(enumerate(["", "a", "", "", "b  ", "", ""], 1))) == ("a\n\nb", [2, 3, 5])


def test_whitespace_only_text_is_rejected():
    assert strip("  \n \n").status == REJECTED


def test_impossible_date_prefix_is_not_a_date():
    doc = strip("Updated 2025-13-45 10:00\n" + PROSE)
    assert doc.date is None and doc.meta["date_unparsed"] == "2025-13-45"
    assert doc.text == PROSE


def test_text_without_words_is_rejected():
    assert "no words" in strip("🔥🔥🔥 !!!\n*** --- ???").error


def test_overlong_lines_never_reach_a_regex():
    from cleaner.stages.boilerplate.rules import MAX_MATCH_CHARS

    rule = next(r for r in STAGE.rules if r.id == "credit.slash-agency")
    line = "x" * MAX_MATCH_CHARS + " /Reuters"
    assert rule.regex.search(line) and not rule.matches_line(line)
