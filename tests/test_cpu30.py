"""Session 30, #18 point 2 (cpu-30): a stage's batch entry point (`Stage.process_batch`,
`safe_process_batch`: the same documents, rejections and strict-mode errors as a document at
a time), and the language stage's langdetect trials in lockstep over a batch
(`langdetect_fast.lockstep_trials`): the same probabilities as each text's own trial."""

from __future__ import annotations

import random
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cleaner.core.document import Document
from cleaner.core.stage import STRICT_ENV, Stage, StageBug, safe_process, safe_process_batch
from cleaner.exec.local import process_batch
from cleaner.stages.language import langdetect_fast
from cleaner.stages.language.detect import DetectLanguage

# Words of many scripts (langdetect's and those the script decides), mixed at random below.
WORDS = {
    "latin": "the council voted on Monday to close old bridge for repairs der Stadtrat hat beschlossen Brücke "
             "el consejo votó lunes cerrar puente le conseil a voté fermeture du vieux pont Şehir meclisi "
             "köprüyü kapatma kararı aldı rada miasta zdecydowała zamknąć most Hội đồng thành phố đóng cửa cầu "
             "NATO UN USA Reuters AFP dpa 2024 3,5 km ÉCOLE Zürich ĳ ﬁ".split(),
    "cyrillic": "Городской совет в понедельник проголосовал за закрытие старого моста Міська рада "
                "проголосувала ремонт Градски съвет гласува затваряне мост".split(),
    "greek": "Ο δήμος αποφάσισε τη Δευτέρα να κλείσει την παλιά γέφυρα".split(),
    "arabic": "قرر المجلس البلدي يوم الاثنين إغلاق الجسر القديم للإصلاحات شورای شهر".split(),
    "devanagari": "नगर परिषद ने सोमवार को पुराने पुल को मरम्मत के लिए बंद करने का फैसला किया".split(),
    "han": "市议会周一投票决定关闭旧桥进行维修 市議會週一投票決定關閉舊橋".split(),
    "kana": "市議会は月曜日に古い橋を修理のために閉鎖することを決めた".split(),
    "hangul": "시의회는 월요일 낡은 다리를 수리하기 위해 폐쇄하기로 결정했다".split(),
    "thai": "สภาเมือง ลงมติ เมื่อวันจันทร์ ให้ปิด สะพานเก่า เพื่อซ่อมแซม".split(),
    "hebrew": "מועצת העיר החליטה ביום שני לסגור את הגשר הישן".split(),
    "bengali": "সিটি কাউন্সিল সোমবার পুরনো সেতু মেরামতের জন্য বন্ধ করার সিদ্ধান্ত নিয়েছে".split(),
    "other": ["12", "!!", "@", "x@y.org", "https://a.example/b", "—", "«»", "\u0301", "  ", "A", "IBM"],
}
SCRIPTS = sorted(WORDS)


def _samples(n: int, seed: int) -> list[str]:
    """n texts: mostly one script's words, some mixed, some short, some repeated."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        if out and rng.random() < 0.1:
            out.append(rng.choice(out))  # a copy: answered from the batch or the kept answers
            continue
        main = rng.choice(SCRIPTS)
        words = [rng.choice(WORDS[main] if rng.random() < 0.8 else WORDS[rng.choice(SCRIPTS)])
                 for _ in range(rng.choice([1, 2, 3, 8, 20, 60, 120]))]
        out.append(" ".join(words))
    return out


def _one_at_a_time(texts: list[str], **settings: object) -> list[tuple[object, ...]]:
    stage = DetectLanguage(remember=False, **settings)  # type: ignore[arg-type]
    return [_fields(stage.process(Document(id="d", source="s", text=t))) for t in texts]


def _batched(texts: list[str], size: int = 64, **settings: object) -> list[tuple[object, ...]]:
    stage = DetectLanguage(**settings)  # type: ignore[arg-type]
    docs = [Document(id=f"d{k}", source="s", text=t) for k, t in enumerate(texts)]
    out = []
    for k in range(0, len(docs), size):
        out += stage.process_batch(docs[k:k + size])
    return [_fields(doc) for doc in out]


def _fields(doc: Document) -> tuple[object, ...]:
    return doc.lang, doc.lang_prob, doc.lang_reason


@pytest.mark.parametrize("seed,trials,by_script", [(0, 1, True), (0, 1, False), (1, 1, False), (12345, 1, True),
                                                   (0, 3, True), (7, 2, False)])
def test_a_batch_answers_as_each_document_alone(seed, trials, by_script):
    """Thousands of samples of every script (langdetect's on all of them with by_script off),
    batches of 64 and of odd sizes: the same (lang, lang_prob, lang_reason) as `process` on
    each alone, without kept answers. Trials > 1 take the per-document trial: the same."""
    texts = _samples(1500 if trials == 1 else 300, seed=seed * 31 + trials)
    alone = _one_at_a_time(texts, seed=seed, trials=trials, by_script=by_script)
    assert _batched(texts, seed=seed, trials=trials, by_script=by_script) == alone
    assert _batched(texts, size=7, seed=seed, trials=trials, by_script=by_script) == alone


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=150)
                | st.lists(st.sampled_from([w for ws in WORDS.values() for w in ws]), max_size=40).map(" ".join),
                min_size=1, max_size=20), st.sampled_from([0, 3, 99]))
def test_a_batch_of_any_text_answers_as_each_alone(texts, seed):
    assert _batched(texts, seed=seed, by_script=False) == _one_at_a_time(texts, seed=seed, by_script=False)


def test_lockstep_probabilities_are_langdetects_own():
    """lockstep_trials against langdetect's own Detector (not only the fast one)."""
    from langdetect.detector import Detector

    stage = DetectLanguage()
    stage.setup()
    texts = [t for t in _samples(200, seed=5) if len(t) > 20][:80]
    dets = [stage._detector(t) for t in texts]
    langdetect_fast.lockstep_trials(dets)
    assert sum(d.langprob is not None for d in dets) >= len(dets) - 5  # nearly all in lockstep
    for text, det in zip(texts, dets):
        slow = Detector(stage._factory)
        slow.n_trial = 1
        slow.append(text)
        try:
            expected = [(c.lang, c.prob) for c in slow.get_probabilities()]
        except Exception:
            continue  # no n-gram: lockstep leaves it to the detector, which says so
        assert [(c.lang, c.prob) for c in det.get_probabilities()] == expected


@pytest.mark.parametrize("outputs", [30, 60, 300])
def test_texts_whose_outputs_run_out_are_left_to_their_own_trial(monkeypatch, outputs):
    """A text whose generator outputs drawn ahead would run out (never met: 8,192 outputs)
    keeps langprob None and runs its own trial (_one_trial, which runs out too, then
    langdetect's general loop), as a document alone does: here only `outputs` are drawn
    ahead, so some texts converge in lockstep and the others run out, at the first look-up
    or at a later one."""
    real = langdetect_fast._shifted
    monkeypatch.setattr(langdetect_fast, "_shifted", lambda seed, width: real(seed, width)[:outputs])
    monkeypatch.setattr(langdetect_fast, "_FIRST_STEPS", 11)
    texts = _samples(200, seed=9)
    ran_out = []
    lockstep = langdetect_fast.lockstep_trials

    def spy(dets):
        lockstep(dets)
        ran_out.extend(d.langprob is None and len(d.features()) > 0 for d in dets)

    monkeypatch.setattr(langdetect_fast, "lockstep_trials", spy)
    assert _batched(texts, by_script=False) == _one_at_a_time(texts, by_script=False)
    assert any(ran_out) and not all(ran_out)


@pytest.mark.parametrize("rows", [1, 2, 5, 64])
def test_totals_add_in_pythons_order(rows):
    """_totals(prob) is [sum(row) for row in prob] bit for bit: rows of very different
    magnitudes (where the order of additions shows), zeros, -0.0, subnormals, inf, nan."""
    rng = np.random.default_rng(rows)
    for _ in range(300):
        prob = rng.random((rows, 55)) * 10.0 ** rng.integers(-300, 300, size=(rows, 55))
        prob[rng.random((rows, 55)) < 0.2] = 0.0
        got = langdetect_fast._totals(prob)
        assert got.tobytes() == np.array([sum(r) for r in prob.tolist()]).tobytes()
    odd = np.array([[-0.0] * 55, [0.0] * 55, [5e-324] * 55, [np.inf] + [1.0] * 54, [np.nan] + [1.0] * 54,
                    [1e16, 1.0, -1e16] + [0.0] * 52])[:max(rows, 1)]
    got = langdetect_fast._totals(odd)
    want = np.array([sum(r) for r in odd.tolist()])
    assert np.array_equal(got, want, equal_nan=True) and np.signbit(got).tolist() == np.signbit(want).tolist()
    # numpy's own sum adds in another order: the reason for _totals
    if sys.version_info < (3, 12):
        wide = np.array([[1e16] + [1.0] * 54])
        assert langdetect_fast._totals(wide)[0] == sum(wide[0].tolist())


def test_copies_in_a_batch_are_detected_once(monkeypatch):
    stage = DetectLanguage()
    stage.setup()
    texts = [_samples(3, seed=1)[0]] * 5 + [_samples(3, seed=2)[1]] * 3
    started = []
    real = DetectLanguage._start
    monkeypatch.setattr(DetectLanguage, "_start", lambda self, s: started.append(s) or real(self, s))
    docs = stage.process_batch([Document(id=f"d{k}", source="s", text=t) for k, t in enumerate(texts)])
    assert len(started) == 2
    assert [_fields(d) for d in docs] == _one_at_a_time(texts)
    started.clear()
    stage.process_batch([Document(id="again", source="s", text=texts[0])] * 2)
    assert started == []  # kept from the batch before


class _Upper(Stage):
    name = "upper"

    def process(self, doc: Document) -> Document:
        if "bad" in doc.text:
            raise ValueError("bad text")
        if "huge" in doc.text:
            raise MemoryError()
        doc.text = doc.text.upper()
        return doc


class _Batched(_Upper):
    calls = 0

    def process_batch(self, docs: list[Document]) -> list[Document]:
        type(self).calls += 1
        for doc in docs:
            if "bad" in doc.text or "huge" in doc.text:
                raise ValueError("a batch with a bad document")
        return [self.process(doc) for doc in docs]


def _docs(*texts: str) -> list[Document]:
    return [Document(id=f"d{k}", source=f"s{k}", text=t) for k, t in enumerate(texts)]


def test_a_failing_document_is_rejected_alone_never_its_batch(monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)
    for stage in (_Upper(), _Batched()):
        docs = safe_process_batch(stage, _docs("one", "bad one", "two", "huge one"))
        assert [d.ok for d in docs] == [True, False, True, False]
        assert [d.text for d in docs][::2] == ["ONE", "TWO"]
        assert docs[1].error == safe_process(_Upper(), _docs("bad one")[0]).error
        assert "out of memory" in (docs[3].error or "")


def test_strict_mode_names_the_failing_document_and_a_batch_only_bug(monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(StageBug, match="upper failed on s1: ValueError: bad text"):
        safe_process_batch(_Batched(), _docs("one", "bad one"))

    class _BatchBug(_Upper):
        def process_batch(self, docs: list[Document]) -> list[Document]:
            return docs[:1]  # loses a document: a bug of the batch call alone

    with pytest.raises(StageBug, match="on a batch of 2 documents, and on none of them alone"):
        safe_process_batch(_BatchBug(), _docs("one", "two"))
    monkeypatch.delenv(STRICT_ENV)
    assert [d.text for d in safe_process_batch(_BatchBug(), _docs("one", "two"))] == ["ONE", "TWO"]


def test_documents_not_ok_pass_and_the_executor_calls_the_batch(monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)
    _Batched.calls = 0
    docs = _docs("a", "b", "c", "d")
    docs[1] = docs[1].reject("earlier")
    done = process_batch(docs, [_Batched(), _Upper()])
    assert [d.text for d, _ in done] == ["A", "b", "C", "D"] and _Batched.calls == 1
    assert [sorted(t) for _, t in done] == [["upper"], [], ["upper"], ["upper"]]
    assert done[1][0].error == "earlier"
