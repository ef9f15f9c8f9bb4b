"""The story tier's window against a state (#16 points 5 and 9): a batch is compared with
the groups in the window only, a record's older groups included. A record that keeps
growing (a story told for months) must not make each batch read all of it."""

from cleaner import Deduplicator
from cleaner.core.config import config_from_dict
from cleaner.dedup.incremental import IncrementalClusterer
from cleaner.store.state import State

# One story told three times, each retelling in other words (no copy of another): on
# 4 March, 20 March (16 days later: the first's window) and 15 April (26 days after the
# second, 42 after the first: outside the first's 30-day window).
FIRST = ("Crews in the harbour town of Vilanova de Marzal worked through Tuesday night as the "
         "Zorrilla warehouse fire spread to two depots, mayor Ines Arrabal said.")
SECOND = ("The Zorrilla warehouse fire in Vilanova de Marzal reached two depots overnight; mayor Ines "
          "Arrabal thanked the crews who fought it until dawn on Wednesday.")
THIRD = ("Mayor Ines Arrabal said Vilanova de Marzal will rebuild the two depots the Zorrilla warehouse "
         "fire destroyed, and thanked the harbour crews again.")


def test_a_records_groups_outside_the_window_are_not_read_and_a_retelling_inside_it_joins(monkeypatch):
    windows: list[list[int]] = []  # the groups each batch's story window loaded
    read: list[list[int]] = []  # the document rows each batch's story tier read from the state
    story = [False]
    window, link, doc = IncrementalClusterer._window, IncrementalClusterer._link_stories, State.doc

    def seen_window(self, *args, **kwargs):
        found = window(self, *args, **kwargs)
        windows.append(found)
        return found

    def story_tier(self, *args, **kwargs):  # not the copy tier, which compares with every group
        story[0] = True
        try:
            return link(self, *args, **kwargs)
        finally:
            story[0] = False

    def seen_doc(self, n):
        if story[0]:
            read[-1].append(n)
        return doc(self, n)

    monkeypatch.setattr(IncrementalClusterer, "_window", seen_window)
    monkeypatch.setattr(IncrementalClusterer, "_link_stories", story_tier)
    monkeypatch.setattr(State, "doc", seen_doc)
    # The last batch before this one only (the default 10 would hold all three batches).
    cfg = config_from_dict({"story": {"window_batches": 1}})
    rows = []
    with Deduplicator(config=cfg, batch_size=1) as dedup:
        for n, (text, day) in enumerate(((FIRST, "2025-03-04"), (SECOND, "2025-03-20"), (THIRD, "2025-04-15"))):
            read.append([])
            (row,) = dedup.add([{"id": f"d{n}", "text": text, "date": day}])
            rows.append(row)
    # One record: the second retelling joined the first, the third joined them through the
    # second, the one group of the record inside its window.
    assert len({r["record_id"] for r in rows}) == 1, rows
    # Group 0 (the first telling, 4 March, batch 1) is the record's, outside the third
    # batch's window: neither in its window nor read back; group 1 (20 March) is.
    assert windows[1] == [0, 1]
    assert windows[2] == [1, 2]
    assert read[1] == [1]  # group 0's canonical (document row 1), in the second batch's window
    assert read[2] == [2]  # not in the third's: group 1's canonical alone
