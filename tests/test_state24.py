"""state-24 (#16 point 9): the story tier's peak in a state's batch, which grew with the
story window, made smaller with the same rows: the window's canonicals read from the state
are held without their texts once signed; a forked story tier sends no edges back to a
caller that reads the clusters alone, and takes each component's edges as arrays; the free
pages are handed back to the system just before the tier starts."""

from cleaner import Deduplicator
from cleaner.dedup import incremental
from cleaner.exec import forked

from test_state20 import _trap_shared
from test_state_forked import raw_items  # noqa: F401  (a fixture)
from test_state_rows import TABLES


def test_edge_parts_are_the_edges_story_components_gives():
    """A component's edges as arrays (EdgeParts) give the dict story_components gives, in
    its order, its pairs in that order, and their count; link_components reads either."""
    from cleaner.dedup.stories import EdgeParts, as_edges, link_components, story_components, story_edges

    _, shared = _trap_shared()
    story = shared[2]
    left, right, sims = story_edges(shared)
    plain = list(story_components(len(shared[0]), left, right, sims, story["threshold"]))
    parts = list(story_components(len(shared[0]), left, right, sims, story["threshold"], parts=True))
    assert plain and len(parts) == len(plain)
    for (nodes, edges), (part_nodes, part) in zip(plain, parts):
        assert isinstance(part, EdgeParts)
        assert part_nodes == nodes and len(part) == len(edges)
        assert repr(list(as_edges(part).items())) == repr(list(edges.items()))  # NaN: not measured yet
        assert list(part) == list(edges)
    assert repr(link_components(shared, parts)) == repr(link_components(shared, plain))


def test_a_component_is_given_the_wording_of_its_edges_either_way():
    """_wording_of, by the component's edges or (more edges than pairs known) by the known
    pairs inside it: the same wording for each of its edges."""
    from cleaner.dedup.stories import story_components, story_edges

    _, shared = _trap_shared()
    story = shared[2]
    known: dict = {}
    left, right, sims = story_edges(shared, wording=known)
    assert known, "the trap set shares wording"
    for nodes, edges in story_components(len(shared[0]), left, right, sims, story["threshold"], parts=True):
        by_edges = {e: known[e] for e in edges if e in known}
        given = forked._wording_of(known, nodes, edges)
        assert {e: given[e] for e in edges if e in given} == by_edges
        inside = set(nodes)
        assert all(i in inside and j in inside for i, j in given)
        # and the branch that walks the known pairs, forced:
        few = dict(list(known.items())[:1])
        walked = forked._wording_of(few, nodes, edges) if len(edges) > len(few) else None
        if walked is not None:
            assert {e: walked[e] for e in edges if e in walked} == {e: few[e] for e in edges if e in few}


def test_forked_stories_without_edges_give_the_same_clusters(monkeypatch):
    """ForkedStories(edges=False): the clusters one process gives, and no edges sent back
    (a state's batch reads the clusters alone)."""
    from cleaner.dedup.stories import link_stories

    if not forked.can_fork():
        return
    cfg, (docs, weights, _) = _trap_shared()
    monkeypatch.setattr(forked, "MIN_ROWS", 1)  # the trap set is small: fork all the same
    alone = link_stories(docs, cfg, weights)
    assert alone[1]
    clusters, edges = link_stories(docs, cfg, weights, forked.ForkedStories(2, edges=False))
    assert clusters == alone[0]
    assert edges == {}


def _stream(items, workers, batch_size):
    with Deduplicator(batch_size=batch_size, workers=workers) as dedup:
        rows = list(dedup.add(items))
        tables = {name: dedup._state.db.execute(sql).fetchall() for name, sql in TABLES.items()}
        return rows, dedup.events, tables


def test_the_story_tier_holds_no_state_canonical_text_and_starts_after_the_trim(raw_items, monkeypatch):  # noqa: F811
    """In a later batch, the story tier gets the window's canonicals read from the state
    without their texts (their terms and lines' words signed), after the free pages were
    handed back; the rows, events and tables are those of the same stream unwatched (that
    they are 827318b's, which kept the texts: the 200k probe's hashes, state-24's notes)."""
    size = -(-len(raw_items) // 3)
    before = _stream(raw_items, 2, size)
    seen: list[tuple[int, int]] = []
    order: list[str] = []
    real_links, real_trim = incremental.story_links, incremental.release_free_memory

    def story_links(records, cfg, runner=None):
        restored = [r.canonical for r in records if not r.canonical.text]
        order.append("story" if restored else "story, nothing read")
        seen.append((len(restored), len(records)))
        for doc in restored:
            assert doc.features.terms is not None
        return real_links(records, cfg, runner)

    def trim():
        order.append("trim")
        real_trim()

    monkeypatch.setattr(incremental, "story_links", story_links)
    monkeypatch.setattr(incremental, "release_free_memory", trim)
    after = _stream(raw_items, 2, size)
    assert after == before
    assert any(without for without, _ in seen[1:]), "no later batch's window read a canonical from the state"
    assert "story" in order
    assert all(order[k - 1] == "trim" for k, step in enumerate(order) if step == "story")
