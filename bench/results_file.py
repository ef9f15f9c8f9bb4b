"""Where every bench writes its --json results: one function, so they all write the same way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def save_json(path: Path, data: Any, ensure_ascii: bool = True) -> None:
    """`data` as indented JSON in `path` (its folder made if missing), newline-terminated."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=ensure_ascii) + "\n", encoding="utf-8")
