"""The language stage's answers on lingua-sentences (every language file, the first N lines
each) and on the 3,000 documents of a JSONL file: accuracy, and a SHA-1 of every (lang,
prob, reason), to compare two checkouts: python3 bench/scratch/perdoc18_lang_same.py [N] [IN.jsonl]"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import os

ROOT = Path(os.environ.get("CHECKOUT") or Path(__file__).resolve().parents[2])
sys.path.insert(0, str(ROOT))

from cleaner.core.config import load_config  # noqa: E402
from cleaner.core.document import Document  # noqa: E402
from cleaner.stages.language.detect import DetectLanguage  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "lingua-sentences"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    stage = DetectLanguage(**load_config()["language"])
    supported = {c.split("-")[0] for c in stage.languages()}
    digest = hashlib.sha1()
    right = total = 0
    for path in sorted(DATA.glob("*.txt")):
        lang = {"nb": "no"}.get(path.stem, path.stem)
        lines = [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()][:n]
        for s in lines:
            doc = stage.process(Document(id="s", source="s", text=s))
            digest.update(f"{doc.lang}\t{doc.lang_prob}\t{doc.lang_reason}\n".encode())
            if lang in supported:
                right += doc.lang == lang
                total += 1
    docs = 0
    if len(sys.argv) > 2:
        for line in open(sys.argv[2], encoding="utf-8"):
            doc = stage.process(Document(id="d", source="d", text=json.loads(line)["text"]))
            digest.update(f"{doc.lang}\t{doc.lang_prob}\t{doc.lang_reason}\n".encode())
            docs += 1
    print(json.dumps({"sentences": total, "accuracy": round(right / total, 4), "documents": docs,
                      "sha1": digest.hexdigest()}))


if __name__ == "__main__":
    main()
