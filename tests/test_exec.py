"""The seams of #15: the executor apart from the stages, typed features, no global state."""

import time

from cleaner.core.document import Document
from cleaner.core.features import ARRAY_FIELDS, Features
from cleaner.core.stage import Stage
from cleaner.exec.local import LocalExecutor
from cleaner.stages.language.detect import DetectLanguage


class Sleep(Stage):
    name = "sleep"

    def process(self, doc: Document) -> Document:
        time.sleep(0.2)
        return doc


class Upper(Stage):
    name = "upper"

    def __init__(self):
        self.ready = False

    def setup(self) -> None:
        self.ready = True

    def process(self, doc: Document) -> Document:
        assert self.ready, "process() before setup()"
        doc.text = doc.text.upper()
        return doc


def test_stage_times_are_wall_or_cpu_time_as_set():
    docs = lambda: [Document(id="a", source="a", text="x")]  # noqa: E731
    (_, wall), = LocalExecutor(1).map(docs(), [Sleep()])
    (_, cpu), = LocalExecutor(1, cpu_time=True).map(docs(), [Sleep()])
    assert wall["sleep"] >= 0.19 and cpu["sleep"] < 0.05


def test_executor_keeps_input_order_and_sets_stages_up_in_every_process():
    docs = [Document(id=f"d{i}", source="s", text=f"text {i}") for i in range(40)]
    for workers in (1, 2):
        out = [d for d, _ in LocalExecutor(workers).map(iter([Document(id=d.id, source="s", text=d.text) for d in docs]),
                                                        [Upper()])]
        assert [d.id for d in out] == [d.id for d in docs]
        assert all(d.text == f"TEXT {i}" for i, d in enumerate(out))


def test_array_fields_come_from_the_features_class():
    assert ARRAY_FIELDS == ("near", "near_mh", "story_mh", "line_words")
    assert not hasattr(Document(id="a", source="a"), "work")
    assert Features(exact="k", near=None, near_mh=None, story_mh=None).terms == ()


def test_language_stage_owns_its_seed():
    """langdetect's class-wide seed, set by anyone else in the process, changes nothing, and
    the stage never sets it."""
    from langdetect import DetectorFactory

    text = "Salut, ça va? Oui, merci. Pizza, pasta, ciao, bella."  # mixed: the draws matter
    before = DetectLanguage().process(Document(id="x", source="x", text=text))
    saved = DetectorFactory.seed
    try:
        DetectorFactory.seed = 12345
        after = DetectLanguage().process(Document(id="x", source="x", text=text))
        assert DetectorFactory.seed == 12345  # left as the other user set it
    finally:
        DetectorFactory.seed = saved
    assert (before.lang, before.lang_prob) == (after.lang, after.lang_prob)
    other = DetectLanguage(seed=7)
    other.setup()
    assert other._factory.seed == 7 and DetectLanguage()._factory is None
