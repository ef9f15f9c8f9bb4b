"""state-18 (#16 point 9): a batch against a large state holds at its peak the copy tier's
candidates (their canonicals' texts and shingles, ~7,000 for a 1,000-document batch against
200,000 documents) and the story window. The copy tier's are dropped once its pass is done
(StateGroups.release): the story tier reads the window as before, with the same rows."""

from test_state_rows import _overlapping, _stream

from cleaner.dedup import incremental


def test_the_copy_tiers_candidates_are_dropped_before_the_story_tier(monkeypatch):
    batches = _overlapping(5)
    seen: list[tuple[set[int], set[int]]] = []
    link = incremental.IncrementalClusterer._link_stories

    def checked(self, batch, groups, fresh, store):
        seen.append((set(groups.loaded), set(fresh)))
        return link(self, batch, groups, fresh, store)

    expected = _stream(batches, False)
    monkeypatch.setattr(incremental.IncrementalClusterer, "_link_stories", checked)
    assert _stream(batches, False) == expected  # the same rows, events and tables
    assert len(seen) == 2
    loaded, fresh = seen[1]  # the second batch compared its documents with the first's canonicals
    assert loaded <= fresh, sorted(loaded - fresh)  # only the batch's own groups are still held


def test_release_keeps_the_batchs_groups_and_forgets_the_rest():
    groups = incremental.StateGroups.__new__(incremental.StateGroups)
    groups.loaded = {g: incremental.Record([]) for g in range(6)}
    groups.number, groups.ahead = {}, {1, 2, 3, 7}
    groups.shingled = {7: None}  # read ahead, not loaded (state-21): dropped too
    assert groups.release({0, 4}) == 5
    assert sorted(groups.loaded) == [0, 4] and groups.ahead == set() and groups.shingled == {}


def test_a_candidate_screened_under_the_state_floor_is_not_read():
    """STATE_SCREEN: a candidate whose screen (the low bytes of its canonical's MinHash)
    is under near.threshold x STATE_SCREEN (0.12) is not read, though over the tier's own
    floor (ESTIMATE_FLOOR x threshold, 0.1); one at it is."""
    import numpy as np
    from test_state16d import _signature, _state_with

    a = _signature(4)
    state, index, groups = _state_with({0: a})
    groups.floor = 0.3 * incremental.STATE_SCREEN
    for equal, passes in ((15, False), (16, True)):  # 15/128 = 0.117, 16/128 = 0.125
        signature = a ^ np.where(np.arange(128) < equal, 0, 1).astype(np.uint32)
        index.query(signature)  # counted with the query when it finds group 0
        assert groups.screen(0, signature, 0.1) is passes
        index.queried = None  # counted on its own (a group without counts): the same answer
        assert groups.screen(0, signature, 0.1) is passes
    state.close()


def test_a_states_copy_tier_screens_at_the_state_floor(monkeypatch):
    batches = _overlapping(6)
    expected = _stream(batches, False)
    floors: set[float] = set()
    screen = incremental.StateGroups.screen

    def recorded(self, g, signature, floor):
        floors.add(self.floor)
        return screen(self, g, signature, floor)

    monkeypatch.setattr(incremental.StateGroups, "screen", recorded)
    assert _stream(batches, False) == expected  # near pairs of Jaccard ~0.25 are still compared
    assert floors == {0.3 * 0.4}
