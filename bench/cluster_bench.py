"""Clustering benchmark: same-event clustering on ECB+, near-duplicates on a synthetic set,
and clustering time for many documents' signatures.

    python3 bench/cluster_bench.py [--data ../shared/data] [--json bench/results/cluster.json]
                                   [--scale 100000] [--only ecb,synthetic,scale]

- ecb: ECB+ odd topics (496 documents, two real-world events per topic); the gold event of
  a document is <topic>_ecb or <topic>_ecbplus. ARI, B-cubed and pairwise scores, the
  story.threshold sensitivity curve, and a check that the exact and near tiers never put
  two events in one record.
- synthetic: bench/generate.py copies (word edits 0-20%, added clutter, truncation):
  pairwise precision and recall of the near tier per edit level, for several shingle sizes
  and thresholds (the story tier switched off).
- scale: time to cluster N documents' signatures (exact + near tiers, and story linkage).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cleaner.cluster import cluster  # noqa: E402
from cleaner.config import config_from_dict  # noqa: E402
from cleaner.evaluate import score  # noqa: E402
from cleaner.pipeline import build_stages, process_one  # noqa: E402
from cleaner.read import read_dicts  # noqa: E402
from cleaner.sign import Sign  # noqa: E402
from cleaner.stage import safe_process  # noqa: E402

_FILE = re.compile(r"(\d+)_(\d+)(ecbplus|ecb)\.xml$")


def _detokenise(tokens: list[str]) -> str:
    text = " ".join(tokens)
    text = re.sub(r" ([.,;:!?%)\]}])", r"\1", text)
    text = re.sub(r"([(\[{$]) ", r"\1", text)
    return text.replace("`` ", '"').replace(" ''", '"').replace(" n't", "n't").replace(" 's", "'s")


def load_ecb(root: Path) -> tuple[list[dict], dict[str, str]]:
    """Items (one sentence per line) and gold events from ECB+ token XML."""
    items, gold = [], {}
    for path in sorted(root.glob("*/*.xml")):
        m = _FILE.match(path.name)
        if not m:
            continue
        sentences = defaultdict(list)
        for tok in ET.parse(path).getroot().iter("token"):
            sentences[int(tok.get("sentence"))].append(tok.text or "")
        doc_id = f"{m.group(1)}/{path.stem}"
        items.append({"id": doc_id, "text": "\n".join(_detokenise(sentences[k]) for k in sorted(sentences))})
        gold[doc_id] = f"{m.group(1)}_{m.group(3)}"
    return items, gold


def prepare(items: list[dict], cfg) -> list:
    """Documents through the per-document stages and templates (once), ready to sign."""
    stages = build_stages(cfg)
    docs = [process_one(d, stages.per_document)[0] for d in read_dicts(items)]
    return stages.templates.run(docs)


def signed(docs: list, cfg) -> list:
    sign = Sign(cfg["near"]["word_ngram"], cfg["near"]["char_ngram"], cfg["minhash"]["num_perm"], cfg["minhash"]["seed"])
    return [safe_process(sign, copy.copy(d)) for d in docs]


def predicted(records) -> dict[str, str]:
    return {m.doc.id: r.record_id for r in records for m in r.members}


def bench_ecb(data: Path) -> dict | None:
    root = data / "ecbplus-dev" / "ECB+"
    if not root.exists():
        return None
    items, gold = load_ecb(root)
    cfg = config_from_dict()
    start = time.perf_counter()
    docs = signed(prepare(items, cfg), cfg)
    records = cluster(docs, cfg)
    seconds = time.perf_counter() - start
    result = {"documents": len(items), "events": len(set(gold.values())), "seconds_total": round(seconds, 1),
              "default": score(predicted(records), gold)}
    impure = [r.record_id for r in records
              if len({gold[m.doc.id] for m in r.members if m.relation in ("canonical", "exact", "near")}) > 1]
    result["copy_tiers"] = {
        "exact_or_near_members": sum(m.relation in ("exact", "near") for r in records for m in r.members),
        "records_mixing_events": len(impure)}
    curve = {}
    for t in (0.08, 0.09, 0.10, 0.11, 0.12, 0.13, 0.14, 0.16):
        c = config_from_dict({"story": {"threshold": t}})
        curve[str(t)] = score(predicted(cluster(docs, c)), gold)["ari"]
    result["ari_by_story_threshold"] = curve
    return result


def bench_synthetic(data: Path, n: int = 1500) -> dict:
    from generate import generate

    items = generate(n, seed=1, data=data / "lingua-sentences")
    gold = {i["id"]: i["gold"] for i in items}
    made = {i["id"]: i["made"] for i in items}
    base_cfg = config_from_dict({"story": {"threshold": 1.0}})
    docs = prepare([{"id": i["id"], "text": i["text"]} for i in items], base_cfg)
    results = {}
    for ngram, threshold in ((5, 0.8), (5, 0.5), (3, 0.8), (3, 0.5), (3, 0.3), (2, 0.4), (1, 0.7)):
        cfg = config_from_dict({"near": {"word_ngram": ngram, "threshold": threshold,
                                         "lsh_threshold": round(max(0.1, threshold - 0.2), 2)},
                                "story": {"threshold": 1.0}})
        records = cluster(signed(docs, cfg), cfg)
        pred = predicted(records)
        per_level = {}
        for level in sorted(set(made.values())):
            copies = [i for i, m in made.items() if m == level and m != "base"]
            if copies:
                per_level[level] = round(sum(pred[c] == pred[gold[c]] for c in copies) / len(copies), 4)
        s = score(pred, gold)
        results[f"word {ngram}-grams, J >= {threshold}"] = {
            "pairwise_precision": s["pairwise"]["precision"], "pairwise_recall": s["pairwise"]["recall"],
            "recall_by_kind": per_level}
    return {"documents": len(items), "kinds": dict(Counter(made.values())), "configs": results}


def bench_scale(n: int) -> dict:
    """Cluster n synthetic documents' signatures, shaped like a day of news: stories of 1-6
    articles sharing a dozen names, 15% near copies, and a few common terms everywhere."""
    import numpy as np

    from cleaner.document import Document
    from cleaner.signatures import minhash_values, token_values

    rng = random.Random(7)
    cfg = config_from_dict()
    num_perm, seed = cfg["minhash"]["num_perm"], cfg["minhash"]["seed"]
    common = [f"common{i}" for i in range(2000)]
    docs, story_terms = [], []
    start = time.perf_counter()
    for i in range(n):
        if i and rng.random() < 0.15:  # a near copy of an earlier article: 5% of shingles changed
            src = docs[rng.randrange(len(docs))]
            sh = src.work["near"].copy()
            k = max(1, len(sh) // 20)
            sh[:k] = np.array(rng.sample(range(2**31), k), dtype=np.uint32)
            terms = src.work["terms"]
        else:
            if not story_terms or rng.random() < 0.35:  # a new story
                story_terms.append([f"s{len(story_terms)}n{j}" for j in range(15)])
            names = rng.sample(story_terms[rng.randrange(max(0, len(story_terms) - 50), len(story_terms))], 10)
            popular = [common[min(len(common) - 1, int(rng.paretovariate(1.2)) - 1)] for _ in range(5)]
            terms = sorted(set(names + popular))
            sh = np.array(rng.sample(range(2**31), 300), dtype=np.uint32)
        sh = np.unique(sh)
        doc = Document(id=f"d{i:07d}", source="<bench>")
        doc.work.update(exact=str(i), near=sh, near_mh=minhash_values(sh, num_perm, seed), terms=terms, words=300,
                        story_mh=minhash_values(np.unique(token_values(terms)), num_perm, seed))
        docs.append(doc)
    signing = time.perf_counter() - start
    timings = {}
    start = time.perf_counter()
    records = cluster(docs, cfg, timings=timings)
    return {"documents": n, "records": len(records), "seconds_signatures": round(signing, 1),
            "seconds_clustering": round(time.perf_counter() - start, 1),
            "seconds_by_step": {k: round(v, 1) for k, v in timings.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--only", default="ecb,synthetic,scale")
    args = parser.parse_args()
    results = {}
    for name in args.only.split(","):
        start = time.perf_counter()
        if name == "ecb":
            res = bench_ecb(args.data)
        elif name == "synthetic":
            res = bench_synthetic(args.data)
        else:
            res = bench_scale(args.scale)
        if res is None:
            print(f"{name}: skipped (no data under {args.data})")
            continue
        res["seconds"] = round(time.perf_counter() - start, 1)
        results[name] = res
        print(f"== {name}\n{json.dumps(res, indent=1)}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
