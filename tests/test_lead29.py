"""A NUL character in a path given to the API: one ValueError naming the argument (session 29)."""
import pytest

import cleaner
from cleaner.api import get_config


def test_state_with_nul_names_the_argument(tmp_path):
    with pytest.raises(ValueError, match=r"^state must be a path without a NUL character, got '.*a\\x00b\.db'$"):
        cleaner.Deduplicator(state=str(tmp_path / "a\x00b.db"))


def test_config_with_nul_names_the_argument(tmp_path):
    with pytest.raises(ValueError, match=r"^config must be a path without a NUL character"):
        get_config(str(tmp_path / "a\x00b.toml"))


def test_clean_with_nul_config_names_the_argument():
    with pytest.raises(ValueError, match=r"^config must be a path without a NUL character"):
        cleaner.clean([{"text": "A line of text."}], config="a\x00b.toml")
