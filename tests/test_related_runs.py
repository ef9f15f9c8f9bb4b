"""Runs of separator+headline pairs (a line holding only "-", "•", "—", ">" or "·", then a
headline): lists of links to other stories. In a run every item goes, however long it is
and however it ends; a lone pair, a list the article writes in sentences, and a list the
article's own prose introduces keep the lone-pair test (headline-like items only)."""

import pytest

from cleaner.stages.boilerplate.strip import StripBoilerplate
from cleaner.core.config import load_config
from cleaner.core.document import REJECTED, Document

CFG = load_config()
B = CFG["boilerplate"]
STAGE = StripBoilerplate(CFG.rule_paths(), B["protect_min_words"], B["max_removed_fraction"], B["headline_max_words"])

# Two paragraphs of prose per language, around the runs.
PROSE = {
    "en": ("The council said the new bus lanes on the ring road had cut average journey times by eleven minutes since spring.",
           "Drivers' groups said they would wait for the winter figures before judging whether the scheme had worked."),
    "de": ("Der Stadtrat teilte mit, die neuen Busspuren am Ring hätten die Fahrzeit seit dem Frühjahr um elf Minuten verkürzt.",
           "Autofahrerverbände wollen die Zahlen aus dem Winter abwarten, bevor sie das Projekt beurteilen."),
    "fr": ("Le conseil municipal a indiqué que les nouvelles voies de bus avaient réduit le temps de trajet de onze minutes depuis le printemps.",
           "Les associations d'automobilistes attendent les chiffres de l'hiver avant de se prononcer sur le projet."),
    "es": ("El ayuntamiento explicó que los nuevos carriles bus de la circunvalación han reducido el trayecto medio en once minutos desde la primavera.",
           "Las asociaciones de conductores esperarán a los datos del invierno antes de valorar el proyecto."),
    "ru": ("В мэрии сообщили, что новые автобусные полосы на кольцевой дороге с весны сократили среднее время в пути на одиннадцать минут.",
           "Объединения автомобилистов намерены дождаться зимней статистики, прежде чем оценивать проект."),
}

# (separator, items): most items headline-like, one or more long, ending in ?, …, ! or "."
RUNS = {
    "en": ("-", ["Dockworkers in Antwerp end three-day walkout",
                 "The harbour attack brings old fears back into the open… What do we actually know about the coastal defence units?",
                 "Ferry fares to rise by a fifth"]),
    "de": ("•", ["Bahn kündigt neuen Fahrplan für den Süden an",
                 "Nach dem Hochwasser im Frühjahr streiten Bund und Länder noch immer darüber, wer die Reparatur der beschädigten Deiche am Ende bezahlen soll …"]),
    "fr": ("—", ["Lyon : le tramway T9 entre en service",
                 "Pourquoi les loyers continuent de grimper dans les grandes villes alors que le nombre de logements vacants n'a jamais été aussi élevé depuis vingt ans !"]),
    "es": (">", ["El Gobierno aprueba el plan de vivienda",
                 "La sequía obliga a los agricultores del sur a cambiar sus cultivos tradicionales por variedades que necesitan mucha menos agua durante el verano.",
                 "Madrid estrena carriles bici en el centro"]),
    "ru": ("·", ["В Казани открыли новую станцию метро",
                 "Почему цены на билеты в плацкартные вагоны выросли сильнее, чем на самолёты, и чего ждать пассажирам следующим летом?"]),
}


def run(text):
    return STAGE.process(Document(id="t", source="t.txt", text=text))


def pairs(sep, items, gap="\n"):
    return gap.join(f"{sep}\n{item}" for item in items)


@pytest.mark.parametrize("lang", sorted(RUNS))
def test_every_item_of_a_run_goes_long_or_not(lang):
    sep, items = RUNS[lang]
    first, last = PROSE[lang]
    doc = run(f"Headline\n{first}\n{pairs(sep, items)}\n{last}")
    assert doc.text == f"Headline\n{first}\n{last}"
    assert [r["text"] for r in doc.removed] == [line for item in items for line in (sep, item)]
    assert {r["rule"] for r in doc.removed} == {"related.bullet-headline"}
    assert f"in a run of {len(items)} pairs" in doc.removed[-1]["note"]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_blank_lines_between_pairs_do_not_break_the_run(lang):
    sep, items = RUNS[lang]
    first, last = PROSE[lang]
    doc = run(f"Headline\n{first}\n\n{pairs(sep, items, gap=chr(10) * 2)}\n\n{last}")
    assert doc.text == f"Headline\n{first}\n\n{last}"


def test_a_run_at_the_end_of_the_text_goes():
    sep, items = RUNS["de"]
    first, last = PROSE["de"]
    doc = run(f"Überschrift\n{first}\n{last}\n{pairs(sep, items)}")
    assert doc.text == f"Überschrift\n{first}\n{last}"


def test_a_marker_before_the_run_does_not_stop_it():
    # "Read more:" ends in a colon, but it is clutter (an earlier rule tags it), not prose.
    sep, items = RUNS["en"]
    first, last = PROSE["en"]
    doc = run(f"Headline\n{first}\nRead more:\n{pairs(sep, items)}\n{last}")
    assert doc.text == f"Headline\n{first}\n{last}"


def test_a_very_long_item_is_not_kept_by_the_sentence_guard():
    long_item = ("Ten years after the flood, the families who were moved out of the river quarter are still waiting "
                 "for the houses they were promised, and the city has quietly sold part of the land to a developer "
                 "who wants to build offices there: what went wrong?")
    first, last = PROSE["en"]
    doc = run(f"Headline\n{first}\n-\nDockworkers in Antwerp end three-day walkout\n-\n{long_item}\n-\n"
              f"Ferry fares to rise by a fifth\n{last}")
    assert long_item not in doc.text and first in doc.text and last in doc.text
    assert not [f for f in doc.flags if f.get("flag") == "kept_by_guard"]


def test_a_run_goes_even_when_it_is_most_of_a_short_text():
    sep, items = RUNS["fr"]
    doc = run(f"Titre\nLe conseil a voté.\n{pairs(sep, items)}")
    assert doc.text == "Titre\nLe conseil a voté."
    assert not [f for f in doc.flags if f.get("flag") == "removal_over_limit"]


def test_a_run_of_two_long_question_headlines_goes():
    items = ["The harbour attack brings old fears back into the open… What do we actually know about the coastal defence units?",
             "Why are ferry companies on the northern routes still cancelling crossings weeks after the storm has passed?"]
    first, last = PROSE["en"]
    doc = run(f"Headline\n{first}\n{pairs('-', items)}\n{last}")
    assert doc.text == f"Headline\n{first}\n{last}"


# Negatives: what stays.

def test_a_text_that_is_only_a_run_is_flagged_not_emptied():
    sep, items = RUNS["es"]
    doc = run(pairs(sep, items))
    assert doc.status != REJECTED and doc.removed == []
    assert doc.flags[0]["flag"] == "removal_over_limit"


@pytest.mark.parametrize("lang,items", [
    ("en", ["The first argument is that the lanes are empty for most of the day.",
            "The second is that the buses were already on time before the works began."]),
    ("de", ["Erstens seien die Spuren den größten Teil des Tages leer.",
            "Zweitens seien die Busse schon vor dem Umbau pünktlich gewesen, heißt es in dem Schreiben."]),
    ("fr", ["Les voies sont vides la plupart du temps, selon eux.",
            "Les bus étaient déjà à l'heure avant les travaux, ajoute le collectif dans sa lettre."]),
    ("es", ["Los carriles están vacíos la mayor parte del día, según la asociación.",
            "Los autobuses ya eran puntuales antes de las obras, añade el escrito."]),
])
def test_a_list_of_sentences_in_the_article_stays(lang, items):
    first, last = PROSE[lang]
    doc = run(f"Headline\n{first}\n{pairs('-', items)}\n{last}")
    for item in items:
        assert item in doc.text
    assert {r["text"] for r in doc.removed} == {"-"}  # only the bare separators, as before


@pytest.mark.parametrize("sep,items", [
    # Quoted statements: the full stop sits inside the closing quote.
    ("-", ["“The lanes are empty for most of the day, and the buses were on time before.”",
           "“We will wait for the winter figures before we judge the scheme.”"]),
    # A newsletter's items: several sentences each.
    ("•", ["The port reopened on Monday. Officials said the quay walls were safe after the inspection.",
           "Ferry operators raised fares. They blamed the price of fuel and the new harbour fees.",
           "A new tram line opened in the east. It links the station with the university campus."]),
], ids=["quoted-statements", "newsletter-items"])
def test_items_the_article_writes_out_stay(sep, items):
    first, last = PROSE["en"]
    doc = run(f"Headline\n{first}\n{pairs(sep, items)}\n{last}")
    for item in items:
        assert item in doc.text


def test_a_list_the_article_introduces_keeps_its_long_items():
    intro = "Der Stadtrat nannte drei Ziele für das kommende Jahr:"
    long_item = ("Ein neues Hallenbad für die östlichen Stadtteile, das nach Angaben der Verwaltung im Jahr 2028 "
                 "öffnen und rund vierzig Millionen Euro kosten soll.")
    first, last = PROSE["de"]
    doc = run(f"Überschrift\n{first}\n{intro}\n-\nGünstigere Busfahrkarten\n-\n{long_item}\n{last}")
    assert intro in doc.text and long_item in doc.text


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_single_pair_keeps_its_long_headline(lang):
    _, items = RUNS[lang]
    long_item = items[1]
    first, last = PROSE[lang]
    doc = run(f"Headline\n{first}\n-\n{long_item}\n{last}")
    assert long_item in doc.text


def test_bullets_on_the_same_line_as_their_text_stay():
    recipe = "- 200 g flour\n- 100 g sugar\n- two eggs from the market"
    doc = run(f"Headline\n{PROSE['en'][0]}\n{recipe}\n{PROSE['en'][1]}")
    assert recipe in doc.text and doc.removed == []


def test_a_lone_separator_and_a_dash_in_prose_touch_no_text():
    first, last = PROSE["fr"]
    dashed = "Le maire a répondu - sans surprise - que le projet irait à son terme, quoi qu'il arrive."
    doc = run(f"Titre\n{first}\n-\n{dashed}\n{last}")
    assert doc.text == f"Titre\n{first}\n{dashed}\n{last}"
    assert [r["text"] for r in doc.removed] == ["-"]


def test_a_run_with_a_statement_among_its_items_keeps_the_share_limit():
    # Half titles make a run, but a statement item might be the text itself: when such a
    # run would be most of a short text, the limit keeps it (and says so in a flag).
    text = f"Headline\n-\n{PROSE['en'][0]}\n-\nFerry fares to rise by a fifth"
    doc = run(text)
    assert doc.text == text and doc.removed == []
    assert [f["flag"] for f in doc.flags] == ["removal_over_limit"]
    # The same run inside an article still goes, statement and all.
    first, last = PROSE["en"]
    doc = run(f"Headline\n{first}\n-\n{PROSE['de'][1]}\n-\nFerry fares to rise by a fifth\n{last}\n{PROSE['fr'][0]}")
    assert doc.text == f"Headline\n{first}\n{last}\n{PROSE['fr'][0]}"
