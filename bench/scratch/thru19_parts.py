"""thru-19 (#18): the two changed parts against the code before, in one process, alternated
pass by pass (the same load for both), over the references bench's 3,000 documents after
extract, boilerplate and language (bench/scratch/sign18d_count.py prep writes them):

    python3 bench/scratch/sign18d_count.py prep /tmp/docs.pkl
    PYTHONPATH=CHECKOUT python3 bench/scratch/thru19_parts.py /tmp/docs.pkl [passes]

- token values: signatures._span_batch (before) against _span_prefix, on each document's
  word characters and token lengths as token_hashes hands them over;
- the term scan: the token pattern before (written out) against terms._TOKENS_FAST, on
  each document's text as salient_terms scans it.
Prints each one's best and median µs a document.
"""

from __future__ import annotations

import pickle
import re
import statistics
import sys
import time

import numpy as np

from cleaner.core.text import WORD_CLASS, nfkc
from cleaner.dedup import signatures, terms

BEFORE = re.compile((r"(?<=[.!?。！？])\s++|\n++|\d++(?:[.,:/-]\d++)*+|" + WORD_CLASS + r"++(?:[-'’]" + WORD_CLASS
                     + r"++)*+").replace(WORD_CLASS, r"\w"), re.UNICODE)


def main() -> None:
    with open(sys.argv[1], "rb") as fh:
        rows = pickle.load(fh)
    passes = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    texts = [nfkc(title + "\n" + text if title and not text.startswith(title) else text)
             for _, text, _, title, _, _ in rows]
    spans = []
    for _, text, *_ in rows:
        cps, flags = signatures._scan(text)
        edges = np.flatnonzero(flags[1:] != flags[:-1])
        spans.append((cps[flags[1:-1]], edges[1::2] - edges[::2]))
    for chars, lengths in spans:
        assert np.array_equal(signatures._span_prefix(chars, lengths), signatures._span_batch(chars, lengths))
    plain = [t for t in texts if "_" not in t]
    for t in plain:
        assert BEFORE.findall(t) == terms._TOKENS_FAST.findall(t)
    parts = {
        "token values, before (_span_batch)": lambda: [signatures._span_batch(c, n) for c, n in spans],
        "token values, prefix sums": lambda: [signatures._span_prefix(c, n) for c, n in spans],
        "term scan, pattern before": lambda: [BEFORE.findall(t) for t in plain],
        "term scan, _TOKENS_FAST": lambda: [terms._TOKENS_FAST.findall(t) for t in plain],
    }
    got: dict[str, list[float]] = {name: [] for name in parts}
    for p in range(passes):
        for name, fn in (parts.items() if p % 2 == 0 else reversed(parts.items())):
            start = time.process_time()
            fn()
            got[name].append((time.process_time() - start) * 1e6 / len(rows))
    for name, times in got.items():
        print(f"{name:38s} best {min(times):7.1f}  median {statistics.median(times):7.1f} µs a document")


if __name__ == "__main__":
    main()
