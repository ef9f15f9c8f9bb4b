"""state-29 (#16 point 9): a state's batch makes the story tier's weighted terms (DocTerms) on
the forked children that count the edges, never in the main process (ForkedStories `apart`),
and lets the window's state canonicals' term lines and their words go once the children are
forked with them (`let_go`): the main process's peak against 50,000 documents ~155 -> ~151
MiB, with the same rows."""

import os

from cleaner.dedup import cluster, incremental
from cleaner.dedup.cluster import CANONICAL, Member, Record, story_links
from cleaner.exec import forked

from test_state20 import _trap_shared
from test_state24 import _stream
from test_state25 import kept_stream
from test_state_forked import raw_items  # noqa: F401  (a fixture)


def _groups():
    cfg, (docs, weights, _) = _trap_shared()
    groups = [Record([Member(d, CANONICAL, 1.0, 1.0, reason="starts the record")], key=d.id) for d in docs]
    return cfg, groups


def _counting(monkeypatch):
    """cluster.doc_terms, counting its calls in this process (a forked child counts its own)."""
    here = os.getpid()
    calls = [0]
    real = cluster.doc_terms

    def doc_terms(doc, weigh):
        if os.getpid() == here:
            calls[0] += 1
        return real(doc, weigh)

    monkeypatch.setattr(cluster, "doc_terms", doc_terms)
    return calls


def test_the_children_make_the_weights_the_caller_never_holds(monkeypatch):
    """apart: story_links hands the runner an empty weights list that each forked child fills
    with the same DocTerms; no doc_terms call in this process, the clusters one process gives."""
    if not forked.can_fork():
        return
    cfg, groups = _groups()
    alone, _, _, weights = story_links(groups, cfg)
    assert len(weights) == len(groups) > 0
    monkeypatch.setattr(forked, "MIN_ROWS", 1)
    calls = _counting(monkeypatch)
    clusters, edges, _, made = story_links(groups, cfg, forked.ForkedStories(2, edges=False, forget=True, apart=True))
    assert clusters == alone and edges == {}
    assert made == [] and calls[0] == 0
    assert forked._weighing is None  # released with the pool


def test_without_children_the_weights_are_made_here(monkeypatch):
    """apart with too few rows to fork (MIN_ROWS), or one worker: made here, as without it."""
    cfg, groups = _groups()
    alone, _, _, weights = story_links(groups, cfg)
    calls = _counting(monkeypatch)
    for runner in (forked.ForkedStories(2, edges=False, forget=True, apart=True),
                   forked.ForkedStories(1, edges=False, forget=True, apart=True)):
        clusters, _, _, made = story_links(groups, cfg, runner)
        assert clusters == alone and len(made) == len(weights)
    assert calls[0] == 2 * len(groups) - 2 * sum(w is cluster.UNLINKED for w in weights)


def test_let_go_runs_once_the_children_are_forked(monkeypatch):
    """let_go: called once, after the fork (the children read what it empties here)."""
    if not forked.can_fork():
        return
    cfg, groups = _groups()
    alone = story_links(groups, cfg)[0]
    monkeypatch.setattr(forked, "MIN_ROWS", 1)
    went: list[int] = []

    def let_go():
        went.append(runner._pool is not None)
        for g in groups:
            g.canonical.features.line_words = b""
            g.canonical.features.term_lines = b""

    runner = forked.ForkedStories(2, edges=False, forget=True, apart=True, let_go=let_go)
    assert story_links(groups, cfg, runner)[0] == alone
    assert went == [True]


def test_a_states_batch_lets_its_window_canonicals_lines_go_with_the_same_rows(raw_items, monkeypatch):  # noqa: F811
    """A stream's later batches: the story tier's children make the weights, and the state's
    canonicals of the window hold no term lines once they are forked; the rows, events and
    tables are those of the same stream whose runner makes and keeps them here."""
    if not forked.can_fork():
        return
    size, before = kept_stream(raw_items, monkeypatch)
    seen: list[tuple[int, int]] = []
    real_links = incremental.story_links

    def links(records, cfg, runner=None):
        restored = [r.canonical.features for r in records if not r.canonical.text]
        found = real_links(records, cfg, runner)
        assert runner is not None and runner.apart and found[3] == []
        seen.append((len(restored), sum(bool(f.line_words) or bool(f.term_lines) for f in restored)))
        return found

    monkeypatch.setattr(incremental, "story_links", links)
    assert _stream(raw_items, 2, size) == before
    assert any(n for n, _ in seen) and all(left == 0 for _, left in seen)
