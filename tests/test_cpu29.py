"""Session 29, #18 point 2 (cpu-29): the language stage keeps the answers of samples it has
met; salient_terms reads its lines' folds from the text's kept fold. Same outputs."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings, strategies as st

from cleaner.core.document import Document
from cleaner.dedup import terms
from cleaner.stages.language import detect
from cleaner.stages.language.detect import DetectLanguage

SAMPLES = [
    "The council voted on Monday to close the old bridge for repairs. Traffic will be diverted.",
    "Der Stadtrat hat am Montag beschlossen, die alte Brücke zu sperren. Der Verkehr wird umgeleitet.",
    "Городской совет в понедельник проголосовал за закрытие старого моста на ремонт.",
    "Міська рада в понеділок проголосувала за закриття старого мосту на ремонт.",
    "El consejo votó el lunes cerrar el puente viejo por reparaciones.",
    "Le conseil a voté lundi la fermeture du vieux pont pour travaux.",
    "Ο δήμος αποφάσισε τη Δευτέρα να κλείσει την παλιά γέφυρα.",  # the script decides
    "ab",  # too little text
    "12345 67890 !!! ???",  # no letters
    "漢字だけの短い文",
]


def _answers(stage: DetectLanguage, texts: list[str]) -> list[tuple[str | None, float | None, str | None]]:
    out = []
    for text in texts:
        doc = stage.process(Document(id="d", source="s", text=text))
        out.append((doc.lang, doc.lang_prob, doc.lang_reason))
    return out


def test_remembered_answers_are_the_detectors():
    texts = SAMPLES + [s + " More text after the sample." * 30 for s in SAMPLES] + SAMPLES[::-1]
    plain, kept = DetectLanguage(remember=False), DetectLanguage()
    assert _answers(kept, texts) == _answers(plain, texts)
    assert kept._answers and not plain._answers
    # a repeated sample is answered from what the stage kept, not detected again
    kept._detector = None  # type: ignore[assignment]  # would fail if called
    assert _answers(kept, SAMPLES) == _answers(plain, SAMPLES)


def test_changed_settings_are_not_answered_from_before():
    stage = DetectLanguage()
    text = SAMPLES[0]
    first = _answers(stage, [text])
    stage.min_chars = 10_000
    assert _answers(stage, [text])[0][0] == "und" != first[0][0]
    stage.min_chars = 5
    stage.trials = 3
    assert _answers(stage, [text]) == _answers(DetectLanguage(trials=3, remember=False), [text])


def test_unseeded_and_long_samples_are_not_kept():
    unseeded = DetectLanguage(seed=None)  # type: ignore[arg-type]
    unseeded.process(Document(id="d", source="s", text=SAMPLES[0]))
    assert not unseeded._answers
    whole = DetectLanguage(sample_chars=10**9)
    whole.process(Document(id="d", source="s", text="word " * (detect.ANSWER_CHARS // 5 + 1)))
    assert not whole._answers


def test_kept_answers_are_bounded_and_not_pickled(monkeypatch):
    monkeypatch.setattr(detect, "ANSWERS_KEPT", 3)
    stage = DetectLanguage()
    _answers(stage, SAMPLES[:6])
    assert 0 < len(stage._answers) <= 3
    assert pickle.loads(pickle.dumps(stage))._answers == {}


# salient_terms: the folds of its lines from signatures.folded (the text's fold, kept), not
# a casefold of each line again. The reference: the same function with the per-line folds
# (terms.folded answering a text of another line count sends it there).
_CHARS = st.sampled_from(list("aAbBß ẞİıﬁŉΣσςǅ\u0301\u0308 .,:!?-\n\t\u00a0\u2028\u3000") + ["Straße", "İstanbul",
                                                                                         "Dec", "May", "2013"])
_TEXT = st.lists(_CHARS, max_size=60).map("".join)


def _per_line(monkeypatch: pytest.MonkeyPatch, *args: object) -> object:
    with monkeypatch.context() as m:
        m.setattr(terms, "folded", lambda text: "\n" + text)  # one line too many: per-line folds
        return terms.salient_terms(*args)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, title=st.none() | _TEXT)
def test_salient_terms_from_the_kept_fold_are_the_same(text, title):
    with pytest.MonkeyPatch.context() as mp:
        want = _per_line(mp, text, "2013-05-03", 40, title, "en")
    assert terms.salient_terms(text, "2013-05-03", 40, title, "en") == want


def test_salient_terms_on_titled_texts():
    text = "STRASSE Berlin\nDie Straße in Berlin, sagte Anna Schmidt am 3. Mai.\n\nİstanbul ﬁnal"
    with pytest.MonkeyPatch.context() as mp:
        for title in (None, "Anna Schmidt in İstanbul", "STRASSE Berlin", "two\nlines"):
            assert terms.salient_terms(text, None, 40, title, "de") == _per_line(mp, text, None, 40, title, "de")


def test_strip_and_casefold_commute_on_every_character():
    # salient_terms' single-line CRC-32s strip the folded line (before: fold the stripped one)
    for code in range(0x110000):
        char = chr(code)
        fold = char.casefold()
        if char.isspace():
            assert fold.strip() == "", hex(code)
        else:
            assert fold and fold.strip() == fold, hex(code)
