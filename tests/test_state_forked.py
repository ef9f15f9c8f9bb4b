"""A state's batch on the workers' cores (exec/forked.py, #16 point 9): the story tier's
window texts signed again and its two steps on forked processes give the same rows,
events and state as one process does."""

import pytest

from cleaner import Deduplicator
from cleaner.exec import forked

from test_state_rows import TABLES


@pytest.fixture(scope="module")
def raw_items(raw_run):
    rows = [d.to_json() for d in raw_run.documents]
    return sorted(({k: r[k] for k in ("id", "text", "title", "date", "url", "site")} for r in rows
                   if r["status"] != "rejected"), key=lambda i: (i["date"] or "", i["id"]))


def _stream(items, workers, batch_size):
    with Deduplicator(batch_size=batch_size, workers=workers) as dedup:
        rows = list(dedup.add(items))
        tables = {name: dedup._state.db.execute(sql).fetchall() for name, sql in TABLES.items()}
        # A slim copy made in a worker process pickles equal strings apart that one process
        # shares (pickle's memo): compare what the rows hold, not their bytes.
        packer = dedup._state.packer
        tables["docs"] = [(n, i, g, b, d, packer.unpack(m), packer.unpack_doc(doc, i), packer.unpack_text(t))
                          for n, i, g, b, d, m, doc, t in tables["docs"]]
        return rows, dedup.events, tables


@pytest.mark.skipif(not forked.can_fork(), reason="no fork here")
def test_a_batch_on_forked_processes_gives_what_one_process_gives(raw_items, monkeypatch):
    size = -(-len(raw_items) // 3)
    one = _stream(raw_items, 1, size)
    pools = []
    real = forked._forked_pool  # every pool (forked_pool's, and a batch's signing children, forked.Helpers)

    def counted(workers, given, children):
        pools.append(type(given).__name__)
        return real(workers, given, children)

    monkeypatch.setattr(forked, "_forked_pool", counted)
    monkeypatch.setattr(forked, "MIN_TEXTS", 1)  # every step on the pool, however small
    monkeypatch.setattr(forked, "MIN_ROWS", 1)
    monkeypatch.setattr(forked, "SLICE", 7)  # several slices and runs a step
    monkeypatch.setattr(forked, "RUN", 16)
    two = _stream(raw_items, 2, size)
    # Later batches sign the window's texts again (Sign) and link on the pool (a tuple: reps, weights, story).
    assert "Sign" in pools and "tuple" in pools, pools
    assert two[0] == one[0]
    assert two[1] == one[1]
    assert two[2] == one[2]
