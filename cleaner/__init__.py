"""cleaner: raw news in, clean deduplicated records with provenance out."""

from typing import Any

__all__ = ["clean", "Cleaned", "Deduplicator", "ConfigError", "load_config"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """The API, imported on first use: `python -m cleaner` then starts without loading the
    pipeline, so a Ctrl-C while it loads is handled like one during a run (one line)."""
    if name in ("clean", "Cleaned", "Deduplicator"):
        from . import api

        return getattr(api, name)
    if name in ("ConfigError", "load_config"):
        from cleaner.core import config

        return getattr(config, name)
    raise AttributeError(f"module 'cleaner' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The API's names too (loaded on first use, above): dir(cleaner), and with it a
    notebook's tab completion of `cleaner.`, listed neither clean nor Deduplicator."""
    return sorted({*globals(), *__all__})
