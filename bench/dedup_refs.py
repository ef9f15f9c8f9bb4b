"""The dedup systems bench/throughput_bench.py measures cleaner against (issue #14), each
timed on the same documents in one run, each returning the groups it formed so the bench
can count how many known copies it found.

- strong: the honest pure-Python baseline, one process: langdetect on the first 1,000
  characters, datasketch `MinHash.bulk` over every document's word 5-gram set at once,
  `MinHashLSH` (128 permutations, 16 bands of 8), union-find over the LSH candidates.
- rensa: the same shingles, rensa's Rust `RMinHash.from_token_sets` (all documents in
  one call) and `RMinHashLSH` (16 bands of 8), union-find. No language detection.
- rensa + langdetect: the strong reference's pipeline with rensa's MinHash and LSH in place
  of datasketch's: langdetect on the first 1,000 characters, then rensa as above; one
  process. The strongest simple pipeline #18 point 1 asks cleaner to beat.
- datatrove: its four MinHash dedup steps (signatures, buckets, cluster, filter) with a
  `LocalPipelineExecutor` (one worker) into a temporary folder, its defaults (5-grams,
  14 buckets of 8 hashes). No language detection.
- naive: langdetect on the whole text, one `MinHash.update` call per shingle, MinHashLSH:
  what a first version would write. Kept only to show the gap; it is not a fair baseline.

rensa and datatrove are optional (`python3 -m pip install -e '.[bench]'`); a reference
that cannot be imported or run returns `{"skipped": why}` instead of figures, never raises.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from pathlib import Path

_WORD = re.compile(r"\w+")
# LSH banding for strong, rensa and naive alike: 16 bands of 8 rows (candidates from
# Jaccard ~0.71, like datatrove's 14 x 8), so their recall differs only by chance, not by
# settings. datasketch's own choice for threshold 0.8 (9 x 13) missed 20 of 168 copies in a
# 600-document trial of this corpus.
_BANDS = (16, 8)


def shingle_sets(texts: list[str], n: int = 5) -> list[set[str]]:
    """Word n-grams of lower-cased \\w+ tokens: the usual dedup shingles, built the same way
    for strong and rensa so that only the MinHash and LSH code differ between them."""
    out = []
    for text in texts:
        words = _WORD.findall(text.lower())
        out.append({" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))})
    return out


def _groups(n: int, pairs) -> list[int]:
    """Union-find (path halving) over index pairs; each index's root."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(n)]


def _languages(texts: list[str]) -> list[str]:
    """langdetect on each text's first 1,000 characters, seeded (it is random without a
    seed): the language step of strong and rensa + langdetect alike."""
    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0
    return [detect(t[:1000]) for t in texts]


def strong(items: list[dict]) -> dict:
    from datasketch import MinHash, MinHashLSH

    texts = [i["text"] for i in items]
    start = time.perf_counter()
    langs = _languages(texts)
    lang_seconds = time.perf_counter() - start
    sigs = MinHash.bulk([[s.encode("utf-8") for s in shingles] for shingles in shingle_sets(texts)],
                        num_perm=128, seed=1)
    lsh = MinHashLSH(num_perm=128, params=_BANDS)
    with lsh.insertion_session() as session:
        for i, m in enumerate(sigs):
            session.insert(i, m)
    roots = _groups(len(texts), ((i, j) for i, m in enumerate(sigs) for j in lsh.query(m) if j != i))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "langdetect_seconds": lang_seconds, "roots": roots, "languages": sorted(set(langs))}


def _rensa_roots(texts: list[str]) -> list[int]:
    """rensa's MinHash of every text's word 5-gram set in one call, its LSH (16 x 8), and
    union-find over the candidates: each text's group root."""
    from rensa import RMinHash, RMinHashLSH

    sigs = RMinHash.from_token_sets([list(s) for s in shingle_sets(texts)], 128, 1)
    # query_all returns band candidates: the threshold is not applied to them (checked).
    lsh = RMinHashLSH(threshold=0.8, num_perm=128, num_bands=_BANDS[0])
    lsh.insert_many(sigs)  # keys 0..n-1, the documents' positions
    candidates = lsh.query_all(sigs)
    return _groups(len(texts), ((i, j) for i, cands in enumerate(candidates) for j in cands if j != i))


def _rensa_missing() -> dict | None:
    """{"skipped": why} where rensa cannot be imported, else None."""
    try:
        import rensa  # noqa: F401  only to know it is there
    except ImportError:
        return {"skipped": "rensa not installed (python3 -m pip install -e '.[bench]')"}
    return None


def rensa(items: list[dict]) -> dict:
    if missing := _rensa_missing():
        return missing
    texts = [i["text"] for i in items]
    start = time.perf_counter()
    roots = _rensa_roots(texts)
    return {"seconds": time.perf_counter() - start, "roots": roots}


def rensa_langdetect(items: list[dict]) -> dict:
    """The strong reference with rensa in place of datasketch: langdetect (first 1,000
    characters) then rensa's MinHash, LSH and union-find on the same shingles; one process."""
    if missing := _rensa_missing():
        return missing
    texts = [i["text"] for i in items]
    start = time.perf_counter()
    langs = _languages(texts)
    lang_seconds = time.perf_counter() - start
    roots = _rensa_roots(texts)
    return {"seconds": time.perf_counter() - start, "langdetect_seconds": lang_seconds, "roots": roots,
            "languages": sorted(set(langs))}


def datatrove(items: list[dict]) -> dict:
    try:
        from datatrove.data import Document
        from datatrove.executor import LocalPipelineExecutor
        from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                      MinhashDedupFilter, MinhashDedupSignature)
        from datatrove.pipeline.writers.disk_base import DiskWriter
        from datatrove.utils.word_tokenizers import WordTokenizer
    except ImportError as exc:
        return {"skipped": f"datatrove cannot be imported ({exc}); python3 -m pip install -e '.[bench]'"}

    class SplitTokenizer(WordTokenizer):
        """datatrove's default tokenizers for these languages are spaCy's (not installed);
        its text is already simplified (lower case, no punctuation) before tokenizing, so
        splitting on whitespace gives nearly the same words."""

        def word_tokenize(self, text):
            return text.split()

        def sent_tokenize(self, text):
            return text.split("\n")

        def span_tokenize(self, text):
            raise NotImplementedError

    class JsonWriter(DiskWriter):
        """Each kept or removed document's id and cluster id, with the standard library
        (datatrove's JsonlWriter needs orjson; it would also write the texts)."""
        default_output_filename = "${rank}.jsonl"
        name = "json"

        def _write(self, document, file_handler, _filename):
            file_handler.write(json.dumps({"id": document["id"], "cluster": document["metadata"]["minhash_cluster_id"]})
                               + "\n")

    config = MinhashConfig()
    docs = [Document(text=i["text"], id=str(k)) for k, i in enumerate(items)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = lambda name: str(tmp / name)  # noqa: E731  datatrove takes str paths, not Path
        steps = [
            (1, [docs, MinhashDedupSignature(folder("sigs"), config=config, language=SplitTokenizer())]),
            (config.num_buckets, [MinhashDedupBuckets(folder("sigs"), folder("buckets"), config=config)]),
            (1, [MinhashDedupCluster(folder("buckets"), folder("remove"), config=config, save_cluster_id=True)]),
            (1, [docs, MinhashDedupFilter(folder("remove"), load_cluster_ids=True,
                                          exclusion_writer=JsonWriter(folder("removed"), compression=None)),
                 JsonWriter(folder("kept"), compression=None)]),
        ]
        start = time.perf_counter()
        try:  # each task logs to stderr (set up inside run); it still writes its log files
            with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
                for k, (tasks, pipeline) in enumerate(steps):
                    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1,
                                          logging_dir=str(tmp / f"logs{k}")).run()
        except Exception as exc:  # a reference that breaks is reported, not a crash of the bench
            return {"skipped": f"datatrove failed: {type(exc).__name__}: {exc}"}
        seconds = time.perf_counter() - start
        cluster = {}
        for part in ("kept", "removed"):
            for path in (tmp / part).glob("*.jsonl"):
                for line in path.read_text(encoding="utf-8").splitlines():
                    row = json.loads(line)
                    cluster[int(row["id"])] = row["cluster"]
    # Documents in no cluster carry -1: each is a group of its own.
    roots = [f"c{cluster[k]}" if cluster.get(k, -1) != -1 else k for k in range(len(items))]
    return {"seconds": seconds, "roots": roots}


def naive(items: list[dict]) -> dict:
    """The pipeline a first version would write: whole-text langdetect, per-shingle MinHash."""
    from datasketch import MinHash, MinHashLSH
    from langdetect import DetectorFactory, detect

    from cleaner.dedup.shingles import shingles

    DetectorFactory.seed = 0
    lsh = MinHashLSH(num_perm=128, params=_BANDS)
    pairs = []
    start = time.perf_counter()
    for k, item in enumerate(items):
        detect(item["text"])
        m = MinHash(num_perm=128, seed=1)
        for s in shingles(item["text"], 5, 5):
            m.update(s.encode("utf-8"))
        pairs.extend((k, j) for j in lsh.query(m))
        lsh.insert(k, m)
    roots = _groups(len(items), pairs)
    seconds = time.perf_counter() - start
    return {"documents": len(items), "seconds": round(seconds, 1), "docs_per_s": round(len(items) / seconds, 1),
            "roots": roots}


def copy_scores(items: list[dict], copies: dict[str, str], roots: list) -> dict:
    """Copies found (in their original's group) and documents joined to another story's
    group (a false merge: no two originals here share text beyond a chance sentence)."""
    where = {item["id"]: root for item, root in zip(items, roots)}
    found = sum(where[c] == where[o] for c, o in copies.items())
    gold_by_group: dict = {}
    for item, root in zip(items, roots):
        gold_by_group.setdefault(root, set()).add(copies.get(item["id"], item["id"]))
    wrong = sum(len(golds) for golds in gold_by_group.values() if len(golds) > 1)
    return {"copies_found": found, "copies": len(copies), "copy_recall": round(found / len(copies), 4),
            "originals_in_mixed_groups": wrong}
