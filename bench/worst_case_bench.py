"""Worst case per document (issue #13): time and peak memory of one adversarial document
through the whole pipeline (read as a Document, extract, rules, language, signatures,
clustering), each in a fresh process.

    python3 bench/worst_case_bench.py [--smoke] [--json bench/results/worst_case.json]
                                      [--timeout 600] [--code DIR]

--smoke uses smaller inputs (checks it runs); --code runs another checkout's `cleaner`
(e.g. an older commit's, to compare); a case over --timeout is reported as such. Needs
no data.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SENTENCE = "The city council approved the new budget on Monday after a long debate about schools and roads."


def _words(chars: int) -> str:
    """Prose-like text of about `chars` characters, lines of ~12 words (every shingle new)."""
    rng = random.Random(13)
    vocab = [f"w{n}" for n in range(200_000)]
    lines, size = [], 0
    while size < chars:
        line = " ".join(rng.choice(vocab) for _ in range(12)) + "."
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def cases(smoke: bool) -> dict[str, tuple[str, str]]:
    """name -> (kind 'text' or 'html', content)."""
    k = 5 if smoke else 1
    photo = "Photo" + " " * 750 + ":" + " " * 750 + "!"
    hotline = "hotline" + " " * 600 + ":" + " 1" + " " * 1300 + "x"
    tabs = "Photo" + "\t" * 1000 + ":" + "\t" * 900 + "!"
    return {
        "ordinary article (for reference)": ("text", "\n".join([SENTENCE] * 20)),
        "photo-label line (1.5 KB)": ("text", f"{SENTENCE}\n{photo}\n{SENTENCE}"),
        "hotline line (1.9 KB)": ("text", f"{SENTENCE}\n{hotline}\n{SENTENCE}"),
        f"{5000 // k:,} adversarial lines ({10 // k} MB)": ("text", "\n".join([SENTENCE, *[tabs] * (5000 // k)])),
        f"<p> with {100_000 // k:,} attributes": (
            "html", "<html><body><article><p " + " ".join(f'a{i}=""' for i in range(100_000 // k))
            + f">{SENTENCE}</p></article></body></html>"),
        f"{300_000 // k:,} <br> tags": ("html", f"<html><body><article><p>{SENTENCE}" + "<br>" * (300_000 // k)
                                        + "</p></article></body></html>"),
        f"{8 / k:g} MB of text to sign": ("text", _words(8_000_000 // k)),
    }


def run_case(name: str, smoke: bool) -> dict:
    """One case in this process: the pipeline over one document."""
    from cleaner.core.config import load_config
    from cleaner.core.document import Document
    from cleaner.exec.flow import run_documents
    from cleaner.stages.build import build_stages

    kind, content = cases(smoke)[name]
    cfg = load_config()
    stages = build_stages(cfg)
    for stage in stages.per_document + [stages.sign]:
        stage.setup()
    doc = Document(id="x", source="x.html" if kind == "html" else "x.txt",
                   **({"html": content} if kind == "html" else {"text": content}))
    del content
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    result = run_documents([doc], cfg, workers=1, stages=stages)
    seconds = time.perf_counter() - start
    out = result.documents[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak), "rss_before_mb": round(base), "status": out.status, "error": out.error,
            "flags": [f.get("rule", f.get("flag")) for f in out.flags], "removed": len(out.removed),
            "stages": {k: round(v, 2) for k, v in result.timings.items() if "." not in k and v >= 0.05}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose cleaner package to run")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case here
    args = parser.parse_args()
    if args.case:
        sys.path.insert(0, str(args.code))
        print(json.dumps(run_case(args.case, args.smoke)))
        return
    env = {**os.environ, "PYTHONPATH": str(args.code.resolve())}
    env.pop("CLEANER_STRICT", None)
    results = {}
    for name in cases(args.smoke):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--case", name, "--code", str(args.code.resolve())]
        cmd += ["--smoke"] if args.smoke else []
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env)
            results[name] = (json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0
                             else {"failed": proc.stderr.strip().splitlines()[-1:]})
        except subprocess.TimeoutExpired:
            results[name] = {"timeout": args.timeout}
        print(f"{name}: {json.dumps(results[name])}", flush=True)
    if args.json:  # the figures BENCHMARKS.md quotes
        os.makedirs(args.json.parent, exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=1)


if __name__ == "__main__":
    main()
