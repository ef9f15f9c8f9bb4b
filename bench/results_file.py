"""Where every bench writes its --json results: one function, so they all write the same way."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def save_json(path: Path, data: Any, ensure_ascii: bool = True) -> None:
    """`data` as indented JSON in `path` (its folder made if missing), newline-terminated."""
    generate = sys.modules.get("generate")
    if isinstance(data, dict) and generate is not None and generate.PSEUDO_WORDS:
        # Generated articles fell back to pseudo-words: say so in the figures themselves.
        data = {**data, "generated_text": "pseudo-words: no sentences in " + ", ".join(sorted(generate.PSEUDO_WORDS))}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=ensure_ascii) + "\n", encoding="utf-8")
