"""#17 point 3: the copy tier's candidates from band keys grouped (exec/dask_bands.py) give
the leader pass the same candidates as the in-memory BandIndex, hence the same records.
The map and reduce run in this process here; tests/test_dask_engine.py runs them on a
LocalCluster (byte-identical outputs)."""

import sys
from collections import Counter

import numpy as np

from conftest import ROOT
from cleaner.core.config import load_config
from cleaner.dedup.bands import BandIndex
from cleaner.dedup.cluster import cluster
from cleaner.exec.dask_bands import _emit, _group, band_keys, local_candidates
from cleaner.core.document import dump
from cleaner.dedup.ids import make_ids_unique
from cleaner.exec.flow import process_documents
from cleaner.exec.local import LocalExecutor
from cleaner.input.read import read_dicts
from cleaner.stages.build import build_stages
from cleaner.store.memory import MemoryStore

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # noqa: E402


def test_band_keys_are_band_index_keys():
    rng = np.random.default_rng(1)
    index = BandIndex(0.5, 128)
    sigs = rng.integers(0, 2**32, size=(20, 128), dtype=np.uint64).astype(np.uint32)
    keys = band_keys(sigs, index.bands, index.rows)
    assert [row.tolist() for row in keys] == [index._keys(s) for s in sigs]


def test_groups_answer_as_band_tables_do():
    """Documents sharing some bands with a base (not all); at every step of a leader-like
    walk, the GroupIndex returns what BandIndex returns."""
    rng = np.random.default_rng(7)
    index = BandIndex(0.5, 128)
    sigs = []
    for base in rng.integers(0, 2**32, size=(15, 128), dtype=np.uint64).astype(np.uint32):
        sigs.append(base)
        for _ in range(int(rng.integers(0, 6))):
            copy = base.copy()
            mask = rng.random(128) < rng.uniform(0.05, 0.6)
            copy[mask] = rng.integers(0, 2**32, size=int(mask.sum()), dtype=np.uint64).astype(np.uint32)
            sigs.append(copy)

    class Doc:  # what the map reads: ok, and features.near_mh
        ok = True

        def __init__(self, sig):
            self.features = type("F", (), {"near_mh": sig})()

    docs = [Doc(s) for s in sigs]
    cfg = {"near": {"lsh_threshold": 0.5}, "minhash": {"num_perm": 128}}
    groups = local_candidates(docs, cfg, parts=4)
    order = np.random.default_rng(3).permutation(len(docs)).tolist()
    shared = 0
    for step, i in enumerate(order):
        want = index.query(sigs[i])
        got = groups.query(groups.probe(docs[i]))
        assert got == want, step
        shared += bool(want)
        if step % 2 == 0:  # some become canonicals, some do not
            index.insert(step, sigs[i])
            groups.insert(step, groups.probe(docs[i]))
    assert shared > 10  # the walk met candidates, not only empty answers


def test_partitions_do_not_change_the_groups():
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 3, size=(40, 128), dtype=np.uint64).astype(np.uint32)  # many shared keys
    items = list(enumerate(sigs))
    one = _group(*_emit(None, items, 32, 4, 1))
    many = sorted(set().union(*[_group(part) for part in _emit(None, items, 32, 4, 5)]))
    assert one == many and one


def test_records_are_the_same_through_the_groups():
    """Generated near copies (word edits, clutter, cuts), clustered twice on the same
    features: through BandIndex and through the groups. Same records, same bytes."""
    cfg = load_config()
    items = [{"id": it["id"], "text": it["text"]} for it in generate(400, seed=11)]
    docs, _ = process_documents(read_dicts(items), build_stages(cfg), LocalExecutor(), MemoryStore(),
                                Counter(), Counter())
    make_ids_unique(docs)

    def rows(candidates=None):
        records = cluster(docs, cfg, candidates=candidates)
        return [dump(r.to_json()) for r in records]

    plain = rows()
    assert sum(len(r.members) > 1 for r in cluster(docs, cfg)) > 20  # copies were found
    assert rows(local_candidates(docs, cfg)) == plain


def test_templates_counted_in_partitions_decide_as_one_instance(tmp_path):
    """exec/dask_corpus.py's map (slices) and reduce (partitions by key), run here: the same
    table as Templates observing everything at once."""
    from cleaner.core.document import Document
    from cleaner.exec.dask_corpus import _add_counts, _decide_part, _observe, store_keys
    from cleaner.stages.templates import Templates
    from cleaner.store.spool import Spool

    rng = np.random.default_rng(2)
    footers = [f"Footer line number {k} of this outlet" for k in range(6)]
    docs = []
    for i in range(120):
        lines = [f"Story {i} sentence {j} about the harbour" for j in range(3)]
        lines += [f for k, f in enumerate(footers) if rng.random() < 0.2 + 0.15 * k]
        docs.append(Document(id=f"d{i}", source=f"site{i % 3}/d{i}.txt", text="\n".join(lines)))
    whole = Templates(min_docs=3, min_share=0.5)
    for d in docs:
        whole.observe(d)
    whole.decide()
    assert whole.table  # some footers are templates, some not
    with Spool(str(tmp_path)) as store:
        names = {}
        items = [(names.setdefault(f"folder:site{i % 3}", len(names)), store_keys(whole.line_keys(d), store))
                 for i, d in enumerate(docs)]
        for size, parts in ((7, 3), (120, 1), (50, 4)):
            slices = [_observe(store, items[at:at + size], parts, at) for at in range(0, len(items), size)]
            per_source = _add_counts(*[s[0] for s in slices])
            rule = Templates(min_docs=3, min_share=0.5)
            found = {}
            for p in range(parts):
                found.update(_decide_part(rule, per_source, *[s[1][p] for s in slices]))
            assert rule.confirm(found, docs, store) == whole.table, (size, parts)
