"""cleaner: raw news in, clean deduplicated records with provenance out."""

from .api import Cleaned, clean
from .config import ConfigError, load_config

__all__ = ["clean", "Cleaned", "ConfigError", "load_config"]
__version__ = "0.1.0"
