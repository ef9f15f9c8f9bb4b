"""review-28: the known defects session 27 left (ids across batches, the SIGTERM handler of an
in-process run, extra __slots__ through pickle, rules' examples' types, the rules' cache
of two configurations), and new-user attacks."""

from __future__ import annotations

import collections
import sqlite3
from pathlib import Path

import pytest

from cleaner import Deduplicator

ROOT = Path(__file__).resolve().parent.parent

STORIES = ["The council voted on Tuesday to approve the new budget for the city library and parks department.",
           "Storms hit the northern coast overnight, leaving thousands of homes without power across the region.",
           "A new museum opened downtown with an exhibition of early photography from the harbour and its ships.",
           "The football club announced its new coach after a long search that lasted most of the summer season.",
           "Farmers in the valley reported an early harvest this year thanks to warm weather and steady rain."]
# A line the source prints under every story: a template in a batch of them all, kept in a
# batch of one.
ITEMS = [{"site": "example.com", "text": s + "\n\nFollow us on social media for more local news every day."}
         for s in STORIES]


def _state_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return [i for (i,) in con.execute("SELECT id FROM docs")]


def _twice(ids: list[str]) -> list[str]:
    return [i for i, n in collections.Counter(ids).items() if n > 1]


# ---- 1. a generated id held by an earlier batch's document with other words ----

def test_an_item_sent_again_and_cleaned_otherwise_gets_an_id_of_its_own(tmp_path):
    """An item without an id sent in a later batch gets the same content id; cleaned otherwise
    (its line was a template in the batch of five, not in a batch of one), it was stored as a
    second document under that id, and `export` wrote the id twice. It is renamed now, as one
    run renames inputs that share an id, and the state holds each id once."""
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        first = list(dedup.add(ITEMS))
        (again,) = dedup.add(ITEMS[:1])
        (third,) = dedup.add(ITEMS[:1])
    assert again["id"] == first[0]["id"] + "@<api>"
    assert "renamed: id" in again["meta"]["id"] and "other words" in again["meta"]["id"]
    assert third["id"] == again["id"]  # the third send is the second's words: sent again, not stored
    ids = _state_ids(db)
    assert len(ids) == 6 and not _twice(ids)


def test_a_user_id_used_again_with_other_words_is_renamed_against_the_state(tmp_path):
    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add([{"id": "x", "text": STORIES[0]}]))
        (other,) = dedup.add([{"id": "x", "text": STORIES[1]}])
        (same,) = dedup.add([{"id": "x", "text": STORIES[0]}])  # the first one's words: sent again
        # The first free name: "x@<api>" is held (and an input of this batch is called "x@<api>#1").
        rows = list(dedup.add([{"id": "x", "text": STORIES[2]}, {"id": "x@<api>#1", "text": STORIES[3]}]))
    assert other["id"] == "x@<api>" and same["id"] == "x"
    assert [r["id"] for r in rows] == ["x@<api>#2", "x@<api>#1"]
    assert not _twice(_state_ids(db))


# ---- 2. cli.main in a caller's process ----

def _main_exit(argv: list[str]) -> int:
    from cleaner import cli

    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    return done.value.code


def test_main_called_in_process_gives_back_the_sigterm_handler():
    """A SIGTERM after `cli.main([...])` returned raised KeyboardInterrupt in whatever the
    caller ran then: main's handler stayed installed."""
    import signal

    def mine(signum, frame):  # the caller's own handler
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        assert _main_exit(["--version"]) == 0
        assert signal.getsignal(signal.SIGTERM) is mine
        assert _main_exit(["show"]) != 0  # a usage error: given back as well
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_main_called_from_a_thread_runs_instead_of_raising_valueerror():
    """signal.signal works only in the main thread: main() from a worker thread (a web
    server's) ended in "ValueError: signal only works in main thread"."""
    import threading

    codes: list[object] = []

    def call() -> None:
        try:
            codes.append(_main_exit(["--version"]))
        except BaseException as exc:  # noqa: BLE001 - what the thread met, for the assert
            codes.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join()
    assert codes == [0]


# ---- 3. a subclass's own __slots__ through pickle and copy ----

def _slotted():  # made global: pickle finds a class by its module and name
    from cleaner.core.document import Document, Stored
    from cleaner.core.features import Features

    global SlotDocument, SlotFeatures, SlotStored, OpenSlotDocument

    class SlotDocument(Document):
        __slots__ = ("tag", "__private")

        def hide(self, value):
            self.__private = value

    class SlotFeatures(Features):
        __slots__ = "tag"  # one name as a string is a slot too

    class SlotStored(Stored):
        __slots__ = ("tag", "unset")

    class OpenSlotDocument(SlotDocument):  # slots above, and a __dict__
        pass

    for cls in (SlotDocument, SlotFeatures, SlotStored, OpenSlotDocument):
        cls.__qualname__ = cls.__name__
    return [SlotDocument(id="d1", source="s", text="Some text."),
            SlotFeatures(exact="k", near=b"", near_mh=b"", story_mh=b""), SlotStored(ref=3),
            OpenSlotDocument(id="d2", source="s", text="Other text.")]


def test_a_subclass_with_slots_of_its_own_keeps_them_through_pickle_and_copy():
    """review-27 kept a subclass's __dict__; attributes held in slots the subclass declares
    were still lost on pickle (to a worker, into a checkpoint) and by copy_with."""
    import copy
    import pickle

    from cleaner.core.features import copy_with

    for obj in _slotted():
        obj.tag = "mine"
        if isinstance(obj, SlotDocument):
            obj.hide(7)
        if isinstance(obj, OpenSlotDocument):
            obj.note = "in its dict"
        for back in (pickle.loads(pickle.dumps(obj)), copy.copy(obj), copy_with(obj)):
            assert type(back) is type(obj) and back.tag == "mine"
            if isinstance(obj, SlotDocument):
                assert back._SlotDocument__private == 7
            if isinstance(obj, OpenSlotDocument):
                assert back.note == "in its dict"
            if isinstance(obj, SlotStored):
                assert not hasattr(back, "unset")  # never set: still not set


# ---- 4. a rule's examples by language ----

_RULE = ('[[rule]]\nid = "mine"\ncategory = "related"\naction = "drop"\nany = ["leia também"]\n'
         'examples.match = ["Leia também: outra notícia"]\nexamples.no_match = ["Uma notícia"]\n')


@pytest.mark.parametrize("extra, where, says", [
    ("examples.pt = 5", "examples.pt", "list of non-empty strings"),
    ("examples.pt = {a = 1}", "examples.pt", "list of non-empty strings"),
    ('examples.pt = ["Leia também:", 3]', "examples.pt", "list of non-empty strings"),
    ('examples.pt = "Leia também:"', "examples.pt", "list of non-empty strings"),
    ('examples.no_mach = ["x"]', "examples.no_mach", "unknown key"),  # a typo: read as a language before
    ('examples.pt = ["Uma notícia"]', "examples.pt[0]", "does not tag its own example"),
])
def test_a_rules_examples_by_language_are_checked_at_load(tmp_path, extra, where, says):
    """`examples.pt = 5` (or a table, or a list holding a number) loaded without a word, and a
    user's `examples.pt` line the rule does not tag too: README says such a line is one the
    rule must tag. Each is a one-line configuration error naming the key now."""
    from cleaner.core.config import ConfigError, config_from_dict
    from cleaner.stages.build import build_stages

    rules = tmp_path / "mine.toml"
    rules.write_text(_RULE + extra + "\n", encoding="utf-8")
    cfg = config_from_dict({"boilerplate": {"rule_files": [str(rules)], "certain_categories": []}})
    with pytest.raises(ConfigError) as raised:
        build_stages(cfg)
    assert f"rule 'mine'.{where}" in str(raised.value) and says in str(raised.value)


def test_a_rules_examples_in_a_language_it_tags_load(tmp_path):
    from cleaner.core.config import config_from_dict
    from cleaner.stages.boilerplate.rules import load_rules
    from cleaner.stages.build import build_stages

    rules = tmp_path / "mine.toml"
    rules.write_text(_RULE + 'examples.pt = ["Leia também: mais"]\nexamples.zh-tw = ["leia também"]\n', encoding="utf-8")
    (rule,) = load_rules([rules])
    assert rule.examples["pt"] == ["Leia também: mais"] and "zh-tw" in rule.examples
    build_stages(config_from_dict({"boilerplate": {"rule_files": [str(rules)], "certain_categories": []}}))


# ---- 5. the rules' cache of two configurations used in turn ----

def _rule_file(path: Path, phrase: str) -> Path:
    path.write_text(f'[[rule]]\nid = "{path.stem}"\ncategory = "promo"\naction = "drop"\nany = ["{phrase}"]\n'
                    f'examples.match = ["{phrase} today"]\nexamples.no_match = ["Nothing here"]\n', encoding="utf-8")
    return path


def test_two_rule_sets_used_in_turn_each_read_back_and_the_files_are_bounded(tmp_path, monkeypatch):
    """One cache file for every rule set: two configurations run in turn rewrote it each
    time, each run paying the derive (~55 CPU ms). Each set has its own file now; at most
    KEPT are kept."""
    from cleaner.core import table_cache
    from cleaner.stages.boilerplate import cached

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path / "cache"))
    derived: list[str] = []
    real = cached.load_rules

    def counting(paths):
        derived.append(paths[0].stem)
        return real(paths)

    monkeypatch.setattr(cached, "load_rules", counting)
    a, b = _rule_file(tmp_path / "a.toml", "join our club"), _rule_file(tmp_path / "b.toml", "read more")
    for _ in range(3):
        assert [r.id for r in cached.rules_and_prefilter([a])[0]] == ["a"]
        assert [r.id for r in cached.rules_and_prefilter([b])[0]] == ["b"]
    assert derived == ["a", "b"]
    folder = table_cache.cache_path(cached.TABLE).parent
    for k in range(cached.KEPT + 3):
        cached.rules_and_prefilter([_rule_file(tmp_path / f"r{k}.toml", f"phrase {k}")])
    assert len(list(folder.glob(f"{cached.TABLE}-*"))) == cached.KEPT


# ---- part 2: a new user's attacks ----

def _limited_files(size: int):
    import resource

    def limit() -> None:  # ulimit -f: a write past `size` bytes fails with EFBIG (Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


def test_a_new_state_on_a_full_disk_is_not_called_not_a_state(tmp_path):
    """Making a new state where no byte more can be written (a full disk; `ulimit -f`) said
    "S is not a cleaner state (disk I/O error)": the user's file was not the fault, and a
    batch failing so later says "cannot use state S: ..." already."""
    import os
    import subprocess
    import sys

    db = tmp_path / "new.db"
    json_line = '{"id": "a", "text": "' + STORIES[0] + '"}\n'
    done = subprocess.run([sys.executable, "-m", "cleaner", "run", "-", "--out", "-", "--state", str(db)],
                          input=json_line.encode(), capture_output=True, cwd=tmp_path, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=_limited_files(8192))
    err = done.stderr.decode()
    assert done.returncode == 2 and err.count("\n") == 1, err
    assert "cannot use state" in err and "not a cleaner state" not in err


@pytest.mark.parametrize("text", ["北京市政府周二宣布批准新图书馆预算，市民对此表示欢迎，工程预计明年开工。",
                                  "台北市政府週二宣布批准新圖書館預算，市民對此表示歡迎。"])
def test_a_short_chinese_text_is_not_korean(text):
    """langdetect named a short text in Han characters alone Korean (at 1.0, no runner-up):
    Korean is written in Hangul, so a sample without one Hangul letter is not Korean."""
    from cleaner import clean

    (doc,) = clean([{"text": text}]).documents
    assert doc["lang"] == "zh" and "no Hangul" in doc["lang_reason"]


def test_korean_in_hangul_with_hanja_stays_korean():
    from cleaner import clean

    (doc,) = clean([{"text": "서울市는 火曜日 新 圖書館 豫算을 承認했다고 밝혔다."}]).documents
    assert doc["lang"] == "ko"


def _clean_in_a_pool_worker(workers):
    import warnings

    from cleaner import clean

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        try:
            counts = clean([{"id": f"x{i}", "text": f"{STORIES[i % 5]} Part {i}."} for i in range(10)],
                           workers=workers).counts
        except BaseException as exc:  # noqa: BLE001 - what the job met, for the assert
            return f"{type(exc).__name__}: {exc}", []
    return counts, [str(w.message) for w in said]


def test_the_api_in_a_multiprocessing_pools_worker_runs_in_that_process():
    """A job's own multiprocessing pool (daemonic workers) calling clean(items, workers=2)
    met "AssertionError: daemonic processes are not allowed to have children"."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        ((counts, said),) = pool.map(_clean_in_a_pool_worker, [2])
    assert isinstance(counts, dict) and counts["inputs"] == 10, counts
    assert any("daemonic" in s and "using 1" in s for s in said), said


@pytest.mark.parametrize("args", [("run", "{raw}", "--out", "{long}"), ("export", "{db}", "--out", "{long}"),
                                  ("export", "{long}", "--out", "{out}"), ("show", "{long}", "x"),
                                  ("state", "prune", "{long}", "--before", "2020-01-01")])
def test_a_name_too_long_is_a_one_line_error(tmp_path, args):
    """A path holding a name over 255 bytes (`--out`, a state) ended in OSError's traceback:
    pathlib's exists() raises ENAMETOOLONG (it answers False only for a missing file)."""
    import os
    import subprocess
    import sys

    db = tmp_path / "s.db"
    with Deduplicator(state=db) as dedup:
        list(dedup.add(ITEMS[:1]))
    names = {"raw": str(ROOT / "raw" / "de"), "long": "a" * 300, "db": str(db), "out": str(tmp_path / "out")}
    done = subprocess.run([sys.executable, "-m", "cleaner", *(a.format(**names) for a in args)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr[-500:]
    assert "a name in it is too long" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("batch_size", [1000, 2])
def test_add_reads_each_item_as_it_is_taken(batch_size):
    """A generator that fills one dict again and again (`d["text"] = ...; yield d`: the items
    a job builds in a loop) gave Deduplicator.add a batch of copies of its last item, renamed
    `n2@<api>#1`...: the other items were lost. clean() read each as it came already."""
    def reusing():
        item: dict = {}
        for i, text in enumerate(STORIES[:3]):
            item["id"], item["text"] = f"n{i}", text
            yield item

    with Deduplicator(batch_size=batch_size) as dedup:
        rows = list(dedup.add(reusing()))
    assert [(r["id"], r["text"]) for r in rows] == [(f"n{i}", t) for i, t in enumerate(STORIES[:3])]
