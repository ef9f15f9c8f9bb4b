"""state-21 (#16 point 9): a state batch's copy-tier candidates read ahead are kept as their
canonicals' shingles alone (their texts read, nothing else of their rows), loaded whole only
when the tier asks for more; their shingles are signed on the children fed from the pool's
result thread, and the look-ahead's slices are read as the candidates of the earlier ones are
signed. The same rows, events and tables as one process."""

import multiprocessing as mp
import random
import re
import time

import numpy as np
import pytest

from cleaner import Deduplicator
from cleaner.api import get_config
from cleaner.dedup import incremental
from cleaner.exec import forked
from cleaner.stages.sign import Sign
from cleaner.store.state import Packer, State

from test_state_forked import _stream

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "sol", "ver", "dan", "pe", "gri", "mon", "tu", "bel", "ros", "ai"]
_WORDS = sorted({a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES[:5]})[:400]


def _items() -> list[dict]:
    """Day 1: 40 stories. Day 2: a light edit of every other one (a near copy: joins its
    group) and, of the others, a text that reuses a third of its sentences (a candidate,
    under near.threshold)."""
    rng = random.Random(21)
    stories = []
    for i in range(40):
        sentences = [" ".join(rng.choice(_WORDS) for _ in range(12)) + "." for _ in range(8)]
        stories.append(sentences)
    day1 = [{"id": f"a{i}", "text": " ".join(s), "title": f"Story {i}", "date": "2025-03-01"}
            for i, s in enumerate(stories)]
    day2 = []
    for i, s in enumerate(stories):
        if i % 2 == 0:
            edited = list(s)
            edited[3] = " ".join(rng.choice(_WORDS) for _ in range(12)) + "."
            day2.append({"id": f"b{i}", "text": " ".join(edited), "title": f"Story {i} again", "date": "2025-03-02"})
        else:
            half = s[:4] + [" ".join(rng.choice(_WORDS) for _ in range(12)) + "." for _ in range(8)]
            day2.append({"id": f"c{i}", "text": " ".join(half), "title": f"Other {i}", "date": "2025-03-02"})
    return day1 + day2


@pytest.mark.skipif(not forked.can_fork(), reason="no fork here")
def test_candidates_read_ahead_are_kept_as_their_shingles_alone(monkeypatch):
    """A candidate read ahead and never joined is not loaded (no row of it unpickled, its
    text not kept); one a document joins is loaded whole then, with the shingles signed
    ahead (the same array); rows, events and tables are one process's."""
    items = _items()
    one = _stream(items, 1, 40)
    sign = Sign.from_config(get_config(None))
    seen: list[tuple[dict, set, list]] = []
    unpacked = [0]
    real_release, real_read_ahead, real_unpack_doc = (incremental.StateGroups.release,
                                                      incremental.StateGroups.read_ahead, Packer.unpack_doc)

    def read_ahead(self, *a, **k):
        before = unpacked[0]
        real_read_ahead(self, *a, **k)
        assert unpacked[0] == before, "read_ahead unpickled candidates' rows"

    def unpack_doc(self, *a, **k):
        unpacked[0] += 1
        return real_unpack_doc(self, *a, **k)

    def release(self, keep):
        texts = dict(self.state.db.execute(
            "SELECT groups.g, docs.text FROM groups JOIN docs ON docs.n = groups.canonical"))
        seen.append((dict(self.shingled), {g for g in self.loaded if g in self.ahead},
                     [(g, self.state.packer.unpack_text(texts[g])) for g in self.shingled]))
        return real_release(self, keep)

    monkeypatch.setattr(incremental.StateGroups, "read_ahead", read_ahead)
    monkeypatch.setattr(incremental.StateGroups, "release", release)
    monkeypatch.setattr(Packer, "unpack_doc", unpack_doc)
    monkeypatch.setattr(forked, "MIN_TEXTS", 1)
    monkeypatch.setattr(forked, "CHUNK", 3)
    two = _stream(items, 2, 40)
    assert two[0] == one[0] and two[1] == one[1] and two[2] == one[2]
    shingled = {g: s for found, _, _ in seen for g, s in found.items()}
    joined = set().union(*(j for _, j, _ in seen))
    assert shingled and joined, "the fixture must give candidates both left and joined"
    for found, _, texts in seen:
        for g, text in texts:
            assert np.array_equal(found[g], sign.near_shingles(text))
    statuses = {r["id"]: r["status"] for r in two[0]}
    assert any(s == "duplicate" for i, s in statuses.items() if i.startswith("b"))


def test_a_group_read_ahead_is_loaded_with_the_shingles_signed_ahead():
    """StateGroups[g] of a group read ahead restores its canonical with the array kept, not
    signed again, and the group is no longer kept apart."""
    with Deduplicator(batch_size=40) as dedup:
        list(dedup.add(_items()[:40]))
        state: State = dedup._state
        cfg = get_config(None)
        sign = Sign.from_config(cfg)
        groups = incremental.StateGroups(state, sign)
        g = 3
        kept = np.arange(5, dtype=np.uint32)
        groups.shingled[g] = kept
        assert groups.shingles(g) is kept and g not in groups.loaded
        record = groups[g]
        assert record.canonical.features.near is kept and g not in groups.shingled
        assert groups.shingles(g) is kept
        text = state.doc(state.group(g)[3])[2]
        assert state.canonical_texts([g, 1, g]) == [text, state.doc(state.group(1)[3])[2], text]


_done = None  # chunks the children signed (a shared counter, made before the fork)


def _counted_near(texts):
    with _done.get_lock():
        _done.value += 1
    return [forked._given.near_shingles(text) for text in texts]


@pytest.mark.skipif(not forked.can_fork(), reason="no fork here")
def test_shingles_ahead_keeps_the_children_signing_while_the_caller_reads(monkeypatch):
    """While the caller is inside `chunks` (a statement), the children go on through every
    chunk waiting (fed from the pool's result thread), not only the IN_FLIGHT each was
    sent when the caller last came back."""
    global _done
    _done = mp.get_context("fork").Value("i", 0)
    sign = Sign.from_config(get_config(None))
    texts = [f"Text {i} says {i % 7} things about {i % 5} matters and {i} more words." for i in range(40)]
    monkeypatch.setattr(forked, "MIN_TEXTS", 2)
    monkeypatch.setattr(forked, "_near", _counted_near)
    progress = []

    def chunks():
        for start in range(0, 36, 2):
            yield texts[start:start + 2]
        deadline = time.monotonic() + 60  # the caller busy in a statement: it feeds nothing
        while _done.value < 18 and time.monotonic() < deadline:
            time.sleep(0.02)
        progress.append(_done.value)
        yield texts[36:]

    found = forked.shingles_ahead(sign, chunks(), 2)
    assert progress == [18], f"the children signed {progress} of 18 chunks while the caller read"
    assert [s.tolist() for s in found] == [sign.near_shingles(t).tolist() for t in texts]


@pytest.mark.skipif(not forked.can_fork(), reason="no fork here")
def test_a_look_ahead_slice_s_candidates_are_read_before_the_next_slice(monkeypatch):
    """The candidates of a look-ahead's first slice are read (and sent to be signed) before
    its last slice's band rows are: the children sign while this process reads the state."""
    items = _items()
    order: list[str] = []
    real_all = State.band_screens_all

    def band_screens_all(self, queries):
        order.append("bands")
        return real_all(self, queries)

    def reading(name):
        real = getattr(State, name)

        def read(self, groups):
            order.append("texts")
            return real(self, groups)
        return read

    monkeypatch.setattr(State, "band_screens_all", band_screens_all)
    for name in ("canonical_texts", "canonicals"):  # the candidates' texts (the window's, after)
        if hasattr(State, name):
            monkeypatch.setattr(State, name, reading(name))
    monkeypatch.setattr(incremental, "LOOK_AHEAD", 4)
    monkeypatch.setattr(forked, "CHUNK", 2)
    monkeypatch.setattr(forked, "MIN_TEXTS", 1)
    two = _stream(items, 2, 40)
    assert "texts" in order and order.index("texts") < len(order) - 1 - order[::-1].index("bands"), order
    monkeypatch.undo()
    assert two == _stream(items, 1, 40)


def test_the_story_window_s_groups_are_read_in_one_statement(monkeypatch):
    """_link_stories reads its window's keys and canonicals together
    (State.keys_and_canonicals), not with a State.group statement for each group (two
    each, before); the same rows, events and tables."""
    items = [dict(item, title=f"Merkel meets Macron {item['id']}",
                  text="BERLIN (Reuters) - Angela Merkel met Emmanuel Macron in Paris.\n" + item["text"])
             for item in _items()]
    expected = _stream(items, 1, 20)
    asked: list[int] = []
    real_group, real_link = State.group, incremental.IncrementalClusterer._link_stories
    inside = [False]

    def group(self, g):
        if inside[0]:
            asked.append(g)
        return real_group(self, g)

    def link(self, *a, **k):
        inside[0] = True
        try:
            return real_link(self, *a, **k)
        finally:
            inside[0] = False

    monkeypatch.setattr(State, "group", group)
    monkeypatch.setattr(incremental.IncrementalClusterer, "_link_stories", link)
    windows: list[int] = []
    real_links = incremental.story_links

    def story_links(records, *a, **k):
        windows.append(len(records))
        return real_links(records, *a, **k)

    monkeypatch.setattr(incremental, "story_links", story_links)
    assert _stream(items, 1, 20) == expected
    assert max(windows) >= 40  # the later batches' windows hold the earlier batches' groups
    assert len(asked) < 10, f"{len(asked)} State.group statements in _link_stories"


def test_a_chinese_line_is_normalised_between_its_ideographs(monkeypatch):
    """core/text.nfkc normalises the runs between CJK ideographs, not a whole line for its
    full-width punctuation (the copy tier signs its candidates' texts again: 44% of that
    was NFKC on Chinese lines); the same text as unicodedata's."""
    import unicodedata

    from cleaner.core import text as text_module

    line = "北京，今天（星期一）天气很好：ＡＢＣ１２３。我们去公园散步了！"
    want = unicodedata.normalize("NFKC", line)
    asked: list[str] = []
    real = unicodedata.normalize

    def normalize(form, s):
        asked.append(s)
        return real(form, s)

    monkeypatch.setattr(unicodedata, "normalize", normalize)
    assert text_module.nfkc(line) == want and text_module.nfkc(line + "\n" + line) == want + "\n" + want
    ideograph = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
    assert asked and not any(ideograph.search(s) for s in asked), asked


try:
    from hypothesis import given, settings, strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    @settings(max_examples=500, deadline=None)
    @given(st.lists(st.sampled_from(["北", "京", "\u3400", "\u9fff", "\u4dbf", "，", "。", "Ａ", "ｶ", "ﾞ", "ﾟ", "\u3099",
                                     "\u309a", "\u0301", "\u0308", "e", "ﬁ", "①", "\u00a0", "가", "\u1100", "\u1161",
                                     "\u11a8", "\uf900", "\u2f00", "\u0345", "\n", " "])
                    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6), max_size=16).map("".join))
    def test_nfkc_by_runs_between_ideographs_is_unicodedata_s(text):
        import unicodedata

        from cleaner.core.text import nfkc

        assert nfkc(text) == unicodedata.normalize("NFKC", text)
