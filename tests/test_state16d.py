"""state-16d (#16 point 9): a batch's copy-tier candidates in the state found before the
tier's pass and their canonicals' shingles signed on forked processes (the same rows and
tables as one process), and the screen answering for a signature's values, not its array."""

import numpy as np
import pytest

from cleaner.api import get_config
from cleaner.dedup import incremental
from cleaner.dedup.incremental import StateGroups, StateIndex, screen_bytes
from cleaner.exec import forked
from cleaner.stages.sign import Sign
from cleaner.store.state import State

from test_state_forked import _stream, raw_items  # noqa: F401 (a fixture)


def _state_with(groups: dict[int, np.ndarray]):
    """A state (in memory) holding a group for each signature, with its bands and screen."""
    cfg = get_config(None)
    state = State(":memory:")
    state.begin()
    index = StateIndex(state, cfg["near"]["lsh_threshold"], cfg["minhash"]["num_perm"])
    for g, signature in groups.items():
        state.add_group(g, f"{g:040x}", f"rec-{g}", 1, g, None, screen_bytes(signature).tobytes())
        state.add_bands(index.bands.band_keys(signature), g)
    return state, index, StateGroups(state, Sign.from_config(cfg), None, index)


def _signature(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)


def test_a_screen_answers_for_the_signature_s_values_not_its_array():
    """An array refilled in place between a query and a screen (the same object, other
    values) is screened by its values: the counts kept for the query (StateIndex.matches)
    and the screen bytes kept for a document's candidates are another signature's. Main
    compared the arrays by identity (the BandIndex bug cdc03cb fixed, once more)."""
    a, b = _signature(1), _signature(2)
    state, index, groups = _state_with({0: a, 1: b})
    floor = 0.1
    signature = a.copy()
    assert index.query(signature) == {0}
    assert groups.screen(0, signature, floor)  # all 128 low bytes equal
    signature[:] = a ^ 1  # every low byte differs from group 0's now
    assert not groups.screen(0, signature, floor)
    # A group the query did not count (group 1: its own screen read), then refilled again.
    signature[:] = b
    assert groups.screen(1, signature, floor)
    signature[:] = b ^ 1
    assert not groups.screen(1, signature, floor)
    state.close()


def test_a_look_ahead_answers_as_the_state_would_with_the_batch_s_groups():
    """StateIndex.look_ahead reads every signature's candidates before the batch inserts a
    group; a later query adds the groups the batch inserted with a shared band since (the
    state's own query would find them), and counts the same screens."""
    a, b = _signature(3), _signature(4)
    state, index, groups = _state_with({0: a, 1: b})
    index.look_ahead([a, b])
    index.insert(7, a)  # a group of the batch (no groups row yet: no screen)
    ahead = index.query(a)
    ahead_matches = dict(index.matches)
    assert ahead == {0, 7} and ahead_matches == {0: (128, 128)}
    assert index.query(a) == ahead and index.matches == ahead_matches  # answered by the state's query now
    assert index.ahead.keys() == {b.tobytes()}  # a's answer was used once and dropped
    state.close()


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.skipif(not forked.can_fork(), reason="no fork here")
def test_shingles_ahead_gives_each_text_s_shingles_in_order(monkeypatch, workers):
    sign = Sign.from_config(get_config(None))
    texts = [f"Text number {i} says what {i % 7} said, about {i % 5} things and {i} more words." for i in range(90)]
    texts += ["今天北京的天气很好，我们去公园散步了。" * (1 + i % 3) for i in range(10)]
    chunks = [texts[i:i + 3] for i in range(0, len(texts), 3)]
    monkeypatch.setattr(forked, "MIN_TEXTS", 4)
    found = forked.shingles_ahead(sign, iter(chunks), workers)
    assert len(found) == len(texts)
    for text, shingles in zip(texts, found):
        assert np.array_equal(shingles, sign.near_shingles(text)) and shingles.dtype == sign.near_shingles(text).dtype


@pytest.mark.parametrize("read_ahead", [None, 7])
@pytest.mark.skipif(not forked.can_fork(), reason="no fork here")
def test_a_batch_reads_its_candidates_ahead_on_the_workers(raw_items, monkeypatch, read_ahead):  # noqa: F811
    """With workers > 1 the copy tier's candidates are found for every document of a batch
    in two statements (State.band_screens_all), not one band query a document, and their
    canonicals' shingles are signed on forked processes; rows, events and tables are what
    one process gives. `read_ahead` 7: the batch's documents read ahead 7 at a time, so most
    look-aheads come after the batch inserted groups (found by the state's statement and by
    StateIndex.added both, and promoted ones)."""
    size = -(-len(raw_items) // 3)
    one = _stream(raw_items, 1, size)
    shingled = [0]
    ahead = getattr(forked, "shingles_ahead", None)

    def counted(sign, chunks, workers, *helpers):
        found = ahead(sign, chunks, workers, *helpers)
        shingled[0] += len(found)
        return found

    def never(self, keys):
        raise AssertionError("a document's candidates were read with a query of its own")

    monkeypatch.setattr(forked, "shingles_ahead", counted, raising=False)
    monkeypatch.setattr(forked, "MIN_TEXTS", 1)  # on the pool, however few
    monkeypatch.setattr(forked, "CHUNK", 2, raising=False)
    monkeypatch.setattr(State, "band_screens", never)
    if read_ahead:
        monkeypatch.setattr(incremental, "READ_AHEAD", read_ahead, raising=False)
        monkeypatch.setattr(incremental, "LOOK_AHEAD", 3, raising=False)
    two = _stream(raw_items, 2, size)
    assert shingled[0] > 0  # later batches restored canonicals of earlier ones, ahead
    assert two[0] == one[0]
    assert two[1] == one[1]
    assert two[2] == one[2]


def test_a_group_promoted_in_the_batch_is_not_screened_with_its_old_canonical_s_bytes():
    """A group read ahead is screened like a group not loaded, from the state's screen
    (its canonical's); once a batch document becomes its canonical, that screen is the old
    canonical's, and the group passes unscreened as every group the batch changed."""
    a = _signature(5)
    state, index, groups = _state_with({0: a})
    groups.ahead.add(0)
    groups.loaded[0] = incremental.Record([], key="k")
    signature = a ^ 1
    index.query(signature)
    assert not groups.screen(0, signature, 0.1)
    groups.ahead.discard(0)  # what _add does when it promotes a batch document
    assert groups.screen(0, signature, 0.1)
    state.close()


def test_shingles_ahead_without_fork_signs_here(monkeypatch):
    """Where fork is missing (or one worker), every chunk is signed in this process, in order."""
    sign = Sign.from_config(get_config(None))
    texts = [f"Another text, number {i}, with a few words of its own: {i * 7}." for i in range(40)]
    monkeypatch.setattr(forked, "MIN_TEXTS", 1)
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    found = forked.shingles_ahead(sign, iter([texts[i:i + 6] for i in range(0, 40, 6)]), 2)
    assert [s.tolist() for s in found] == [sign.near_shingles(t).tolist() for t in texts]
    assert [s.tolist() for s in forked.shingles_ahead(sign, iter([texts]), 1)] == [s.tolist() for s in found]
