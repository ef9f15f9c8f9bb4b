"""sign-18f (#18): the signing stage's cost in instructions, which a shared machine's load
does not change (CPU seconds did, by more than the difference measured).

    python3 bench/scratch/sign18f_count.py prep /tmp/docs.pkl          # once: 3,000 lingua documents
                                                                      # through extract, boilerplate, language
    OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.N.out \\
        python3 bench/scratch/sign18f_count.py sign CHECKOUT /tmp/docs.pkl N   # N = 0 and 600; a 5th argument P: the N documents P times (P=2 minus P=1: warm caches)
    # instructions a document: (Collected at N - Collected at 0) / N, for each checkout

`sign` builds the stages of CHECKOUT (a main export or the branch) and runs `Sign.process` on
the first N documents; N = 0 measures imports and setup alone, to subtract. The documents are
the references bench's corpus (rules_bench.lingua_docs: 25 sentences, 6 languages, seed 12).
Use the real interpreter's path under valgrind (a pyenv shim is a shell script).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent.parent


def prep(out: str) -> None:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE / "bench"))
    from rules_bench import DATA, lingua_docs

    from cleaner.core.config import load_config
    from cleaner.input.read import read_dicts
    from cleaner.stages.build import build_stages

    built = build_stages(load_config(None))
    for stage in built.per_document:
        stage.setup()
    docs = list(read_dicts(lingua_docs(DATA, 3000)))
    for stage in built.per_document:
        docs = [stage.process(d) for d in docs]
    with open(out, "wb") as fh:
        pickle.dump([(d.id, d.text, d.date, d.title, d.lang, d.removed) for d in docs], fh)
    print(f"{len(docs)} documents: {out}")


def sign(checkout: str, docs: str, n: int, passes: int = 1) -> None:
    sys.path.insert(0, checkout)
    from cleaner.core.config import load_config
    from cleaner.core.document import Document
    from cleaner.stages.build import build_stages

    stage = build_stages(load_config(None)).sign
    stage.setup()
    with open(docs, "rb") as fh:
        rows = pickle.load(fh)[:n] * passes
    for i, text, date, title, lang, removed in rows:
        stage.process(Document(id=i, source=i, text=text, date=date, title=title, lang=lang, removed=removed))


if __name__ == "__main__":
    if sys.argv[1] == "prep":
        prep(sys.argv[2])
    else:
        sign(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 1)
