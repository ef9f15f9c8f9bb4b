"""The boilerplate stage's rules and prefilter, derived once and read back by later runs.

Loading the rule files (TOML, validation, each regex's backtracking check) and deriving the
prefilter's gates cost ~50 ms of every run's serial setup; read back from the user's cache
folder (core/table_cache.py: stamped, digest-checked, written atomically) they cost ~13 ms,
most of it compiling the same regexes again (a pickled pattern is its source and flags).

The stamp names what the objects were derived from: each rule file (its path and a digest of
its bytes: reading them costs ~0.1 ms; its name as given, a rule's `source`),
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
from cleaner.core.table_cache import cache_path, code_stamp, read_table, write_table
from cleaner.stages.boilerplate import prefilter, regex_check, rules
from cleaner.stages.boilerplate.prefilter import Prefilter
from cleaner.stages.boilerplate.rules import Rule, load_rules

TABLE = "boilerplate-rules"
# Rule sets kept, one file each (named by their stamp): configurations used in turn (two
# jobs' rule files) each read theirs back; one file was rewritten by every run (~55 CPU ms
# of derive each). The least recently used beyond these are removed (a file read back is
# touched: a rule set every run uses, written long ago, must not go first).
KEPT = 8


def _name(stamp: str) -> str:
    return f"{TABLE}-{hashlib.blake2b(stamp.encode('ascii'), digest_size=8).hexdigest()}"


def _keep_newest() -> None:
    try:
        folder = cache_path(TABLE).parent
        kept = sorted(folder.glob(f"{TABLE}-*.table"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in kept[KEPT:]:
            old.unlink()
    except (OSError, RuntimeError):  # one removed meanwhile, a folder not ours, no home: next time
        pass


def _used(name: str) -> None:
    """Its file's mtime set to now: _keep_newest keeps the rule sets most recently used."""
    try:
        os.utime(cache_path(name))
    except (OSError, RuntimeError):  # removed meanwhile, not ours to touch, no home: kept by its write time
        pass


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
        # Its name as given too: a rule's `source` is path.name, and two links to one file
        # (a.toml, b.toml -> rules.toml) load rules of two sources.
        files.append(f"{path.name}:{os.path.realpath(path)}:{hashlib.blake2b(data, digest_size=16).hexdigest()}")
    code = [code_stamp(module.__file__ or "?") for module in (rules, regex_check, prefilter, config)]
    return json.dumps([*files, *code, code_stamp(__file__), f"unicode {unicodedata.unidata_version}",
                       f"python {sys.version}", f"pickle {pickle.HIGHEST_PROTOCOL}",
                       # tomllib's int() of a long integer raises past this limit (PYTHONINTMAXSTRDIGITS,
                       # -X int_max_str_digits): a file loaded under a higher one raises under a lower
                       f"int digits {sys.get_int_max_str_digits()}"], ensure_ascii=True)


def _read(stamp: str) -> tuple[list[Rule], Prefilter] | None:
    """The rule set kept under `stamp`, its file touched (_used), or None."""
    name = _name(stamp)
    got = read_table(name, stamp, own=True)  # a pickle: only a file no one else could write
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
    _used(name)
    return loaded[0], loaded[1]


def rules_and_prefilter(paths: list[Path]) -> tuple[list[Rule], Prefilter]:
    """load_rules(paths) and Prefilter of them: read back when an earlier run derived them
    from the same files and code, else derived (and written for the next run)."""
    stamp = _stamp(paths)
    if stamp is not None and (cached := _read(stamp)) is not None:
        return cached
    loaded = load_rules(paths)
    gates = Prefilter(loaded)
    # Written only if the files did not change while load_rules read them (an editor's save, a
    # script swapping versions): else the rules of the new bytes would be kept under the old
    # bytes' stamp, and read back by a run that meets the old bytes again.
    if stamp is not None and _stamp(paths) == stamp:
        write_table(_name(stamp), stamp, {}, [pickle.dumps((loaded, gates), protocol=pickle.HIGHEST_PROTOCOL)])
        _keep_newest()
    return loaded, gates
