"""Language detection: accuracy and CPU time of each change to the language stage (#18).

    python3 bench/language_bench.py [--data ../shared/data] [--json bench/results/language.json] [--smoke]

Sentences from lingua-sentences, for every language langdetect supports plus those whose
script decides alone (Armenian, Georgian...). The split is fixed: sentences 0-199 of each
language's file are *tune* (where settings were chosen), 200-399 *held-out* (the result).
Also 3-sentence snippets (from sentences 400 on) in 20 Latin and Cyrillic languages: the
size of a short news text. Time is CPU time (time.process_time) per text, one process,
the fastest of two passes after every variant has seen every text once: the machine is
shared, wall time is not a fair measure.

Variants: cleaner's stage as configured (script shortcut, 1 trial), with 3 trials,
without the script shortcut (langdetect asked for every text), and langdetect's own
Detector with 3 trials and no shortcut: the answers of the stage before #18 (cleaner's
FastDetector gives langdetect's exact probabilities, tested), at langdetect's own cost.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaner.core.config import load_config  # noqa: E402
from cleaner.core.document import Document  # noqa: E402
from cleaner.stages.language.detect import DetectLanguage  # noqa: E402
from results_file import save_json  # noqa: E402

SNIPPET_LANGS = ("ru", "uk", "bg", "mk", "en", "de", "nl", "af", "da", "no", "sv", "es", "pt", "it", "ca",
                 "hr", "sl", "sk", "cs", "id")


class PlainLangdetect(DetectLanguage):
    """langdetect's own Detector (same answers as cleaner's FastDetector, tested): the cost
    of langdetect as shipped, for the same sample, trials and seed."""

    @staticmethod
    def detector_class():
        from langdetect.detector import Detector

        return Detector


def sentences(data: Path, per_language: int) -> dict[str, dict[str, list[str]]]:
    """tune / held-out sentences per expected language code."""
    from cleaner.stages.language.detect import DetectLanguage

    known = {c.split("-")[0] for c in DetectLanguage().languages()} | {"hy", "ka"}
    out: dict[str, dict[str, list[str]]] = {"tune": {}, "held-out": {}}
    for path in sorted((data / "lingua-sentences").glob("*.txt")):
        lang = {"nb": "no"}.get(path.stem, path.stem)  # langdetect calls Norwegian Bokmål "no"
        if lang not in known:
            continue
        lines = [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]
        out["tune"][lang] = lines[:per_language]
        out["held-out"][lang] = lines[200:200 + per_language]
    return out


def snippets(data: Path, per_language: int) -> list[tuple[str, str]]:
    rng = random.Random(5)
    out = []
    for lang in SNIPPET_LANGS:
        path = data / "lingua-sentences" / f"{lang}.txt"
        if path.exists():
            pool = [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()][400:]
            out += [(lang, " ".join(rng.sample(pool, 3))) for _ in range(per_language)]
    return out


def measure(stage: DetectLanguage, texts: list[tuple[str, str]], rounds: int = 2) -> dict:
    """Accuracy, and CPU time per text: the fastest of `rounds` timed passes. main() warms
    every variant on every text first (caches filled, as in a long run): the first variant
    timed no longer pays for warming the caches all share (it looked ~1.5x slower)."""
    seconds = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        right = sum(stage.process(Document(id="s", source="s", text=t)).lang == lang for lang, t in texts)
        seconds = min(seconds, time.process_time() - start)
    return {"texts": len(texts), "accuracy": round(right / len(texts), 4),
            "cpu_ms_per_text": round(1000 * seconds / len(texts), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--smoke", action="store_true", help="10 sentences a language (well under a minute)")
    args = parser.parse_args()
    if not (args.data / "lingua-sentences").exists():
        print(f"skipped: no lingua-sentences under {args.data}")
        return
    settings = load_config()["language"]
    # remember=False: each timed pass detects again (a stage keeps the answers of samples it
    # has met, and measure() passes over the same texts more than once)
    variants = {
        f"cleaner (script shortcut, {settings['trials']} trial(s))": DetectLanguage(**settings, remember=False),
        "cleaner with 3 trials": DetectLanguage(**{**settings, "trials": 3}, remember=False),
        "no script shortcut": DetectLanguage(**settings, by_script=False, remember=False),
        "langdetect's own Detector, no script shortcut, 3 trials (before #18)":
            PlainLangdetect(**{**settings, "trials": 3}, by_script=False, remember=False),
    }
    n = 10 if args.smoke else 200
    sets = sentences(args.data, n)
    results: dict = {"split": "sentences 0-199 of each language: tune; 200-399: held-out"}
    texts = {half: [(lang, s) for lang, lines in sorted(by_lang.items()) for s in lines] for half, by_lang in sets.items()}
    texts["3-sentence snippets (held-out)"] = snippets(args.data, 5 if args.smoke else 100)
    for stage in variants.values():
        for part in texts.values():
            for _, t in part:
                stage.process(Document(id="w", source="w", text=t))
    for part, items in texts.items():
        results[part] = {name: measure(stage, items) for name, stage in variants.items()}
    print(json.dumps(results, indent=1))
    if args.json:
        save_json(args.json, results)


if __name__ == "__main__":
    main()
