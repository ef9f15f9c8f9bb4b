"""sign-18f (#18): CPU of each part of Sign.process over the prepared documents (sign18f_count.py prep).

    python3 bench/scratch/sign18f_parts.py CHECKOUT /tmp/docs18f.pkl [rounds]
"""
from __future__ import annotations

import pickle
import sys
import time


def main() -> None:
    checkout, docs = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    sys.path.insert(0, checkout)
    from cleaner.core.config import load_config
    from cleaner.core.document import Document
    from cleaner.core.text import is_unspaced, nfkc, word_count
    from cleaner.dedup import terms as T
    from cleaner.dedup.shingles import exact_key
    from cleaner.dedup.signatures import token_hashes
    from cleaner.stages.build import build_stages

    stage = build_stages(load_config(None)).sign
    stage.setup()
    with open(docs, "rb") as fh:
        rows = pickle.load(fh)
    ds = [Document(id=i, source=i, text=t, date=d, title=ti, lang=la, removed=r) for i, t, d, ti, la, r in rows]
    texts = [d.text for d in ds]
    pre = [(token_hashes(d.text), is_unspaced(d.text)) for d in ds]
    sal = [T.salient_terms(d.text, d.date, 40, d.title, d.lang) for d in ds]
    nears = [stage.near_shingles(d.text, v, u) for d, (v, u) in zip(ds, pre)]

    def run(name, fn):
        best = None
        for _ in range(rounds):
            t = time.process_time()
            fn()
            e = time.process_time() - t
            best = e if best is None else min(best, e)
        print(f"{name:28s} {best * 1e6 / len(ds):8.1f} us/doc")

    run("process", lambda: [stage.process(d) for d in ds])
    run("salient_terms", lambda: [T.salient_terms(d.text, d.date, 40, d.title, d.lang) for d in ds])
    run("  _TOKENS.findall", lambda: [T._TOKENS.findall(nfkc(t)) for t in texts])
    run("token_hashes(fresh scan)", lambda: [(token_hashes(t), token_hashes("")) for t in texts])
    run("exact_key(fresh scan)", lambda: [(exact_key(t), token_hashes("")) for t in texts])
    run("is_unspaced", lambda: [is_unspaced(t) for t in texts])
    run("near_shingles", lambda: [stage.near_shingles(d.text, v, u) for d, (v, u) in zip(ds, pre)])
    run("near_signature", lambda: [stage.near_signature(n) for n in nears])
    run("story_signature", lambda: [stage.story_signature(s[0]) for s in sal])
    from cleaner.dedup.credits import credited_names
    run("credits", lambda: [credited_names(d) for d in ds])


main()
