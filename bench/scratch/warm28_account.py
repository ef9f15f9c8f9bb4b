"""warm-28 (#18 points 2 and 3): what warming the language stage's word cache before the fork
with each language's most common words could gain, counted rather than timed (a run's CPU
moves by more than the effect on this machine).

A run pays langdetect_fast._word_grams once per distinct word a process meets (a cold
`_WORDS`); a warmed cache saves that for each word of the warm list the process meets (a
hit), and costs the list's read-back in the main process (once: forked workers inherit it).
This script counts the distinct words of an input met by one process and by two (the
batches alternated between two caches, as a 2-worker pool roughly splits them), times a
miss (`_word_grams` + insert, min of 5 over every distinct word) and the read-back of
wordfreq's top N words of each profile language (lower case, and with a capitalised form
too) as a pickle and as a marshal (min of 7), and prints gain = hits x miss, net = gain -
read-back, for 1 and 2 workers. Nothing is written.

    PYTHONPATH=CHECKOUT python3 bench/scratch/warm28_account.py INPUT [N ...]
"""

from __future__ import annotations

import marshal
import pickle
import sys
import time
from collections.abc import Callable

import wordfreq

from cleaner.core.config import load_config
from cleaner.exec.local import BATCH, process_batch
from cleaner.input.read import read_input
from cleaner.stages.build import build_stages
from cleaner.stages.language import langdetect_fast as lf

_CODES = {"zh-cn": "zh", "zh-tw": "zh"}  # wordfreq's code for langdetect's two Chinese


def best(fn: Callable[[], object], times: int) -> float:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        spent.append(time.perf_counter() - start)
    return min(spent)


def warm_list(langs: list[str], top: int, capitals: bool, canon: dict[str, str]) -> dict[str, tuple[tuple[str, ...], int]]:
    known = set(wordfreq.available_languages())
    warm: dict[str, tuple[tuple[str, ...], int]] = {}
    for lang in langs:
        code = _CODES.get(lang, lang)
        if code not in known:
            continue
        for word in wordfreq.top_n_list(code, top):
            norm = lf.normalised(word)
            for form in (norm, norm[:1].upper() + norm[1:]) if capitals else (norm,):
                if form and " " not in form and form not in warm:
                    warm[form] = lf._word_grams(form, canon)
    return warm


def main() -> None:
    path, tops = sys.argv[1], [int(n) for n in sys.argv[2:]] or [100, 500, 2000, 5000]
    cfg = load_config(None)
    docs = list(read_input(path, cfg))
    stages = build_stages(cfg).mapped()
    for stage in stages:
        stage.setup()
    factory = next(s for s in stages if s.name == "language")._factory
    canon = lf._canonical(factory.word_lang_prob_map)
    halves: list[set[str]] = [set(), set()]
    for j, k in enumerate(range(0, len(docs), BATCH)):
        lf._WORDS.clear()
        for _ in process_batch(docs[k:k + BATCH], stages, time.process_time):
            pass
        for cache in lf._WORDS.values():
            halves[j % 2] |= cache.keys()
    met = halves[0] | halves[1]
    print(f"{len(docs)} documents; distinct words met: one process {len(met)}, two {len(halves[0])} + {len(halves[1])}")
    words = sorted(met)

    def misses() -> None:
        cache = {}
        for word in words:
            cache[word] = lf._word_grams(word, canon)

    miss = best(misses, 5) / len(words)
    print(f"a miss: {miss * 1e6:.2f} us")
    for top in tops:
        for capitals in (False, True):
            warm = warm_list(factory.langlist, top, capitals, canon)
            pickled, marshalled = pickle.dumps(warm, protocol=5), marshal.dumps(warm)
            t_pickle = best(lambda: pickle.loads(pickled), 7)
            t_marshal = best(lambda: marshal.loads(marshalled), 7)
            read = min(t_pickle, t_marshal)
            hits1 = len(met & warm.keys())
            hits2 = len(halves[0] & warm.keys()) + len(halves[1] & warm.keys())
            print(f"N {top:5d} capitals {capitals!s:5} entries {len(warm):6d} pickle {len(pickled) / 1e6:5.1f} MB "
                  f"{t_pickle * 1e3:6.1f} ms, marshal {t_marshal * 1e3:6.1f} ms | 1 worker: hits {hits1:5d} "
                  f"({hits1 / len(warm):.1%}) gain {hits1 * miss * 1e3:5.1f} ms net {(hits1 * miss - read) * 1e3:+6.1f} | "
                  f"2 workers: hits {hits2:5d} gain {hits2 * miss * 1e3:5.1f} ms net {(hits2 * miss - read) * 1e3:+6.1f}")


if __name__ == "__main__":
    main()
