"""review-27: the Ctrl-C tests under a suite started in the background, the executor's
capabilities on its protocol, and the small defects session 26 left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ignoring_ctrl_c() -> None:  # what `pytest ... &` in a script, or nohup, starts with
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_the_ctrl_c_tests_pass_in_a_suite_started_with_ctrl_c_ignored():
    """closing26's "Ctrl-C tests flake under load": not the load. A shell without job control
    starts `cmd &` with SIGINT ignored (so does nohup); the ignore is inherited through fork
    and exec by every process the tests start, so a Ctrl-C sent to a run did nothing (exit 0
    instead of 130; "not interrupted"). The tests' own process puts Python's handler back
    (conftest.py), so its children start as a terminal's foreground job does."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                           "tests/test_exec.py::test_a_ctrl_c_while_the_pool_forks_stops_the_map_and_nothing_hangs"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                          preexec_fn=_ignoring_ctrl_c)
    assert done.returncode == 0, done.stdout[-2000:]


# ---- 2. the executor's capabilities on its protocol (core/protocols.Executor) ----

def test_both_executors_declare_their_close_and_their_reach():
    """Closing reads `closes_at_once` and the run enters `reaching()` plainly, with no
    getattr/hasattr default that a new executor would silently take."""
    import typing

    from cleaner.core.protocols import Executor
    from cleaner.exec.dask_engine import DaskExecutor
    from cleaner.exec.local import LocalExecutor

    hints = typing.get_type_hints(Executor, include_extras=True)
    assert "closes_at_once" in hints and callable(Executor.reaching) and callable(Executor.close)
    assert LocalExecutor.closes_at_once is True and DaskExecutor.closes_at_once is False
    with LocalExecutor(2).reaching() as entered:  # the null form: nothing to wrap
        assert entered is None
    assert "closes_at_once" not in {f.name for f in __import__("dataclasses").fields(DaskExecutor)}


def test_closing_asks_the_executor_without_a_default():
    from cleaner.exec.closing import Closing

    class NoWord:  # an executor that does not say whether its close is instant
        def close(self) -> None: ...

    with pytest.raises(AttributeError):
        Closing(NoWord())  # type: ignore[arg-type]


# ---- 3. small defects left by session 26 ----

@pytest.mark.parametrize("value, day", [
    ("2025-12-20T24:0000", "2025-12-20"),  # ISO 8601's basic and extended forms mixed: no time
    ("2025-12-20T2400:00", "2025-12-20"),
    ("20251220T24:0000", "2025-12-20"),
    ("2025-12-20T24:00", "2025-12-21"),  # the end of the day, as before
    ("2025-12-20T24:00:00", "2025-12-21"),
    ("2025-12-20T2400", "2025-12-21"),
    ("2025-12-20T240000", "2025-12-21"),
    ("20251220T240000,000", "2025-12-21"),
    ("2025-12-20T25:00", "2025-12-20"),  # any other malformed time: the day written
])
def test_a_malformed_end_of_day_keeps_the_day_written(value, day):
    from cleaner.core.dates import normalise_date

    assert normalise_date(value) == day


def test_a_second_ctrl_c_while_stopping_the_report_child_leaves_no_zombie(monkeypatch):
    """_Aside.stop kills the child, reads its pipe to the end, then reaps it. A second Ctrl-C
    while it read left the killed child a zombie for the rest of the process's life (a
    Python program using the API lives on)."""
    import time

    from cleaner.store import output

    monkeypatch.setattr(output.threading, "active_count", lambda: 1)  # see test_thru26.alone

    def files():
        time.sleep(60)  # the child is busy when the parent stops it
        return []

    side = output._Aside.start(files)
    assert side is not None
    real_read = output.os.read
    calls = []

    def read(fd, size):
        if fd == side.reader and not calls:
            calls.append(1)
            raise KeyboardInterrupt  # the second Ctrl-C, as stop() reads
        return real_read(fd, size)

    monkeypatch.setattr(output.os, "read", read)
    with pytest.raises(KeyboardInterrupt):
        side.stop()
    monkeypatch.setattr(output.os, "read", real_read)
    try:
        reaped = os.waitpid(side.pid, os.WNOHANG)
    except ChildProcessError:
        reaped = None  # already reaped by stop()
    assert reaped is None, "the killed child was left a zombie"


def _subclasses():  # made global: pickle finds a class by its module and name
    from cleaner.core.document import Document, Stored
    from cleaner.core.features import Features

    global TaggedDocument, TaggedFeatures, TaggedStored

    class TaggedDocument(Document):  # not a dataclass: instances have a __dict__
        pass

    class TaggedFeatures(Features):
        pass

    class TaggedStored(Stored):
        pass

    for cls in (TaggedDocument, TaggedFeatures, TaggedStored):
        cls.__qualname__ = cls.__name__
    return [TaggedDocument(id="d1", source="s", text="Some text."), TaggedFeatures(exact="k", near=b"", near_mh=b"", story_mh=b""), TaggedStored(ref=3)]


def test_a_subclass_with_its_own_attributes_keeps_them_through_pickle_and_copy():
    """by_position pickled the fields alone: a user's subclass (not a slots dataclass) lost
    every attribute of its own on the way to a worker and back, or into a checkpoint."""
    import copy
    import pickle

    from cleaner.core.features import copy_with

    for obj in _subclasses():
        obj.tag = "mine"
        for back in (pickle.loads(pickle.dumps(obj)), copy.copy(obj), copy_with(obj)):
            assert type(back) is type(obj) and back.tag == "mine"
            assert pickle.dumps(copy_with(back, tag="mine")) == pickle.dumps(obj)


# ---- 4. a new user's mistakes in a rule file ----

_EXAMPLES = 'examples.match = []\nexamples.no_match = []\n'


@pytest.mark.parametrize("matcher, where, says", [
    ('any = [" "]', "any[0]", "every line"),  # folds to nothing: "" is in every line
    ('any = ["harbour", "\\u3000"]', "any[1]", "every line"),
    ('all = ["harbour", "\\t"]', "all[1]", "every line"),
    ('any = ["harbour"]\nnone = [" "]', "none[0]", "every line"),
    ('equals = ["—"]', "equals[0]", "every line"),  # only the marks equals strips at the edges
    ('regex = ""', "regex", "every line"),
    ('any = ["harbour"]\nmin_words = 50\nmax_words = 10', "min_words", "max_words"),
    ('any = ["harbour"]\nfield = "date"', "field", "metadata"),
])
def test_a_rule_that_would_match_every_line_or_none_is_refused(tmp_path, matcher, where, says):
    """A phrase that folds to nothing (a space, an ideographic space) is in every line, an
    empty regex matches every line, and an `equals` of only edge marks matches every line of
    marks: each dropped every short line (or flagged every document) without a word. A
    min_words above max_words matched nothing, and `field` on a rule that is not 'metadata'
    did nothing, as silently."""
    from cleaner.core.config import ConfigError
    from cleaner.stages.boilerplate.rules import load_rules

    path = tmp_path / "r.toml"
    path.write_text(f'[[rule]]\nid = "u.x"\ncategory = "nav"\naction = "drop"\n{matcher}\n{_EXAMPLES}', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_rules([path])
    assert f"rule 'u.x'.{where}" in str(refused.value) and says in str(refused.value), str(refused.value)


def test_the_shipped_rules_still_load():
    from cleaner.core.config import load_config
    from cleaner.stages.boilerplate.rules import load_rules

    assert len(load_rules(load_config().rule_paths())) > 50
