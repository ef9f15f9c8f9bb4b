"""The boilerplate stage's rules and prefilter, derived once and read back by later runs.

Loading the rule files (TOML, validation, each regex's backtracking check) and deriving the
prefilter's gates cost ~50 ms of every run's serial setup; read back from the user's cache
folder (core/table_cache.py: stamped, digest-checked, written atomically) they cost ~13 ms,
most of it compiling the same regexes again (a pickled pattern is its source and flags).

The stamp names what the objects were derived from: each rule file (its path and a digest of
its bytes: reading them costs ~0.1 ms),
the modules that derive them (rules, regex_check, prefilter, this one, and config's
read_toml), the Unicode version (fold, casefold) and Python's version (`re`, pickle). A file
with another stamp, a damaged one, or one that does not unpickle to rules and their
prefilter is not used: the rules are loaded as before (and a rule file with an error still
raises its ConfigError: only what loaded without one is written). The cache changes how
long setup takes, never a rule, a gate or a tag (tests/test_cpu27.py).

The file is a pickle, like a run's spool and checkpoint, so it is read only when this user owns
it and no one else may write it (read_table's `own`): a cache folder others can write to
(one $CLEANER_CACHE_DIR names under /tmp) cannot hand a run someone else's pickle.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import unicodedata
from pathlib import Path

from cleaner.core import config
from cleaner.core.config import ConfigError, _read_small
from cleaner.core.table_cache import code_stamp, read_table, write_table
from cleaner.stages.boilerplate import prefilter, regex_check, rules
from cleaner.stages.boilerplate.prefilter import Prefilter
from cleaner.stages.boilerplate.rules import Rule, load_rules

TABLE = "boilerplate-rules"


def _stamp(paths: list[Path]) -> str | None:
    """What the rules and prefilter are derived from; None where a rule file cannot be read
    whole (load_rules then says why)."""
    files = []
    for path in paths:
        # The files' bytes, not their sizes and times: a rule file rewritten within the clock's
        # tick at the same size (a test, a script) would keep its old rules otherwise.
        try:
            data = _read_small(path)
        except (OSError, ConfigError):
            return None
        files.append(f"{os.path.realpath(path)}:{hashlib.blake2b(data, digest_size=16).hexdigest()}")
    code = [code_stamp(module.__file__ or "?") for module in (rules, regex_check, prefilter, config)]
    return json.dumps([*files, *code, code_stamp(__file__), f"unicode {unicodedata.unidata_version}",
                       f"python {sys.version}", f"pickle {pickle.HIGHEST_PROTOCOL}"], ensure_ascii=True)


def _read(stamp: str) -> tuple[list[Rule], Prefilter] | None:
    got = read_table(TABLE, stamp, own=True)  # a pickle: only a file no one else could write
    if got is None:
        return None
    try:
        loaded = pickle.loads(got[1])
    except Exception:  # noqa: BLE001 - any unreadable file: derived again, never fatal
        return None
    if not (isinstance(loaded, tuple) and len(loaded) == 2 and isinstance(loaded[0], list)
            and isinstance(loaded[1], Prefilter) and all(isinstance(r, Rule) for r in loaded[0])
            and len(loaded[1].rules) == len(loaded[0])
            and all(a is b for a, b in zip(loaded[1].rules, loaded[0]))):
        return None
    return loaded[0], loaded[1]


def rules_and_prefilter(paths: list[Path]) -> tuple[list[Rule], Prefilter]:
    """load_rules(paths) and Prefilter of them: read back when an earlier run derived them
    from the same files and code, else derived (and written for the next run)."""
    stamp = _stamp(paths)
    cached = None if stamp is None else _read(stamp)
    if cached is not None:
        return cached
    loaded = load_rules(paths)
    gates = Prefilter(loaded)
    if stamp is not None:
        write_table(TABLE, stamp, {}, [pickle.dumps((loaded, gates), protocol=pickle.HIGHEST_PROTOCOL)])
    return loaded, gates
