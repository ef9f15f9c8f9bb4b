"""The language stage's parts timed alone (CPU, warm) over the documents of a JSONL file after
boilerplate: python3 bench/scratch/perdoc18_lang.py IN.jsonl [rounds]."""
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
from cleaner.core.text import LETTER_RUN, count_of  # noqa: E402
from cleaner.stages.language import detect as dt, langdetect_fast as lf  # noqa: E402


def main() -> None:
    items = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    built = build_stages(load_config(None))
    stages = built.per_document[:2]
    lang = built.per_document[2]
    for s in built.per_document:
        s.setup()
    docs = [d for d, _ in process_batch(list(read_dicts(items)), stages)]
    samples = [d.text[:lang.sample_chars] for d in docs]
    t0 = time.process_time()
    for d in docs:
        lang.process(d)
    print(f"cold language.process {(time.process_time() - t0) / len(docs) * 1e6:.1f} us/doc")

    def dets():
        out = []
        for s in samples:
            det = lang._detector(s)
            out.append(det)
        return out

    appended = dets()
    for det in appended:
        det.cleaning_text()
    ngr = [det._extract_ngrams() for det in appended]
    parts = {
        "process": lambda: [lang.process(d) for d in docs],
        "letters": lambda: [count_of(LETTER_RUN, s) for s in samples],
        "script_language": lambda: [dt.script_language(s, 400) for s in samples],
        "detector+append": dets,
        "cleaning_text": lambda: [det.cleaning_text() for det in appended],
        "_extract_ngrams": lambda: [det._extract_ngrams() for det in appended],
        "_one_trial": lambda: [det._one_trial(g) for det, g in zip(appended, ngr)],
    }
    res = {k: [] for k in parts}
    for _ in range(rounds):
        for k, f in parts.items():
            t0 = time.process_time()
            f()
            res[k].append((time.process_time() - t0) / len(docs) * 1e6)
    for k, v in res.items():
        print(f"{k:24s} median {statistics.median(v):8.1f} us/doc  {[round(x, 1) for x in v]}")
    words = set()
    for det in appended:
        words.update(w for w in det.text.translate(lf._NORMALISE).split(" ") if w)
    canon = lf._canonical(lang._factory.word_lang_prob_map)
    t0 = time.process_time()
    for w in words:
        lf._word_grams(w, canon)
    print(f"_word_grams over {len(words)} distinct words: {(time.process_time() - t0) * 1e6 / len(words):.2f} us each")


if __name__ == "__main__":
    main()
