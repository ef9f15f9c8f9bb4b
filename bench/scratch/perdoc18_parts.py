"""Each part of the per-document stages timed alone (CPU), over the documents of a JSONL
file after extract/boilerplate/language: python3 bench/scratch/perdoc18_parts.py IN.jsonl [rounds]."""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cleaner.core.config import load_config  # noqa: E402
from cleaner.exec.local import process_batch  # noqa: E402
from cleaner.input.read import read_dicts  # noqa: E402
from cleaner.stages.build import build_stages  # noqa: E402
from cleaner.dedup import signatures as sg, terms as tm, shingles as sh  # noqa: E402
from cleaner.dedup.credits import credited_names  # noqa: E402
from cleaner.core import text as tx  # noqa: E402


def main() -> None:
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    items = [json.loads(line) for line in open(path, encoding="utf-8")]
    built = build_stages(load_config(None))
    stages = [*built.per_document]
    for s in [*stages, built.sign]:
        s.setup()
    docs = [d for d, _ in process_batch(list(read_dicts(items)), stages)]
    sign = built.sign
    texts = [d.text for d in docs]
    salient_args = [(d.text, d.date, sign.lead_words, d.title, d.lang) for d in docs]

    values = [sg.token_hashes(t) for t in texts]
    nears = [sign.near_shingles(t, v, False) for t, v in zip(texts, values)]
    termss = [tm.salient_terms(*a)[0] for a in salient_args]
    packs = []
    orig = tm.pack_line_words
    tm.pack_line_words = lambda lines, tl, normalized=False: (packs.append((lines, tl)), orig(lines, tl, normalized))[1]
    for a in salient_args:
        tm.salient_terms(*a)
    tm.pack_line_words = orig

    def clear():
        sg._scan.cache_clear()

    parts = {
        "sign.process": lambda: [sign.process(d) for d in docs],
        "token_hashes": lambda: [(clear(), sg.token_hashes(t)) for t in texts],
        "exact_key(cold scan)": lambda: [(clear(), sh.exact_key(t)) for t in texts],
        "is_unspaced": lambda: [tx.is_unspaced(t) for t in texts],
        "salient_terms": lambda: [tm.salient_terms(*a) for a in salient_args],
        "_TOKENS.findall": lambda: [tm._TOKENS_FAST.findall(t) for t in texts],
        "credited_names": lambda: [credited_names(d) for d in docs],
        "nfkc": lambda: [tx.nfkc(t) for t in texts],
        "near_shingles": lambda: [sign.near_shingles(t, v, False) for t, v in zip(texts, values)],
        "near_signature": lambda: [sign.near_signature(n) for n in nears],
        "story_signature": lambda: [sign.story_signature(t) for t in termss],
        "pack_line_words": lambda: [tm.pack_line_words(*a, normalized=True) for a in packs],
    }
    res: dict[str, list[float]] = {k: [] for k in parts}
    for _ in range(rounds):
        for k, f in parts.items():
            clear()
            t0 = time.process_time()
            f()
            res[k].append((time.process_time() - t0) / len(docs) * 1e6)
    for k, v in res.items():
        print(f"{k:24s} median {statistics.median(v):8.1f} us/doc  {[round(x, 1) for x in v]}")


if __name__ == "__main__":
    main()
