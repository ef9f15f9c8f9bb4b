"""Boilerplate rules: what they remove (an audit dump to diff across a change) and what
they cost per line (#18, point 4).

    python3 bench/rules_bench.py --dump bench/results/removed.jsonl.gz   # before a change
    python3 bench/rules_bench.py --check bench/results/removed.jsonl.gz  # after: exit 1 on any difference
    python3 bench/rules_bench.py --speed [--docs 3000] [--repeat 3]      # µs per line on the lingua corpus
    python3 bench/rules_bench.py --stages [--docs 3000]                  # each stage's CPU seconds, one whole run
    python3 bench/rules_bench.py --smoke                                 # a few documents of each: checks it runs

- dump / check: every document of raw/, ../shared/data/aeb, ../shared/data/trafilatura-eval
  (and, as an extra set of lines that do carry clutter, 2,000 articles of bench/generate.py)
  goes through cleaner's extraction and boilerplate stages; one JSON line per document
  holds its `removed` audit list (rule id, line number, text, ...), its `flags` and a hash
  of the text left. `--check` names the first differing documents.
- speed: 3,000 documents of 25 lingua sentences (en, de, fr, es, ru, uk; 30% near copies
  with one line replaced: cluster_bench.chance_items, seed 12, the corpus of
  throughput_bench's references). Times the boilerplate stage's `process` (tag, decide,
  join, title) and its `tag_lines` alone (the rules), over every document, `--repeat`
  times; prints µs per line (non-empty lines) for each round and the median: CPU time of
  the process (`time.process_time`, which other work on a shared machine inflates less
  than wall time), and the stage's wall time too.
- stages: the same documents through the whole flow (`run_documents`, 1 worker, stages
  timed in CPU time: `[run] cpu_time = true`): seconds per stage and each one's share.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cleaner.core.config import load_config  # noqa: E402
from cleaner.core.document import Document  # noqa: E402
from cleaner.exec.local import process_one  # noqa: E402
from cleaner.input.read import read_dicts, read_inputs  # noqa: E402
from cleaner.stages.build import build_stages  # noqa: E402
from generate import use_data  # noqa: E402
from results_file import save_json  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def _raw_docs(limit: int | None):
    cfg = load_config(None)
    docs = list(read_inputs(ROOT / "raw", cfg["read"]["extensions"], cfg["read"]["max_file_bytes"]))
    yield from docs[:limit]


def _aeb_docs(data: Path, limit: int | None):
    root = data / "aeb"
    if not (root / "ground-truth.json").exists():
        return
    gold = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for doc_id in sorted(gold)[:limit]:
        path = root / "html" / f"{doc_id}.html.gz"
        if path.exists():
            html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            yield Document(id=doc_id, source=doc_id, html=html)


def _eval_docs(data: Path, limit: int | None):
    from boilerplate_bench import _load_eval_page

    root = data / "trafilatura-eval"
    if not (root / "evaldata.json").exists():
        return
    evaldata = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    for _url, item in sorted(evaldata.items())[:limit]:
        html = _load_eval_page(root, item["file"])
        if html is not None:
            yield Document(id=item["file"], source=item["file"], html=html)


def _generated_docs(limit: int | None):
    from generate import generate

    yield from read_dicts([{"id": a["id"], "text": a["text"]} for a in generate(limit or 2000, seed=5)])


def audit_rows(data: Path, limit: int | None):
    """(set, one JSON-able row per document): what the boilerplate stage did to it."""
    stages = build_stages(load_config(None)).per_document[:2]  # extract, boilerplate
    sets = (("raw", _raw_docs(limit)), ("aeb", _aeb_docs(data, limit)),
            ("trafilatura-eval", _eval_docs(data, limit)), ("generated", _generated_docs(limit)))
    for name, docs in sets:
        for doc in docs:
            doc, _ = process_one(doc, stages)
            yield name, {"set": name, "id": doc.id, "status": doc.status, "error": doc.error,
                         "line_no": doc.line_no, "meta": doc.meta, "date": doc.date, "author": doc.author,
                         "removed": doc.removed, "flags": doc.flags, "title": doc.title,
                         "text_sha1": hashlib.sha1((doc.text or "").encode("utf-8")).hexdigest()}


def dump(path: Path, data: Path, limit: int | None) -> None:
    counts: dict[str, list[int]] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for name, row in audit_rows(data, limit):
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            c = counts.setdefault(name, [0, 0])
            c[0] += 1
            c[1] += len(row["removed"])
    for name, (docs, removed) in counts.items():
        print(f"{name}: {docs} documents, {removed} removals")
    print(f"written: {path}")


def check(path: Path, data: Path, limit: int | None) -> int:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        before = [line.rstrip("\n") for line in fh]
    after = [json.dumps(row, ensure_ascii=False, sort_keys=True) for _, row in audit_rows(data, limit)]
    diffs = [i for i in range(max(len(before), len(after)))
             if i >= len(before) or i >= len(after) or before[i] != after[i]]
    per_set: dict[str, list[int]] = {}
    for line in after:
        row = json.loads(line)
        c = per_set.setdefault(row["set"], [0, 0])
        c[0] += 1
        c[1] += len(row["removed"])
    for name, (docs, removed) in per_set.items():
        print(f"{name}: {docs} documents, {removed} removals")
    if len(before) != len(after):
        print(f"DIFFERENT: {len(before)} documents before, {len(after)} after")
    for i in diffs[:5]:
        print(f"DIFFERENT at document {i}:\n  before {before[i][:600] if i < len(before) else None}\n"
              f"  after  {after[i][:600] if i < len(after) else None}")
    if diffs:
        print(f"{len(diffs)} document(s) differ")
        return 1
    print(f"identical: {len(after)} documents, every removed list, flag and text the same")
    return 0


def lingua_docs(data: Path, n: int) -> list[dict]:
    from cluster_bench import chance_items

    items, _ = chance_items(data, n, seed=12)
    return items


def speed(data: Path, n: int, repeat: int) -> dict:
    from cleaner.stages.boilerplate import tag as tag_module

    stages = build_stages(load_config(None)).per_document
    extract, strip = stages[0], stages[1]
    items = lingua_docs(data, n)
    lines = sum(1 for it in items for line in it["text"].split("\n") if line.strip())
    real_tag_lines = tag_module.tag_lines
    strip_module = sys.modules[type(strip).__module__]
    rounds = []
    for _ in range(repeat):
        docs = [extract.process(d) for d in read_dicts(items)]
        tag_seconds = [0.0]

        def timed_tag_lines(*args, **kwargs):
            start = time.process_time()
            try:
                return real_tag_lines(*args, **kwargs)
            finally:
                tag_seconds[0] += time.process_time() - start

        strip_module.tag_lines = timed_tag_lines
        try:
            start, cpu = time.perf_counter(), time.process_time()
            for d in docs:
                strip.process(d)
            stage, stage_cpu = time.perf_counter() - start, time.process_time() - cpu
        finally:
            strip_module.tag_lines = real_tag_lines
        rounds.append({"stage_us_per_line": stage_cpu / lines * 1e6, "rules_us_per_line": tag_seconds[0] / lines * 1e6,
                       "stage_wall_us_per_line": stage / lines * 1e6})
    out = {"documents": len(items), "lines": lines, "rounds": [{k: round(v, 2) for k, v in r.items()} for r in rounds],
           "median_stage_us_per_line": round(statistics.median(r["stage_us_per_line"] for r in rounds), 2),
           "median_rules_us_per_line": round(statistics.median(r["rules_us_per_line"] for r in rounds), 2),
           "median_stage_wall_us_per_line": round(statistics.median(r["stage_wall_us_per_line"] for r in rounds), 2)}
    try:
        with open("/proc/loadavg") as fh:
            out["loadavg"] = fh.read().split()[:3]
    except OSError:
        pass
    return out


def stages(data: Path, n: int) -> dict:
    from cleaner.api import get_config
    from cleaner.exec.flow import run_documents

    items = lingua_docs(data, n)
    start = time.perf_counter()
    result = run_documents(read_dicts(items), get_config({"run": {"cpu_time": True}}), workers=1)
    wall = time.perf_counter() - start
    timings = {k: v for k, v in result.timings.items() if k != "per_document_wall"}
    shown = {k: v for k, v in timings.items() if "." not in k}  # cluster.copies, .stories: inside cluster
    total = sum(shown.values())
    lines = sum(1 for it in items for line in it["text"].split("\n") if line.strip())
    return {"documents": len(items), "lines": lines, "wall_seconds": round(wall, 2),
            "cpu_seconds_per_stage": {k: round(v, 3) for k, v in sorted(timings.items())},
            "share_of_stages": {k: round(v / total, 3) for k, v in sorted(shown.items())},
            "boilerplate_us_per_line": round(timings.get("boilerplate", 0) / lines * 1e6, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--dump", type=Path, help="write every document's removed list here (.jsonl.gz)")
    parser.add_argument("--check", type=Path, help="compare against a --dump; exit 1 on any difference")
    parser.add_argument("--speed", action="store_true", help="µs per line on the lingua corpus")
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="speed: also write the results here")
    parser.add_argument("--stages", action="store_true", help="each stage's CPU seconds in one whole run")
    parser.add_argument("--smoke", action="store_true", help="5 documents a set, 100 for speed (seconds)")
    args = parser.parse_args()
    use_data(args.data, args.smoke)
    limit = 5 if args.smoke else None
    code = 0
    if args.dump:
        dump(args.dump, args.data, limit)
    if args.check:
        code = check(args.check, args.data, limit)
    if args.speed or args.smoke:
        if not (args.data / "lingua-sentences").exists():
            print(f"speed: skipped (no {args.data / 'lingua-sentences'}; --data names the data folder)")
        else:
            res = speed(args.data, 100 if args.smoke else args.docs, 1 if args.smoke else args.repeat)
            print(json.dumps(res, indent=1))
            if args.json:
                save_json(args.json, res)
    if args.stages:
        if not (args.data / "lingua-sentences").exists():
            # said, as --speed says it: a copy outside the repository printed nothing at all
            print(f"stages: skipped (no {args.data / 'lingua-sentences'}; --data names the data folder)")
        else:
            print(json.dumps(stages(args.data, args.docs), indent=1))
    if args.smoke and not (args.dump or args.check):
        rows = list(audit_rows(args.data, limit))
        print(f"audit: {len(rows)} documents, {sum(len(r['removed']) for _, r in rows)} removals")
    return code


if __name__ == "__main__":
    sys.exit(main())
