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


_CTRL_C_IN_FORK = r'''
import os, signal, sys
from cleaner.core.document import Document
from cleaner.exec.local import LocalExecutor

fired = []

def ctrl_c_once():  # Ctrl-C arriving while the pool forks its first worker
    if not fired:
        fired.append(1)
        os.kill(os.getpid(), signal.SIGINT)

os.register_at_fork(after_in_parent=ctrl_c_once)
docs = [Document(id=f"d{i}", source="s", text="Some words here.") for i in range(20)]
try:
    out = list(LocalExecutor(workers=2).map(iter(docs), []))
except KeyboardInterrupt:
    print("interrupted", signal.pthread_sigmask(signal.SIG_BLOCK, []) == set())
    sys.exit(0)
print("not interrupted", len(out))
'''


def test_a_ctrl_c_while_the_pool_forks_stops_the_map_and_nothing_hangs():
    """Ctrl-C delivered inside a fork's own handlers used to be raised there ("Exception
    ignored in ...", the interrupt lost, or a lock left held and the run hung). Held back
    while the pool forks, it reaches the map once the pool exists, which ends it."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _CTRL_C_IN_FORK], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "interrupted True", (done.stdout, done.stderr)
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_workers_take_ctrl_c_and_sigterm_again_once_started():
    """The workers are born with Ctrl-C and SIGTERM held (see exec/local._HELD): once
    started, neither is blocked (SIGTERM stops a worker; Ctrl-C is ignored there)."""
    import signal

    class Mask(Stage):
        name = "mask"

        def process(self, doc: Document) -> Document:
            doc.meta["blocked"] = sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, []))
            doc.meta["sigint"] = int(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)
            return doc

    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    docs = [Document(id=f"d{i}", source="s", text="x") for i in range(4)]
    out = [doc for doc, _ in LocalExecutor(workers=2).map(iter(docs), [Mask()])]
    assert all(d.meta["blocked"] == [] and d.meta["sigint"] == 1 for d in out)
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before  # the main process's mask restored


class Log(Stage):
    """Records (its name, the document's id) at each call, in a list shared with the test;
    rejects the document named `drop` (doc.ok false from then on)."""

    def __init__(self, name: str, calls: list, drop: str | None = None):
        self.name, self.calls, self.drop = name, calls, drop

    def process(self, doc: Document) -> Document:
        self.calls.append((self.name, doc.id))
        doc.text += self.name
        if doc.id == self.drop:
            doc.reject(f"dropped by {self.name}")
        return doc


def test_documents_run_a_stage_at_a_time_in_batches():
    """Each batch goes through one stage, then the next (#18: the stages' code and tables stay
    in the CPU's caches); each document gets the same calls, in the same order, as alone."""
    from cleaner.exec.local import BATCH

    calls: list = []
    stages = [Log("a", calls), Log("b", calls, drop="d1"), Log("c", calls)]
    docs = [Document(id=f"d{k}", source="s", text="") for k in range(BATCH + 2)]
    out = list(LocalExecutor(1).map(docs, stages))
    first = [c for c in calls if c[1] in {f"d{k}" for k in range(BATCH)}]
    assert first[:BATCH] == [("a", f"d{k}") for k in range(BATCH)]  # stage a over the whole batch first
    assert first[BATCH:2 * BATCH] == [("b", f"d{k}") for k in range(BATCH)]
    assert ("c", "d1") not in calls  # no longer ok: the stages left are skipped
    assert [d.id for d, _ in out] == [d.id for d in docs]  # input order
    assert [d.text for d, _ in out] == ["ab" if d.id == "d1" else "abc" for d in docs]
    assert [sorted(spent) for _, spent in out] == [["a", "b"] if d.id == "d1" else ["a", "b", "c"] for d in docs]
    calls.clear()
    pooled = list(LocalExecutor(2).map([Document(id=f"d{k}", source="s", text="") for k in range(BATCH + 2)],
                                       [Log("a", calls), Log("b", calls, drop="d1"), Log("c", calls)]))
    assert [(d.id, d.text) for d, _ in pooled] == [(d.id, d.text) for d, _ in out]  # the same with workers


def test_a_worker_is_handed_batches_large_enough_to_pay_for_themselves():
    """#18 point 3: each pool task costs the main process ~1.5 ms whatever its size, taken from
    the workers' cores while they run. With tasks of 8, 3,000 documents made ~375 tasks and
    ~0.9 s of the main process's CPU during the map; with 64, 47 tasks and ~0.4 s
    (BENCHMARKS.md, "Branch serial-18"). Larger batches keep each stage's tables in the
    CPU's caches longer too."""
    from cleaner.exec.local import BATCH, batches

    docs = [Document(id=f"d{k}", source="s", text="") for k in range(3000)]
    cut = list(batches(docs))
    assert len(cut) <= 47
    assert [d.id for batch in cut for d in batch] == [d.id for d in docs]
    assert BATCH == len(cut[0]) >= 64


def test_a_run_makes_no_full_collections_and_restores_the_thresholds():
    """#18 point 3: in a run's main process, each automatic full collection walked every
    slim copy (2 a run at 3,000 documents, ~0.1 s CPU) and freed nothing; young
    collections stay. The caller's thresholds are back after the run."""
    import gc

    from cleaner.core.config import load_config
    from cleaner.exec.flow import run_documents
    from cleaner.exec.memory import NO_FULL

    seen: list = []

    class Watch(Log):
        def process(self, doc):
            seen.append(gc.get_threshold())
            return doc

    before = gc.get_threshold()
    from cleaner.stages.build import build_stages

    cfg = load_config(None)
    stages = build_stages(cfg)
    stages.per_document.append(Watch("watch", []))  # in the loop (1 worker): this process's thresholds
    result = run_documents([Document(id="a", source="s", text="One line of text here.")], cfg, stages=stages)
    assert result.documents and seen and all(t[2] == NO_FULL for t in seen)
    assert gc.get_threshold() == before
