"""thru-18m: the copy tier's candidates three ways on random signatures (lsh 0.2, 128
permutations), CPU seconds: exec/dask_bands.band_groups, local_candidates, and a BandIndex
queried and filled with every signature; with --memory, tracemalloc's peak of the first two
(slow: tracemalloc's own cost inflates their CPU).

    python3 bench/scratch/thru18m_groups.py [--memory]
"""
import sys
import time
import tracemalloc

import numpy as np

from cleaner.dedup.bands import BandIndex
from cleaner.exec.dask_bands import band_groups, local_candidates


class Doc:
    ok = True

    def __init__(self, signature: np.ndarray) -> None:
        self.features = type("F", (), {"near_mh": signature})()


memory = "--memory" in sys.argv
rng = np.random.default_rng(1)
cfg = {"near": {"lsh_threshold": 0.2}, "minhash": {"num_perm": 128}}
for n, share in ((3000, 0.3), (50000, 0.5), (50000, 0.05)):
    sigs = rng.integers(0, 2**32, size=(n, 128), dtype=np.uint64).astype(np.uint32)
    k = int(n * share)
    sigs[n - k:] = sigs[:k]  # `share` of the documents copy another exactly
    docs = [Doc(s) for s in sigs]
    for fn in (band_groups, local_candidates):
        if memory:
            tracemalloc.start()
        start = time.process_time()
        fn(docs, cfg)
        cpu = time.process_time() - start
        peak = ""
        if memory:
            peak = f" peak {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB"
            tracemalloc.stop()
        print(f"{n} docs, {share:.0%} copies: {fn.__name__} {cpu:.3f} s{peak}")
    index = BandIndex(0.2, 128)
    start = time.process_time()
    for i, s in enumerate(sigs):
        index.query(s)
        index.insert(i, s)
    print(f"{n} docs, {share:.0%} copies: BandIndex query + insert {time.process_time() - start:.3f} s")
