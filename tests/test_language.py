import pytest

from cleaner.language import DetectLanguage

SAMPLES = {
    "en": "The city council approved the budget on Monday after a long debate about schools and roads.",
    "de": "Der Stadtrat hat am Montag nach einer langen Debatte über Schulen und Straßen den Haushalt beschlossen.",
    "fr": "Le conseil municipal a adopté le budget lundi après un long débat sur les écoles et les routes.",
    "ru": "Городской совет утвердил бюджет в понедельник после долгих споров о школах и дорогах.",
    "uk": "Міська рада ухвалила бюджет у понеділок після тривалої дискусії про школи та дороги.",
    "zh": "市议会周一在就学校和道路问题进行长时间辩论后批准了预算。",
    "ar": "وافق مجلس المدينة على الميزانية يوم الاثنين بعد نقاش طويل حول المدارس والطرق.",
}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_detects_language_with_probability_and_reason(lang):
    from cleaner.document import Document

    doc = DetectLanguage().process(Document(id="x", source="x", text=SAMPLES[lang]))
    assert doc.lang == lang
    assert 0.5 < doc.lang_prob <= 1.0
    assert "langdetect" in doc.lang_reason


def test_same_answer_every_time():
    from cleaner.document import Document

    text = "Ja ja, das ist so. Oui. Yes indeed, it is."  # ambiguous: unseeded langdetect flips
    results = {(d.lang, d.lang_prob) for d in (DetectLanguage().process(Document(id="x", source="x", text=text))
                                                for _ in range(5))}
    assert len(results) == 1


def test_too_short_is_undetermined():
    from cleaner.document import Document

    doc = DetectLanguage(min_chars=20).process(Document(id="x", source="x", text="Hi 123"))
    assert doc.lang == "und" and doc.lang_prob is None and "too little text" in doc.lang_reason


def test_only_a_sample_is_read():
    from cleaner.document import Document

    text = SAMPLES["de"] + " " + SAMPLES["en"] * 40
    doc = DetectLanguage(sample_chars=len(SAMPLES["de"])).process(Document(id="x", source="x", text=text))
    assert doc.lang == "de"
