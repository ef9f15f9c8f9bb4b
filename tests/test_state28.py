"""state-28 (#16 point 9): what a state's batch holds in its main process through the story
tier's peak. The copy pass's query answers (StateIndex.added and its look-ahead's) are let go
once its band rows are written (StateIndex.done)."""

import numpy as np

from cleaner.api import get_config
from cleaner.dedup.incremental import StateIndex, screen_bytes
from cleaner.store.state import State


def _signature(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)


def test_done_writes_the_batch_s_rows_and_lets_its_answers_go():
    cfg = get_config(None)
    state = State(":memory:")
    state.begin()
    index = StateIndex(state, cfg["near"]["lsh_threshold"], cfg["minhash"]["num_perm"])
    a, b = _signature(1), _signature(2)
    state.add_group(0, f"{0:040x}", "rec-0", 1, 0, None, screen_bytes(a).tobytes())
    state.add_bands(index.bands.band_keys(a), 0)
    index.look_ahead([a, _signature(99)])  # answers kept: the batch's inserts wait in `added`
    index.insert(7, b)
    assert index.added and index.ahead
    index.done()
    assert not index.added and not index.ahead and index.matches == {} and index.queried is None
    # What a query answers after: the same groups, now read from the state.
    assert index.query(b) == {7}
    assert index.query(a) == {0}
    state.close()
