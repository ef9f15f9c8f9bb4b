"""sign-18f (#18): the signing stage's instructions a document, cold and warm (callgrind;
a shared machine's load does not change them). bench/scratch/sign18d_count.py does the
work (`prep`, and `sign` on the first N documents); this adds P passes over them, so that
P=2 minus P=1 counts documents whose tokens and terms the process has met (warm caches).

    python3 bench/scratch/sign18d_count.py prep /tmp/docs.pkl
    OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \\
        python3 bench/scratch/sign18f_count.py CHECKOUT /tmp/docs.pkl N P
    # cold: (Collected at N=600, P=1 - at N=0) / 600; warm: (at N=600, P=2 - at N=600, P=1) / 600

OPENBLAS_NUM_THREADS=1: OpenBLAS's idle threads spin under valgrind (exec_blas), hundreds of
millions of instructions in some runs and not others. The real interpreter's path, not a shim.
"""

from __future__ import annotations

import pickle
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sign18d_count import sign  # noqa: E402


def main() -> None:
    checkout, docs, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    passes = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    with open(docs, "rb") as fh:
        rows = pickle.load(fh)[:n] * passes
    with tempfile.NamedTemporaryFile(suffix=".pkl") as tmp:  # the same for both checkouts
        pickle.dump(rows, tmp)
        tmp.flush()
        sign(checkout, tmp.name, len(rows))


if __name__ == "__main__":
    main()
