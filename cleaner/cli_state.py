"""The verbs over a state file (store/state.py): `state info`, `state prune`, `state copy`, `export`,
and `show STATE ID` (cli.py's `show` hands a state file here). Readers open the state
read-only: they work while a run writes it."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cleaner.cli import GivenPath, _fail, _interrupted, _setup, cli, discard_output, echo_json, state_opened
from cleaner.core.config import Config
from cleaner.inspect.runs import as_written, guess_note, renamed_note
from cleaner.inspect.show import show_record, shown

if TYPE_CHECKING:  # imported where used
    from cleaner.dedup.cluster import Record
    from cleaner.store.state import State


def _reader(path: Path) -> State:
    from cleaner.store.state import State, StateError

    state_opened(path)
    try:
        return State(path, writer=False)
    except StateError as exc:
        hint = ""
        if os.path.isdir(path) and (path / "manifest.json").is_file():  # `cleaner state info clean/` (never raises)
            hint = ": it is a run's output folder; `cleaner report`, `show` and `explain` read it"
        _fail(f"{exc}{hint}")


def _day(value: str, option: str) -> int:
    try:
        return Date.fromisoformat(value).toordinal()
    except ValueError:
        _fail(f"{option} {value!r} is not a date (YYYY-MM-DD)")


@cli.group("state")
def state_group() -> None:
    """Inspect, prune or copy a state file (run --state STATE)."""


@state_group.command("info")
@click.argument("state_path", metavar="STATE", type=GivenPath(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def state_info(state_path: Path, as_json: bool) -> None:
    """Counts, size on disk and schema version of STATE."""
    state = _reader(state_path)
    try:
        info = state.info()
    finally:
        state.close()
    from cleaner.input.read import escaped_name

    # A byte of the name that is not UTF-8 as an escape (st\xff.db), as the manifest writes
    # it: a lone surrogate was "\udcff" in the JSON, which strict JSON readers refuse.
    info["path"] = escaped_name(info["path"])
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"{info['path']}: schema version {info['schema']}, {info['bytes'] / 1e6:.1f} MB")
    click.echo("  " + ", ".join(_counted(info[key], noun) for key, noun in (
        ("batches", "batch"), ("documents", "document"), ("copy_groups", "copy group"), ("records", "record"),
        ("events", "event"))))
    dates = (f"{info['first_date']} to {info['last_date']}" if info["first_date"] else "none")
    click.echo(f"  document dates: {dates}")


def _counted(n: int, noun: str) -> str:
    """'1 document', '2 documents', '1 batch', '0 batches'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith('ch') else 's'}"


@state_group.command("prune")
@click.argument("state_path", metavar="STATE", type=GivenPath(dir_okay=False, path_type=Path, file=True))
@click.option("--before", required=True, help="Remove records whose every document is dated before this day "
              "(YYYY-MM-DD); a record with an undated or a later document stays whole.")
@click.option("--wait", is_flag=True, help="Wait for a run writing STATE to finish instead of failing.")
def state_prune(state_path: Path, before: str, wait: bool) -> None:
    """Remove old records from STATE (their documents, keys and bands); events stay."""
    from cleaner.store.state import State, StateError

    before = Date.fromordinal(_day(before, "--before")).isoformat()
    if not state_path.is_file():
        _fail(f"state {state_path} does not exist")
    state_opened(state_path)
    try:
        state = State(state_path, wait=wait)
    except StateError as exc:
        _fail(str(exc))
    try:
        records, docs = state.prune(before, compact=False)
    except BaseException:
        state.close()
        raise
    done = (f"pruned {records} record{'' if records == 1 else 's'} ({docs} document{'' if docs == 1 else 's'}), "
            f"all of whose documents are dated before {before}, from {state_path}")
    not_smaller = None
    try:
        try:
            if records:
                state.compact()
        except (sqlite3.Error, OSError) as exc:
            # VACUUM writes the whole file again: it needs about the state's size free, which
            # a disk being pruned for lack of room may not have. It said "cannot use state
            # ...: database or disk is full", exit 2, of a prune that was committed.
            not_smaller = getattr(exc, "strerror", None) or str(exc)
        finally:
            try:
                state.close()  # copies the compacted file in from the journal: seconds for a big state
            except (sqlite3.Error, OSError) as exc:
                # The prune was committed before: closing (the WAL's last checkpoint, the
                # compacted file copied in) failing on the same full disk said "cannot use
                # state", exit 2, as if nothing were done (review-23).
                not_smaller = not_smaller or getattr(exc, "strerror", None) or str(exc)
    except KeyboardInterrupt:
        # The prune is committed: "interrupted" alone read as nothing done (tests/test_review21.py).
        _interrupted(f" after the prune was committed ({done}); the file may not have been made smaller")
    if not_smaller is not None:
        click.echo(shown(f"cleaner: error: the prune is committed ({done}), but the file was not made smaller: "
                         f"{not_smaller} (making it smaller writes it again: it needs about its size free; "
                         "the freed pages are used again by later batches)"), err=True)
        sys.exit(1)
    try:
        click.echo(done)
    except BrokenPipeError:
        raise  # the reader went away (| head): not an error
    except OSError as exc:  # stdout on a full disk: the prune is done, and must be said to be
        discard_output(sys.stdout.fileno())
        click.echo(f"cleaner: error: cannot write to stdout ({exc.strerror or exc}); the prune is committed: "
                   f"{done}", err=True)
        sys.exit(1)


@state_group.command("copy")
@click.argument("state_path", metavar="STATE", type=GivenPath(path_type=Path))
@click.argument("copy_path", metavar="COPY", type=GivenPath(path_type=Path, file=True))
def state_copy(state_path: Path, copy_path: Path) -> None:
    """Copy STATE to COPY (a new file), consistent even while a run writes STATE."""
    from cleaner.store.state import StateError

    # As `--state -` and `export --out -`: "-" is not stdout here (SQLite writes a file), and
    # it made a file named "-" in the current folder, which `rm -` cannot remove.
    if str(copy_path) == "-":
        _fail("state copy writes a file: COPY - is not stdout: give the copy a file name")
    # `cp STATE DIR/` copies into DIR: here a folder was "DIR exists: not overwritten", as if
    # the folder might have been replaced by the copy.
    if os.path.isdir(copy_path):  # os.path: a folder it cannot look into (EACCES) is not one here
        _fail(f"{copy_path} is a folder: give the copy's file name ({copy_path / state_path.name}, say)")
    state = _reader(state_path)
    try:
        info = state.info()
        state.copy_to(copy_path)
    except StateError as exc:
        _fail(str(exc))
    except OSError as exc:  # no permission to write there, a full disk
        _fail(f"cannot copy state {state_path} to {copy_path}: {exc.strerror or exc}")
    except sqlite3.Error as exc:  # the disk filled while SQLite wrote the copy
        _fail(f"cannot copy state {state_path} to {copy_path}: {exc}")
    finally:
        state.close()
    click.echo(f"copied {state_path} ({_counted(info['batches'], 'batch')}, "
               f"{_counted(info['documents'], 'document')}) to {copy_path}")


def state_config(state: State, config_path: Path | None) -> Config:
    """The configuration a state's records are rebuilt with: the one its last batch was
    run with (kept in the state), or --config, which must compare as the state was built
    (same MinHash and shingle settings)."""
    from cleaner.core.config import ConfigError, config_from_dict
    from cleaner.dedup.incremental import state_settings

    if config_path is not None:
        cfg, _ = _setup(config_path)
        if state.meta("settings") and state_settings(cfg) != state.meta("settings"):
            _fail(f"--config {config_path} has other MinHash/shingle settings ({state_settings(cfg)}) than "
                  f"state {state.path} ({state.meta('settings')}): leave --config out to use the state's own")
        return cfg
    stored = state.meta("config")
    try:
        return config_from_dict(json.loads(stored) if stored else None)
    except (ConfigError, ValueError) as exc:
        _fail(f"state {state.path} holds a configuration this cleaner cannot read ({exc}); pass --config")


def _records(state: State, cfg: Config, since: str | None) -> list[Record]:
    from cleaner.dedup.incremental import IncrementalClusterer

    clusterer = IncrementalClusterer(cfg, state)
    roots = list(state.roots())
    if since is not None:
        roots = state.roots_since(since)
    return clusterer.records(roots)


@cli.command("export")
@click.argument("state_path", metavar="STATE", type=GivenPath(path_type=Path))
@click.option("--out", "out_dir", required=True, type=GivenPath(path_type=Path), help="Output folder.")
@click.option("--since", help="Only records with a document dated on or after this day (YYYY-MM-DD).")
@click.option("--config", "config_path", type=GivenPath(path_type=Path),
              help="Configuration file (default: the one the state's last batch was run with).")
@click.option("-q", "--quiet", is_flag=True, help="No summary line on stderr (errors still show).")
def export(state_path: Path, out_dir: Path, since: str | None, config_path: Path | None, quiet: bool) -> None:
    """Write records.jsonl, documents.jsonl, report.html and manifest.json for everything
    STATE holds (or --since DATE). A state keeps its canonicals' texts only: other
    documents' rows have an empty text (their texts went out with their run's rows)."""
    from cleaner.core.document import Document
    from cleaner.exec.flow import RunResult
    from cleaner.store.outdir import refuse_reason
    from cleaner.store.output import write_outputs
    from cleaner.store.spool import LOCK_FILE, OutputBusy, lock_file

    if str(out_dir) == "-":
        _fail("export writes a folder: --out - is not supported")
    # As YYYY-MM-DD: the state compares dates as text (20251220 is a date too). An empty
    # one (`--since "$DAY"`, DAY unset) is refused as prune refuses it, not read as "all".
    if since is not None:
        since = Date.fromordinal(_day(since, "--since")).isoformat()
    problem = refuse_reason(out_dir, state_path)
    if problem:
        _fail(f"--out {out_dir} {problem}")
    state = _reader(state_path)
    try:
        cfg = state_config(state, config_path)
        records = _records(state, cfg, since)
    finally:
        state.close()
    docs = sorted((m.doc for r in records for m in r.members), key=Document.sort_key)
    for doc in docs:
        doc.features = None
    result = RunResult(docs, records)
    # The folders this export makes (OUT and any missing parent, deepest first): removed
    # again if it stops before its outputs are in place.
    made = []
    for folder in (out_dir, *out_dir.parents):
        if os.path.lexists(folder):
            break
        made.append(folder)
    lock = None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        # As a run does: a run writing into OUT now holds it (its checkpoint would be swapped away).
        lock = lock_file(out_dir / LOCK_FILE)
        write_outputs(result, out_dir, cfg, str(state_path), 0)
    except OutputBusy as exc:
        _fail(str(exc))
    except BaseException as exc:
        if made:  # made for this export and left empty (a full disk, Ctrl-C, SIGTERM): not left behind
            with contextlib.suppress(OSError):
                (out_dir / LOCK_FILE).unlink(missing_ok=True)
                for folder in made:  # `--out new/run`: `new` too
                    folder.rmdir()
        if not isinstance(exc, OSError):
            raise
        _fail(f"cannot write to {out_dir}: {exc.strerror or exc}")
    finally:
        if lock is not None:  # as a run's checkpoint does: the name first, then the lock
            (out_dir / LOCK_FILE).unlink(missing_ok=True)
            os.close(lock)
    if not quiet:
        c = result.counts()
        click.echo(f"{c['inputs']} documents, {c['records']} records from {state_path} in {out_dir}/", err=True)


def show_state(state_path: Path, some_id: str, as_json: bool) -> None:
    """`show STATE ID`: the record (ID = rec-..., or a document id: its record) as STATE
    holds it now, with its history of events."""
    from cleaner.dedup.incremental import IncrementalClusterer

    state = _reader(state_path)
    try:
        some_id = as_written(some_id)
        root = state.root_of_record(some_id) if some_id.startswith("rec-") else None
        as_record = root is not None
        if root is None:  # a document's id (which may start with rec- too)
            root = state.root_of_doc(some_id)
        if root is None:
            gone = state.pruned(some_id)
            if gone is not None:  # its events stay: `show` says what became of it
                what = "record" if gone == some_id else f"document (of record {gone})"
                _fail(f"{some_id!r} is not in state {state_path}: this {what} was removed by `cleaner state prune` "
                      "(its events stay; the prune keeps nothing else of it)")
            note = renamed_note(state.renamed_ids(some_id)) or guess_note(state.similar_ids(some_id))
            _fail(f"{some_id!r} is not in state {state_path}"
                  + (note or " (never added, or removed by `cleaner state prune`)"))
        (record,) = IncrementalClusterer(state_config(state, None), state).records([root])
        row = record.to_json()
        row["events"] = state.events_of(row["record_id"])
        if as_record and some_id != row["record_id"]:
            row["events"] = state.events_of(some_id) + row["events"]
    finally:
        state.close()
    if as_json:
        echo_json(row)
        return
    lines = show_record(row)
    lines.append(f"history ({len(row['events'])} events):")
    for e in row["events"]:
        detail = ", ".join(f"{k} {v}" for k, v in e.items() if k not in ("batch", "event", "record_id"))
        lines.append(shown(f"  batch {e['batch']}: {e['event']} {e['record_id']}" + (f" ({detail})" if detail else "")))
    click.echo("\n".join(lines))
