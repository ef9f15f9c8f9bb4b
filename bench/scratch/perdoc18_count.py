"""perdoc-18 (#18): the per-document stages' cost in instructions (load does not change them).

    OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.N.out \\
        $(python3 -c 'import sys; print(sys.executable)') bench/scratch/perdoc18_count.py CHECKOUT IN.jsonl N
    # instructions a document: (Collected at N - Collected at 0) / N, for each checkout;
    # each stage's: callgrind_annotate --inclusive=yes, the stage's process() line

Builds CHECKOUT's stages (a main export or the branch), sets them up, and runs extract,
boilerplate, language and signatures over the first N documents of IN.jsonl a stage at a time
in batches of 64 (exec/local.process_batch), from cold caches (as a worker starts)."""

from __future__ import annotations

import json
import sys


def main() -> None:
    checkout, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.path.insert(0, checkout)
    from cleaner.core.config import load_config
    from cleaner.exec.local import process_batch
    from cleaner.input.read import read_dicts
    from cleaner.stages.build import build_stages

    built = build_stages(load_config(None))
    stages = [*built.per_document, built.sign]
    for stage in stages:
        stage.setup()
    items = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if len(items) >= n:
                break
            items.append(json.loads(line))
    docs = list(read_dicts(items))
    for i in range(0, len(docs), 64):
        process_batch(docs[i:i + 64], stages)


if __name__ == "__main__":
    main()
