"""Load and validate configuration: one TOML file, checked whole before any input is read.

Every setting has one place (the SCHEMA below, mirrored by configs/default.toml), so a typo
or an out-of-range value is reported with the file, the key and the problem instead of
surfacing later as a wrong result.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import stat
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

def _find_default() -> Path:
    # A source checkout (editable install) keeps configs/ beside the package; a regular
    # install puts a copy under <prefix>/share/cleaner (pyproject's data-files).
    here = Path(__file__).resolve().parents[2] / "configs" / "default.toml"
    if here.exists():
        return here
    return Path(sys.prefix) / "share" / "cleaner" / "configs" / "default.toml"


DEFAULT_CONFIG = _find_default()


class ConfigError(Exception):
    """A configuration problem, already phrased for the user: file, key, reason."""

    def __init__(self, file: str | Path, key: str, reason: str):
        self.file, self.key, self.reason = str(file), key, reason
        super().__init__(f"{file}: {key}: {reason}")


@dataclass(frozen=True)
class Spec:
    kind: type[Any] | tuple[type[Any], ...]
    lo: float | None = None
    hi: float | None = None
    item: type[Any] | None = None  # element type for lists
    min_items: int = 0  # a list that must not be empty: 1


_PROB = Spec(float, 0.0, 1.0)
MAX_DAYS = 3_652_058  # from 0001-01-01 to 9999-12-31, the days between any two dates
SCHEMA: dict[str, dict[str, Spec]] = {
    # At most 1 TiB: far above any article, and below what the readers' size arguments
    # (a C ssize_t) take.
    "read": {"extensions": Spec(list, item=str, min_items=1), "max_file_bytes": Spec(int, 1, 1 << 40)},
    "extract": {
        "favor_precision": Spec(bool),
        "include_tables": Spec(bool),
        "include_comments": Spec(bool),
    },
    "boilerplate": {
        "rule_files": Spec(list, item=str),
        "protect_min_words": Spec(int, 1),
        "max_removed_fraction": _PROB,
        "certain_categories": Spec(list, item=str),
        "headline_max_words": Spec(int, 1, 100),
    },
    "templates": {
        "enabled": Spec(bool),
        "min_docs": Spec(int, 2),
        "min_share": Spec(float, 0.0, 1.0),
        "max_words": Spec(int, 1),
    },
    "language": {"sample_chars": Spec(int, 50), "min_chars": Spec(int, 0), "seed": Spec(int, 0, 2**32 - 1),
                 "trials": Spec(int, 1, 20)},
    # numpy's RandomState (datasketch's permutations) takes seeds below 2**32.
    "minhash": {"num_perm": Spec(int, 16, 1024), "seed": Spec(int, 0, 2**32 - 1)},
    "near": {
        "word_ngram": Spec(int, 1, 20),
        "char_ngram": Spec(int, 1, 20),
        "threshold": _PROB,
        "lsh_threshold": _PROB,
    },
    "story": {
        "threshold": _PROB,
        "max_term_docs": Spec(int, 2),
        "min_shared_terms": Spec(int, 1),
        "date_window_days": Spec(int, 0),
        "min_shared_lead_names": Spec(int, 0),
        "wording_overlap": Spec(float, 0.0, 1.0),
        "rarity_base": Spec(float, 1.0, 20.0),
        "lead_words": Spec(int, 0),
        "lead_boost": Spec(float, 1.0, 10.0),
        "date_weight": Spec(float, 0.0),
        "corpus_docs": Spec(int, 1),
        "split_ratio": Spec(float, 0.0, 1.0),
        "local_df_factor": Spec(float, 0.0, 1.0),
        "local_threshold": Spec(float, 0.0, 1.0),
        "outside_window_factor": Spec(float, 0.0, 1.0),
        # Every day a date can name (0001-01-01 to 9999-12-31): a state's window is asked of
        # SQLite by day number, and a day plus a larger span overflowed its 64-bit integers.
        "window_days": Spec(int, 0, MAX_DAYS),
        "window_batches": Spec(int, 0),
        "window_lead_names": Spec(bool),
    },
    "canonical": {"source_priority": Spec(list, item=str)},
    "run": {"workers": Spec(int, 0, 256), "cpu_time": Spec(bool), "dask_bands_on_client_up_to": Spec(int, 0)},
}


@dataclass
class Config:
    """Validated settings plus where they came from (for the manifest and rule paths)."""

    values: dict[str, dict[str, Any]]
    path: Path

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.values[section]

    def resolve(self, relative: str) -> Path:
        return (self.path.parent / relative).resolve()

    def rule_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.values["boilerplate"]["rule_files"]]

    def fingerprint(self) -> str:
        """A hash of the settings, with rule files by content (not by where they lie)."""
        values = copy.deepcopy(self.values)
        values["boilerplate"]["rule_files"] = [
            hashlib.sha256(p.read_bytes()).hexdigest() for p in self.rule_paths()
        ]
        return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


MAX_CONFIG_BYTES = 1 << 20  # a configuration or rule file is a few KB


class NotRegularFile(OSError):
    """A FIFO, a device or a socket where a file was expected."""


@overload
def open_regular(path: Path, mode: Literal["rb"] = "rb") -> BinaryIO: ...


@overload
def open_regular(path: Path, mode: Literal["r"], *, encoding: str, newline: str | None = None) -> TextIO: ...


def open_regular(path: Path, mode: str = "rb", **text_args: Any) -> IO[Any]:
    """Open a file for reading, refusing anything but a regular file: opened without
    blocking, so a FIFO nobody writes to cannot hang us, and checked before any read, so
    /dev/zero cannot fill memory. IsADirectoryError / NotRegularFile otherwise."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        kind = os.fstat(fd).st_mode
        if stat.S_ISDIR(kind):
            raise IsADirectoryError(21, "Is a directory", str(path))
        if not stat.S_ISREG(kind):
            raise NotRegularFile(0, "not a regular file (a FIFO or device)", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, mode, **text_args)
    except BaseException:
        os.close(fd)
        raise


def _read_small(path: Path) -> bytes:
    """The file's bytes; a FIFO or device is refused (open_regular), and so is an endless
    or huge file."""
    try:
        fh = open_regular(path)
    except NotRegularFile:
        raise ConfigError(path, "(file)", "not a regular file (a FIFO or device)") from None
    with fh:
        data = fh.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(path, "(file)", f"too large: over {MAX_CONFIG_BYTES} bytes")
    return data


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file. A UTF-8 byte order mark opening it (Windows editors write one) is
    skipped: tomllib took it for a statement ("Invalid statement (at line 1, column 1)")."""
    try:
        data = _read_small(path)
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16's BOM (UTF-32 LE's begins alike)
            raise ConfigError(path, "(file)", "UTF-16 or UTF-32 text (it opens with that byte order mark): "
                                              "save it as UTF-8")
        return tomllib.loads(data.decode("utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "no such file") from None
    except IsADirectoryError:
        raise ConfigError(path, "(file)", "is a folder, not a file") from None
    except OSError as exc:
        raise ConfigError(path, "(file)", f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "(file)", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", f"not valid TOML: {exc}") from None
    except ValueError as exc:  # tomllib's int() of 4,300+ digits raises this, not a TOMLDecodeError
        why = "an integer of more than 4,300 digits" if "digits" in str(exc) else str(exc)
        raise ConfigError(path, "(syntax)", f"not valid TOML: {why}") from None


# A value's type in TOML's words, which the user wrote (not Python's: "float", "str").
_TOML_TYPES = {bool: "a boolean (true or false)", int: "an integer", float: "a number", str: "a string",
               list: "an array", dict: "a table"}


def _toml_type(kind: type) -> str:
    return _TOML_TYPES.get(kind, kind.__name__)


def _toml_value(value: Any) -> str:
    """A value about as the TOML file wrote it ("high", true, [0.5]); an integer of more
    digits than a line should hold by its size (an error message is one line)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 40:
        return f"an integer of {len(str(abs(value))):,} digits"
    try:
        return json.dumps(value, ensure_ascii=False, default=str)[:200]
    except (ValueError, TypeError):
        return repr(value)[:200]


def _check(path: Path, key: str, value: Any, spec: Spec) -> Any:
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    if spec.kind is float and isinstance(value, int) and not isinstance(value, bool):
        try:
            value = float(value)
        except OverflowError:  # an integer past a float's range (10**309): no threshold
            raise ConfigError(path, key, f"must be a finite number, got {_toml_value(value)}") from None
    # bool is an int in Python; a threshold of `true` is a mistake, not 1.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(_toml_type(k) for k in kinds)
        got = _toml_type(type(value)).split(" (")[0]
        raise ConfigError(path, key, f"must be {names}, got {got} {_toml_value(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(path, key, f"must be a finite number, got {value}")
    if spec.kind is list and len(value) < spec.min_items:  # no extension: every input rejected
        raise ConfigError(path, key, "must not be empty" if spec.min_items == 1 else
                          f"must list at least {spec.min_items} items, got {len(value)}")
    if spec.item is not None:
        for i, item in enumerate(value):
            if not isinstance(item, spec.item):
                raise ConfigError(path, f"{key}[{i}]", f"must be {_toml_type(spec.item)}, got {_toml_value(item)}")
    if spec.lo is not None and value < spec.lo:
        raise ConfigError(path, key, f"must be at least {spec.lo}, got {_toml_value(value)}")
    if spec.hi is not None and value > spec.hi:
        raise ConfigError(path, key, f"must be at most {spec.hi}, got {_toml_value(value)}")
    return value


def _validate(path: Path, raw: dict[str, Any], base: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    values = copy.deepcopy(base)
    for section, body in raw.items():
        if section not in SCHEMA:
            # [[rule]] tables: a rule file given as --config (configs/rules/*.toml sits beside it)
            hint = ("; this is a rule file, not a configuration: name it in boilerplate.rule_files "
                    "of a configuration given to --config") if section == "rule" and isinstance(body, list) else ""
            raise ConfigError(path, section, f"unknown section (known: {', '.join(SCHEMA)}){hint}")
        if not isinstance(body, dict):
            raise ConfigError(path, section, "must be a table like [section]")
        for key, value in body.items():
            spec = SCHEMA[section].get(key)
            if spec is None:
                known = ", ".join(SCHEMA[section])
                raise ConfigError(path, f"{section}.{key}", f"unknown key (known: {known})")
            values.setdefault(section, {})[key] = _check(path, f"{section}.{key}", value, spec)
    return values


def _cross_checks(path: Path, values: dict[str, dict[str, Any]]) -> None:
    for tier in ("near",):
        if values[tier]["lsh_threshold"] > values[tier]["threshold"]:
            raise ConfigError(
                path, f"{tier}.lsh_threshold",
                f"must not exceed {tier}.threshold ({values[tier]['threshold']}): "
                "LSH would drop pairs that verification accepts",
            )
        from cleaner.dedup.bands import optimal_bands  # numpy only: no LSH index is built

        bands, rows = optimal_bands(values[tier]["lsh_threshold"], values["minhash"]["num_perm"])
        if bands < 2:  # datasketch's MinHashLSH refuses these too
            raise ConfigError(
                path, f"{tier}.lsh_threshold",
                f"{values[tier]['lsh_threshold']} cannot be used with minhash.num_perm "
                f"{values['minhash']['num_perm']} (LSH would have {bands} band of {rows} rows; "
                "it needs at least 2); lower it or raise num_perm",
            )
    story = values["story"]
    if story["wording_overlap"] == 0:
        raise ConfigError(path, "story.wording_overlap",
                          "is 0, so any two lines would be the same wording and no shared term would ever "
                          "count; use a word overlap above 0 (1: only lines of the same words)")
    if story["min_shared_lead_names"] > 0 and story["lead_words"] == 0:
        raise ConfigError(path, "story.lead_words",
                          "is 0, so no name is ever in a lead and story.min_shared_lead_names "
                          f"({story['min_shared_lead_names']}) would link nothing; raise it or set that to 0")
    exts = values["read"]["extensions"]
    for i, ext in enumerate(exts):
        if not ext.startswith(".") or len(ext) < 2:
            raise ConfigError(path, f"read.extensions[{i}]", f"must start with '.' and name a type (as '.txt'), got {ext!r}")


def load_config(path: str | Path | None = None) -> Config:
    """Defaults from configs/default.toml, overlaid with `path` when given; validated."""
    default_raw = read_toml(DEFAULT_CONFIG)
    values = _validate(DEFAULT_CONFIG, default_raw, {})
    missing = [f"{s}.{k}" for s, keys in SCHEMA.items() for k in keys if k not in values.get(s, {})]
    if missing:
        raise ConfigError(DEFAULT_CONFIG, missing[0], "missing from the default configuration")
    source = DEFAULT_CONFIG
    if path is not None:
        try:
            source = Path(path).resolve()
            if not source.exists() and Path(path).exists():  # /dev/stdin, <(...): a pipe resolves to "pipe:[N]"
                source = Path(os.path.abspath(path))
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python 3.11)
            raise ConfigError(Path(path), "(file)", f"cannot resolve the path: {exc}") from None
        raw = read_toml(source)
        values = _validate(source, raw, values)
        # Rule files named by a user config are relative to that file, default ones to theirs.
        if "rule_files" not in raw.get("boilerplate", {}):
            values["boilerplate"]["rule_files"] = [
                str((DEFAULT_CONFIG.parent / p).resolve()) for p in values["boilerplate"]["rule_files"]
            ]
        else:
            _check_rule_files(source, values, source.parent, "this file")
    _no_rules(source, raw if path is not None else {}, values)
    _cross_checks(source, values)
    return Config(values=values, path=source)


def _check_rule_files(source: Path, values: dict[str, dict[str, Any]], base: Path, relative_to: str) -> None:
    """A missing rule file named by its key, not only by the path it resolved to (`base / name`)."""
    for i, name in enumerate(values["boilerplate"]["rule_files"]):
        rule_file = base / name
        try:  # is_file() raises what it does not take for "absent" (a name too long, EACCES)
            problem = None if rule_file.is_file() else "is a folder, not a file" if rule_file.is_dir() \
                else "not a regular file (a FIFO or device)" if rule_file.exists() else "no such file"
        except OSError as exc:
            problem = f"cannot read: {exc.strerror or exc}"
        if problem is not None:
            raise ConfigError(source, f"boilerplate.rule_files[{i}]",
                              f"{name!r} ({rule_file}, relative to {relative_to}): {problem}")


def _no_rules(source: Path, raw: dict[str, Any], values: dict[str, dict[str, Any]]) -> None:
    """`rule_files = []` runs without boilerplate rules: the default certain_categories
    (categories of the shipped rules) then name nothing, and are dropped with them; given
    in the same file, they are an error that says why."""
    b = values["boilerplate"]
    if b["rule_files"] or not b["certain_categories"]:
        return
    if "certain_categories" in raw.get("boilerplate", {}):
        raise ConfigError(source, "boilerplate.certain_categories",
                          f"names rule categories ({', '.join(map(str, b['certain_categories']))}), but "
                          "boilerplate.rule_files is empty (no rules): set certain_categories = [] too")
    b["certain_categories"] = []


def config_from_dict(overrides: dict[str, dict[str, Any]] | None = None) -> Config:
    """Defaults overlaid with a dict (for the Python API); validated the same way."""
    if overrides is not None and not isinstance(overrides, dict):  # a state's stored one, edited
        raise ConfigError("<dict>", "(top)", f"must be a table of sections, got {_toml_type(type(overrides))} "
                                             f"{_toml_value(overrides)}")
    cfg = load_config()
    if overrides:
        values = _validate(Path("<dict>"), overrides, cfg.values)
        if isinstance(overrides.get("boilerplate"), dict) and "rule_files" in overrides["boilerplate"]:
            # Relative to configs/ (cfg.path), as the defaults name the shipped ones: a file of
            # the caller's own, given by a relative name, was "configs/NAME: (file): no such
            # file", its key unnamed and nothing saying where it was looked for.
            _check_rule_files(Path("<dict>"), values, cfg.path.parent,
                              "the default configuration's folder: a file of your own needs its whole path")
        _no_rules(Path("<dict>"), overrides, values)
        _cross_checks(Path("<dict>"), values)
        cfg = Config(values=values, path=cfg.path)
    return cfg
