"""state-25 (#16 point 9): a state's batch forgets the story tier's weights once its forked
children hold them (ForkedStories(forget=True)): the tier's peak at 200,000 documents rose
~13 MiB instead of ~18 over its start, with the same rows."""

from cleaner.dedup import incremental
from cleaner.exec import forked

from test_state20 import _trap_shared
from test_state24 import _stream
from test_state_forked import raw_items  # noqa: F401  (a fixture)


def test_forked_stories_forget_the_weights_once_forked(monkeypatch):
    """forget=True: the weights list handed to share() is emptied once the children are
    forked with it, and the clusters are those one process gives; without forget, or with
    no pool (the caller's process does the work), the list is left whole."""
    from cleaner.dedup.stories import link_stories

    if not forked.can_fork():
        return
    cfg, (docs, weights, _) = _trap_shared()
    alone = link_stories(docs, cfg, list(weights))
    kept = list(weights)
    assert link_stories(docs, cfg, kept, forked.ForkedStories(2, edges=False, forget=True))[0] == alone[0]
    assert kept == weights  # too few rows to fork (MIN_ROWS): worked here, nothing forgotten
    monkeypatch.setattr(forked, "MIN_ROWS", 1)
    mine = list(weights)
    assert link_stories(docs, cfg, mine, forked.ForkedStories(2, edges=False))[0] == alone[0]
    assert mine == weights
    given = list(weights)
    clusters, edges = link_stories(docs, cfg, given, forked.ForkedStories(2, edges=False, forget=True))
    assert clusters == alone[0] and edges == {}
    assert given == []


def kept_stream(raw_items, monkeypatch):  # noqa: F811
    """(batch size, the stream's rows, events and tables) at 2 workers, its story tier forked
    (MIN_ROWS 1: the fixture's windows are small) with a runner that keeps the weights: made
    in this process and never forgotten (state-29: nor made apart, nor anything let go)."""
    monkeypatch.setattr(forked, "MIN_ROWS", 1)
    size = -(-len(raw_items) // 3)
    real_init = forked.ForkedStories.__init__

    def keeping(self, workers, edges=True, forget=False, apart=False, let_go=None):
        real_init(self, workers, edges, False)

    monkeypatch.setattr(forked.ForkedStories, "__init__", keeping)
    before = _stream(raw_items, 2, size)
    monkeypatch.setattr(forked.ForkedStories, "__init__", real_init)
    return size, before


def test_a_states_batch_forgets_the_story_weights_with_the_same_rows(raw_items, monkeypatch):  # noqa: F811
    """A stream's later batches run their story tier on forked children that took the
    weights from this process; the rows, events and tables are those of the same stream
    whose runner keeps them."""
    if not forked.can_fork():
        return
    size, before = kept_stream(raw_items, monkeypatch)
    forgot: list[int] = []
    real_links = incremental.story_links

    def story_links(records, cfg, runner=None):
        found = real_links(records, cfg, runner)
        assert runner is not None and runner.forget
        forgot.append(len(found[3]))  # the weights list story_links made and handed to the runner
        return found

    monkeypatch.setattr(incremental, "story_links", story_links)
    after = _stream(raw_items, 2, size)
    assert after == before
    assert forgot and all(n == 0 for n in forgot)


def test_the_window_read_early_holds_no_text_through_the_writes(raw_items, monkeypatch):  # noqa: F811
    """_window_ahead (workers > 1) lets a state canonical's text go once nothing will read it:
    its terms and lines' words taken from the state's terms table, or its text sent to the
    children to sign. The rows, events and tables are those one worker gives (no read
    ahead)."""
    if not forked.can_fork():
        return
    size = -(-len(raw_items) // 3)
    one = _stream(raw_items, 1, size)
    monkeypatch.setattr(forked, "MIN_TEXTS", 1)  # the fixture's windows are small: sign ahead all the same
    held: list[tuple[int, int]] = []
    real = incremental.IncrementalClusterer._window_ahead

    def window_ahead(self, *args):
        real(self, *args)
        read = list(self._read.values())
        held.append((len(read), sum(bool(row[2].text) or any(isinstance(x, str) and x for x in row) for row in read)))

    monkeypatch.setattr(incremental.IncrementalClusterer, "_window_ahead", window_ahead)
    assert _stream(raw_items, 2, size) == one
    assert any(n for n, _ in held), "no batch read its window from the state ahead"
    assert all(texts == 0 for _, texts in held)
