"""The Python API: the same pipeline over dicts, for use inside another ingestion job.

    from cleaner import clean
    result = clean([{"id": "a1", "text": "..."}, {"id": "a2", "html": "<html>..."}])
    result.documents   # dicts, one per input, as in documents.jsonl
    result.records     # dicts, one per canonical record, as in records.jsonl

Nothing is read from or written to disk except the configuration and rule files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from cleaner.core.config import Config, config_from_dict, load_config
from cleaner.exec.flow import run_documents
from cleaner.input.read import read_dicts


@dataclass
class Cleaned:
    documents: list[dict[str, Any]]
    records: list[dict[str, Any]]
    counts: dict[str, int]


def get_config(config: str | Path | dict | Config | None) -> Config:
    if isinstance(config, Config):
        return config
    if isinstance(config, dict):
        return config_from_dict(config)
    return load_config(config)


def clean(items: Iterable[dict[str, Any]], config: str | Path | dict | Config | None = None,
          workers: int = 1) -> Cleaned:
    """Clean, detect language and cluster `items` ({"id", "text" or "html", "title", "date", "url", "site"})."""
    if isinstance(items, (dict, str, bytes)):
        # Iterating these would read their keys or characters as items, each "rejected".
        raise TypeError(f"clean() takes an iterable of items (dicts), not a {type(items).__name__}: "
                        "wrap one item in a list")
    result = run_documents(read_dicts(items), get_config(config), workers=workers)
    return Cleaned([d.to_json() for d in result.documents], [r.to_json() for r in result.records],
                   result.counts())
