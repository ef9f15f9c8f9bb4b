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
    groups.number, groups.ahead = {}, {1, 2, 3}
    assert groups.release({0, 4}) == 4
    assert sorted(groups.loaded) == [0, 4] and groups.ahead == set()
