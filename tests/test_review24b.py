"""review-24b: defects found reviewing thru-24 and state-24 (session 24).

- A cache table whose header line is deeply nested brackets (a damaged file: any bytes
  can sit in the user's cache folder) made every run end in a RecursionError traceback at
  its configuration check (bands.optimal_bands reads its table there), run after run until
  the file was deleted by hand: json.loads raises RecursionError, not ValueError. Such a
  file is now refused like any other damaged one, and the value derived.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from cleaner.core import table_cache
from cleaner.dedup import bands, signatures

ROOT = Path(__file__).resolve().parents[1]


def test_a_nested_header_line_is_a_damaged_table(tmp_path, monkeypatch):
    """Fails before: RecursionError out of read_table, for every table's name."""
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path))
    for name in (bands.BANDS_TABLE, signatures.PERMUTATIONS_TABLE):
        table_cache.cache_path(name).write_bytes(b"[" * 200_000 + b"\n")
    bands.optimal_bands.cache_clear()
    signatures.permutations.cache_clear()
    try:
        assert bands.optimal_bands(0.5, 128) == bands.derived_bands(0.5, 128)
        a, b = signatures.drawn_permutations(128, 1)
        got = signatures.permutations(128, 1)
        assert np.array_equal(got[1], a) and np.array_equal(got[2], b)
        # ... and written over: the next process reads the derived values back
        assert table_cache.cache_path(bands.BANDS_TABLE).read_bytes()[:1] == b"{"
    finally:
        bands.optimal_bands.cache_clear()
        signatures.permutations.cache_clear()


def test_a_nested_bands_body_is_not_used(tmp_path, monkeypatch):
    """Fails before: a whole table (its digest right) whose JSON is nested too deep raised
    RecursionError out of optimal_bands."""
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path))
    stamp = f"numpy {np.__version__} {table_cache.code_stamp(bands.__file__)}"
    table_cache.write_table(bands.BANDS_TABLE, stamp, {}, [b"[" * 200_000])
    bands.optimal_bands.cache_clear()
    try:
        assert bands.optimal_bands(0.5, 128) == bands.derived_bands(0.5, 128)
    finally:
        bands.optimal_bands.cache_clear()


def test_processes_writing_the_tables_at_once_get_derived_values(tmp_path):
    """Checked with no defect: six processes asking different (threshold, num_perm, seed) of
    one empty cache folder at once, twice over: each gets the derived values, and the folder
    is left with the two tables, whole, and no temporary file."""
    code = ("import sys, json; from cleaner.dedup import bands, signatures as s; k = int(sys.argv[1]); "
            "t = (k + 1) / 10; p = s.permutations(64 + 8 * k, k); "
            "print(json.dumps([bands.optimal_bands(t, 128), bands.optimal_bands(t, 64), "
            "p[1].tolist(), p[2].tolist()]))")
    env = dict(os.environ, CLEANER_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    for _ in range(2):
        procs = [subprocess.Popen([sys.executable, "-c", code, str(k)], env=env, stdout=subprocess.PIPE, text=True)
                 for k in range(6)]
        for k, proc in enumerate(procs):
            out, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0
            got = json.loads(out)
            t = (k + 1) / 10
            a, b = signatures.drawn_permutations(64 + 8 * k, k)
            assert got == [list(bands.derived_bands(t, 128)), list(bands.derived_bands(t, 64)), a.tolist(), b.tolist()]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        table_cache.cache_path(n).name for n in (bands.BANDS_TABLE, signatures.PERMUTATIONS_TABLE))
