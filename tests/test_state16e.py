"""state-16e (#16 point 9): a batch's band rows go into the state once, in key order, after
the copy tier; until then every query of the batch finds the batch's groups through
StateIndex.added, as it found them in the state."""

import numpy as np

from cleaner.api import get_config
from cleaner.dedup.incremental import StateIndex, screen_bytes
from cleaner.store.state import State


def _signature(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)


def _state() -> tuple[State, StateIndex]:
    cfg = get_config(None)
    state = State(":memory:")
    state.begin()
    return state, StateIndex(state, cfg["near"]["lsh_threshold"], cfg["minhash"]["num_perm"])


def _rows(state: State) -> list[tuple[int, int]]:
    return list(state.db.execute("SELECT key, g FROM bands ORDER BY key, g"))


def test_a_group_inserted_is_found_before_its_band_rows_are_written():
    state, index = _state()
    a, b = _signature(1), _signature(2)
    state.add_group(0, f"{0:040x}", "rec-0", 1, 0, None, screen_bytes(a).tobytes())
    state.add_bands(index.bands.band_keys(a), 0)
    before = _rows(state)
    index.look_ahead([_signature(99)])  # a look-ahead's answers wait: the batch's rows wait too
    index.insert(7, b)  # the batch's group: no row in the state yet
    index.insert(8, a)
    assert _rows(state) == before
    assert index.query(b) == {7}  # asked of the state (no look-ahead), plus the batch's own
    assert index.query(a) == {0, 8}
    assert index.matches == {0: (128, 128)}  # screens counted for the state's groups alone, as before
    index.write()
    index.write()  # nothing left: no rows twice
    assert index.query(b) == {7}
    # The same rows as one statement a group gave (main).
    other, other_index = _state()
    other.add_bands(other_index.bands.band_keys(a), 0)
    other.add_bands(other_index.bands.band_keys(b), 7)
    other.add_bands(other_index.bands.band_keys(a), 8)
    assert _rows(state) == _rows(other)
    state.close()
    other.close()


def test_band_rows_are_inserted_in_key_order():
    state, _ = _state()
    state.add_band_rows(np.array([5, 3, 9, 3, 5], dtype=np.int64), np.array([1, 2, 1, 1, 1], dtype=np.int64))
    # In key order: the table's (a WITHOUT ROWID table keeps no insertion order to compare).
    assert _rows(state) == [(3, 1), (3, 2), (5, 1), (9, 1)]
    state.close()



def test_rows_wait_only_while_a_look_ahead_waits():
    """With a look-ahead's answers waiting the rows wait for `write`; without (workers=1),
    they go into the state at once and `added` stays empty (review-15's bound)."""
    state, index = _state()
    a, b = _signature(20), _signature(21)
    index.insert(0, a)
    assert not index.added and len(_rows(state)) == len(index.bands.band_keys(a))
    index.look_ahead([b])
    index.insert(1, b)
    assert len(_rows(state)) == len(index.bands.band_keys(a)) and index.added
    assert index.query(b) == {1}
    index.write()
    assert len(_rows(state)) == 2 * len(index.bands.band_keys(a))
    state.close()
