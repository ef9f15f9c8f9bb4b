"""review-20: defects found reviewing session 19 and attacking the product as a new user.

Each test failed before its fix.
"""

from __future__ import annotations

import sys

import numpy as np

from cleaner.dedup import signatures


def test_prefix_power_tables_are_never_seen_half_grown():
    """A Dask worker may run tasks in threads (dedup/stories.py keeps per-thread slots for
    it). _prefix_powers grew its two tables in two stores: a thread switch between them let
    another thread's text read the new P^t table with the old, shorter P^-t one (IndexError,
    so a document rejected as "internal error" depending on timing). Here the other thread's
    call is made at one bytecode of a growing call (a trace function), each in turn, so every
    switch point is tried."""
    rng = np.random.default_rng(3)
    chars = rng.integers(0, 0x110000, 3000, dtype=np.uint32)
    lengths = np.array([1000, 1500, 500])
    want = signatures._span_batch(chars, lengths)
    failures: list[str] = []

    def other_thread() -> None:
        try:
            got = signatures._span_prefix(chars, lengths)
        except Exception as exc:  # noqa: BLE001 - what the other thread would meet
            failures.append(f"{type(exc).__name__}: {exc}")
        else:
            if not np.array_equal(got, want):
                failures.append("other values")

    def grow_with_a_switch_at(k: int) -> bool:
        """Grow the tables from 1,024 to 4,096 with the other thread's call made once,
        at the k-th bytecode of the growing call; whether there was a k-th."""
        seen = 0

        def opcodes(frame, event, arg):  # type: ignore[no-untyped-def]
            nonlocal seen
            if event == "opcode":
                seen += 1
                if seen == k:
                    other_thread()
            return opcodes

        def calls(frame, event, arg):  # type: ignore[no-untyped-def]
            if frame.f_code is signatures._prefix_powers.__code__:
                frame.f_trace_opcodes = True
                return opcodes
            return None

        signatures._PREFIX.clear()
        signatures._prefix_powers(1024)
        before = sys.gettrace()  # a coverage tool's, if any
        sys.settrace(calls)
        try:
            signatures._prefix_powers(4096)
        finally:
            sys.settrace(before)
        return seen >= k

    k = 1
    while grow_with_a_switch_at(k):
        k += 1
    assert k > 20  # the growing call was traced
    assert not failures, failures[:3]
    assert np.array_equal(signatures._span_prefix(chars, lengths), want)
