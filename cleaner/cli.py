"""Command line: `cleaner run INPUT --out DIR`; `clean FILE`; and, over a finished run's
folder, `report OUT`, `show OUT ID`, `explain OUT A B`, `eval OUT GOLD`.

Usage and configuration problems end with one line on stderr and exit code 2; a run that
completes exits 0 even when some inputs were rejected (they are listed in the output),
or 1 with --strict; with --strict, a programming error in a stage stops the run with exit 3.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import signal
import sqlite3
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

# Before numpy loads (through the imports below): OpenBLAS then starts no threads of its
# own. cleaner makes no use of them (its numpy work is element-wise, sorting and indexing;
# bands.py's one product has a few hundred elements), and on load each spun, waiting for
# work, until the workers forked: ~0.1 CPU s of a run's serial start on 2 cores, taken
# from the other processes on a busy machine (BENCHMARKS.md, thru-20). A value the user
# set stays.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402  (after the line above, on purpose)
from click.core import ParameterSource

from cleaner import __version__
from cleaner.core.config import Config, ConfigError, load_config
from cleaner.inspect.show import render_marked, show_document, show_record, show_summary, shown

if TYPE_CHECKING:  # imported where used, so that the CLI starts without loading them
    from cleaner.core.document import Document
    from cleaner.dedup.incremental import IncrementalClusterer
    from cleaner.exec.dask_engine import DaskExecutor
    from cleaner.exec.local import LocalExecutor
    from cleaner.inspect.runs import Run
    from cleaner.stages.build import Stages
    from cleaner.store.state import State

EXIT_USAGE = 2
EXIT_REJECTED = 1  # --strict: the run completed, and some inputs were rejected
EXIT_BUG = 3  # --strict: a stage failed with a programming error; the run stopped (resumable)
EXIT_INTERRUPTED = 130
# What a MemoryError means: no OOM killer's SIGKILL, an allocation refused (cli.main, run, stream).
OUT_OF_MEMORY = "out of memory (MemoryError: a memory limit was reached, ulimit -v or a container's)"
# A write that failed for want of room or of a working disk, not a bug.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


log = logging.getLogger("cleaner")


class GivenPath(click.Path):
    """A path that is not the empty string: `cleaner report ""` (an unset shell variable)
    read as Path("") is ".", so it named the current folder, and `--out ""` wrote there.
    A leading "~" is the user's home, as the shell reads it where it expands one. `file`:
    the path names a file cleaner writes (a state, a state's copy), so a name ending in "/"
    (a folder's, as `cp s.db backups/` reads it) is refused: Path("backups/") is "backups",
    and the state was written as a file named after the folder the user meant."""

    def __init__(self, *args: Any, file: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file = file

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value == "":
            self.fail("is empty: give a path (an unset shell variable?)", param, ctx)
        if isinstance(value, str) and value.startswith("~"):
            # `--out=~/clean`: the shell leaves a tilde after "--out=" as it is, and a
            # folder named "~" in the current one is a trap (`rm -rf ~` to remove it).
            # First: `--state=~/states/` names a folder that exists (review-24).
            value = os.path.expanduser(value)
        if self.file and isinstance(value, str) and value.endswith(("/", os.sep)) and not os.path.isdir(value):
            # (An existing folder is said so below: click's "is a directory", `state copy`'s own.)
            self.fail(f"{value} ends in '/', as a folder's name does, and there is no such folder: "
                      "give a file's name", param, ctx)
        return super().convert(value, param, ctx)


class _Shown(logging.Formatter):
    """A message's paths and ids are data, never terminal commands (ESC) or a second line."""

    def format(self, record: logging.LogRecord) -> str:
        return shown(super().format(record))


def _logging(verbose: bool, quiet: bool) -> None:
    """cleaner's messages go through `logging` (logger "cleaner"), on stderr: notes at
    WARNING (hidden by -q), details at INFO (-v); errors always show."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Shown("cleaner: %(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING)


def _fail(message: str) -> NoReturn:
    message = shown(message)  # one line, whatever a path or an id in it holds (a newline, ESC)
    log.error("error: %s", message) if log.handlers else click.echo(f"cleaner: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _interrupted(more: str = "") -> NoReturn:
    """Ctrl-C: one line and the shell's code for SIGINT (128 + 2), no traceback."""
    click.echo(f"cleaner: interrupted{more}", err=True)
    sys.exit(EXIT_INTERRUPTED)


_MAIN_PID = os.getpid()  # set again by main(): the process whose SIGTERM ends the run


def _terminated(signum: int, frame: FrameType | None) -> NoReturn:
    """SIGTERM (kill, a job scheduler stopping us) ends the run as Ctrl-C does: temporary
    files removed, a checkpoint kept for --resume, a state's open batch rolled back."""
    if os.getpid() != _MAIN_PID:
        # A pool worker forked with this handler, stopped before its initializer reset it
        # (a pool torn down at once, as for an empty stdin): a KeyboardInterrupt there
        # left it waiting on its task queue and the pool's join hung. Die as SIGTERM would.
        os._exit(128 + signum)
    raise KeyboardInterrupt


_SWALLOWED_INTERRUPT = False  # a Ctrl-C that Python could not raise (see _unraisable)


def _unraisable(unraisable: Any) -> None:
    """A Ctrl-C that lands while Python runs a __del__ or a GC callback (a Dask or asyncio
    object's, on the main thread) cannot be raised there: Python prints "Exception ignored"
    and the run goes on to exit 0. Kept silent here, and reported when the command returns."""
    global _SWALLOWED_INTERRUPT
    if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
        _SWALLOWED_INTERRUPT = True
        return
    sys.__unraisablehook__(unraisable)


def _cache_folder() -> list[Path]:
    """The user's cache folder (dedup/zipf_cache.cache_dir), if one can be named (no home
    folder: none)."""
    from cleaner.dedup.zipf_cache import cache_dir

    try:
        return [cache_dir()]
    except (RuntimeError, KeyError, OSError):  # Path.home() without a home
        return []


def _never_read(state_path: Path | None) -> list[Path]:
    """What a run never reads as input, wherever it lies: cleaner's cache folder (its tables
    and wordfreq lists, growing run after run) and the state with its journal and lock."""
    never = _cache_folder()
    if state_path:  # the state's module is loaded by now (the run opened it)
        from cleaner.store.state import COMPANIONS

        never += [Path(f"{state_path}{suffix}") for suffix in ("", *COMPANIONS)]
    return never


def _from_interrupt(exc: BaseException) -> bool:
    """Whether `exc` was raised while handling a Ctrl-C."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _setup(path: str | Path | None) -> tuple[Config, Stages]:
    """Configuration and stages, built (and so validated, rule files included) before any
    input is read."""
    from cleaner.stages.build import build_stages

    try:
        cfg = load_config(path)
        return cfg, build_stages(cfg)
    except ConfigError as exc:
        _fail(f"bad configuration: {exc}")


def _check_out(input_path: Path, out_dir: Path) -> None:
    """Refuse an output folder that would mix with the input, or that holds anything but a
    cleaner run (a run replaces the whole folder): before anything is written."""
    from cleaner.store.outdir import refuse_reason

    problem = refuse_reason(out_dir, input_path)
    if problem:
        _fail(f"--out {out_dir} {problem}")


def _workers(cfg: Config, requested: int | None, quiet: bool) -> int:
    """The worker count a run uses (--workers, else run.workers), with a note when lowered."""
    from cleaner.exec.local import resolve_workers

    requested = cfg["run"]["workers"] if requested is None else requested
    workers = resolve_workers(requested)
    if requested > workers:
        log.warning("note: %d workers is more than 4 per core; using %d", requested, workers)
    return workers


def _strict_mode(strict: bool) -> None:
    from cleaner.core.stage import STRICT_ENV

    if strict:  # a bug in a stage stops the run (workers inherit the environment)
        os.environ[STRICT_ENV] = "1"


def _stage_bug(exc: BaseException) -> NoReturn:
    # shown: one line, whatever the message quotes from an input (a newline, ESC)
    click.echo(shown(f"cleaner: internal error (a bug, please report it): {exc}"), err=True)
    sys.exit(EXIT_BUG)


# The state file a verb has opened: SQLite checks a page only when it reads it, so a state
# damaged deep inside opens fine and fails later, anywhere it is read (main() names it).
_STATE_OPENED: list[Path] = []


def state_opened(path: Path) -> None:
    _STATE_OPENED.append(path)


def _state_damaged(exc: sqlite3.DatabaseError) -> NoReturn:
    path = _STATE_OPENED[-1]
    # A full disk, an I/O error: the file may be fine. A table or column it lacks is the
    # file's own damage (dropped by another program): "cannot use" read as a passing fault.
    if isinstance(exc, sqlite3.OperationalError) and not str(exc).startswith(("no such table", "no such column")):
        _fail(f"cannot use state {path}: {exc}")
    _fail(f"state {path} is damaged ({exc}): restore it from a copy, or start a new one")


def open_state(path: Path, cfg: Config, wait: bool) -> State:
    """The state a run writes to (store/state.py), or a one-line error."""
    from cleaner.dedup.incremental import state_settings
    from cleaner.store.state import State, StateError

    state_opened(path)
    try:
        return State(path, state_settings(cfg), wait=wait)
    except StateError as exc:  # a name over 255 bytes too (State's own path checks)
        _fail(str(exc))


def make_executor(cfg: Config, engine: str, scheduler: str | None, workers: int,
                  quiet: bool, stages: Stages | None = None) -> LocalExecutor | DaskExecutor:
    """The engine that runs the per-document stages (exec/local.py or exec/dask_engine.py).
    `stages`: set up here before a local Dask cluster's workers fork (DaskExecutor.warm)."""
    if scheduler is not None and not scheduler.strip():
        _fail("--scheduler is empty: give the scheduler's address, or leave it out for a local cluster")
    if engine == "local":
        from cleaner.exec.local import LocalExecutor

        return LocalExecutor(workers, cpu_time=cfg["run"]["cpu_time"])
    from cleaner.exec.dask_engine import DaskError, DaskExecutor, DaskMissing

    try:
        executor = DaskExecutor(workers, scheduler, cpu_time=cfg["run"]["cpu_time"],
                                warm=stages.mapped() if stages is not None else [])
    except (DaskMissing, DaskError) as exc:
        _fail(str(exc))
    for note in executor.notes:
        log.warning("%s", note)
    return executor


def _clusterer(cfg: Config, state: State | None, commit: bool = True, workers: int = 1) -> IncrementalClusterer | None:
    """A state's clusterer; `workers`: the local engine's processes, which the story tier's
    larger steps use too (exec/forked.py)."""
    if state is None:  # a run without a state never imports the state's modules
        return None
    from cleaner.dedup.incremental import IncrementalClusterer

    return IncrementalClusterer(cfg, state, commit, workers=workers)


class Summarised(Protocol):
    """What the summary reports on: a run's result (exec/flow.RunResult), or a stream's
    totals over its batches (cli_stream)."""

    @property
    def documents(self) -> list[Document]: ...

    def counts(self) -> dict[str, int]: ...


def _where(doc: Document) -> str:
    """Where a rejected document was read: `feed.jsonl:3` for a JSONL line (an editor's
    file:line), `list.json item 2` for an item of a JSON list, else its file."""
    if doc.line is None:
        return doc.source
    from cleaner.input.read import STDIN_SOURCE, is_jsonl

    return f"{doc.source}:{doc.line}" if doc.source == STDIN_SOURCE or is_jsonl(doc.source) else \
        f"{doc.source} item {doc.line}"


def _without_line(doc: Document) -> str:
    """The reason, without the "line N: " that _where already gives."""
    error = doc.error or ""
    prefix = f"line {doc.line}: "
    return error[len(prefix):] if doc.line is not None and error.startswith(prefix) else error


def rejection_order(doc: Document) -> tuple[str, int]:
    """The order the summary lists rejections in: by file and line (not by id: as strings,
    `feed:10` sorts before `feed:2`)."""
    return doc.source, doc.line or 0


def _finish(result: Summarised, where: str, started: float, workers: int, quiet: bool, strict: bool,
            more: str = "") -> None:
    """The summary and the first rejections on stderr; exit 1 under --strict if any."""
    c = result.counts()
    if not quiet:
        click.echo(
            f"{c['inputs']} inputs: {c['kept']} kept, {c['duplicates']} duplicates, "
            f"{c['rejected']} rejected -> {c['records']} records {where} "
            f"({time.perf_counter() - started:.1f}s, {workers} worker(s){more})", err=True)
        for doc in sorted((d for d in result.documents if not d.ok), key=rejection_order)[:20]:
            click.echo(shown(f"  rejected {_where(doc)}: {_without_line(doc)}"), err=True)
        if c["rejected"] > 20:  # 20 lines alone read as all of them (20,000 empty files)
            click.echo(f"  ... and {c['rejected'] - 20} more rejected (each a row with its reason)", err=True)
    timings = getattr(result, "timings", None)
    if timings:
        log.info("seconds per stage: %s", ", ".join(f"{k} {v:.2f}" for k, v in sorted(timings.items())))
    if strict and c["rejected"]:
        click.echo(f"cleaner: --strict: {c['rejected']} input(s) rejected", err=True)
        sys.exit(EXIT_REJECTED)


def _stdout_closed() -> bool:
    """Whether stdout is a pipe whose reader went away (`| head`): poll says POLLERR."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError):
        return False


def discard_output(fd: int) -> None:
    """Point `fd` at /dev/null: what its stream still buffers goes nowhere, so no flush
    fails at exit (a closed pipe, a full disk). The extra descriptor is closed."""
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def reader_gone() -> NoReturn:
    """stdout's reader closed early (`cleaner show ... | head -1`): exit 0 without a word,
    as `run --out -` does; nothing is left to flush at exit."""
    discard_output(sys.stdout.fileno())
    sys.exit(0)


class _Verbs(click.Group):
    """The verbs; a closed stdout (`| head`) ends any of them quietly, with exit 0 (click
    itself would exit 1 without a word)."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:  # --help and --version print here
            return super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError:
            _broken_pipe()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _broken_pipe()


def _broken_pipe() -> NoReturn:
    if _stdout_closed():  # not another pipe's (a worker's, a scheduler's): that is an error
        reader_gone()
    raise  # noqa: PLE0704 - the BrokenPipeError being handled


@click.group(cls=_Verbs, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="cleaner")
def cli() -> None:
    """Turn a folder of raw news articles into clean, deduplicated records with provenance."""


class _Messages:
    """stderr, for messages only: one that cannot be written (closed, `2>&-`; a full disk,
    `2>/dev/full`; a reader gone) loses the messages, never the run: the exit status is
    what the command decided (a completed run exited 1 or 2, its outputs written)."""

    def __init__(self, stream: Any):
        self._stream = stream

    def _lost(self) -> None:
        try:  # what the stream still buffers goes nowhere, so no flush fails at exit (status 120)
            discard_output(self._stream.fileno())
        except (OSError, ValueError):
            pass

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except (OSError, ValueError):
            self._lost()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError):
            self._lost()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _legacy_terminal() -> None:
    """A terminal (or PYTHONIOENCODING) in an encoding that lacks some of a text's letters
    (latin-1 and Cyrillic): what it cannot encode is written as escapes (`\\u0412`), as
    control characters are, instead of ending `report` or `show` in a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            try:
                stream.reconfigure(errors="backslashreplace")
            except (OSError, ValueError):
                pass


def echo_json(data: Any) -> None:
    """`--json` output: UTF-8 as it is where stdout can write every character, else with
    JSON's own escapes (a latin-1 terminal), so it stays JSON either way."""
    import json

    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("_", "-")
    click.echo(json.dumps(data, indent=2, ensure_ascii=encoding not in ("utf-8", "utf8")))


def main(argv: list[str] | None = None) -> None:
    """Entry point: click's usage errors become the same one-line error as ours.

    Called in a caller's process (`main(argv)`: a job, a test), it gives back the SIGTERM
    handler it found: a SIGTERM arriving later raised KeyboardInterrupt in whatever the
    caller ran then. (The unraisable hook stays: the run's objects are finalised after main
    returns, at the caller's exit too, and a Ctrl-C there is silenced, not printed as
    "Exception ignored ... KeyboardInterrupt": tests/test_review21.py.) From a thread that
    is not the main one, whose SIGTERM Python cannot handle, it leaves SIGTERM as it is (it
    raised ValueError there)."""
    global _MAIN_PID, _SWALLOWED_INTERRUPT
    _MAIN_PID = os.getpid()
    _SWALLOWED_INTERRUPT = False  # an earlier call's, in the same process
    _legacy_terminal()
    if sys.stderr is not None and not isinstance(sys.stderr, _Messages):
        sys.stderr = _Messages(sys.stderr)
    handler = signal.signal(signal.SIGTERM, _terminated) \
        if threading.current_thread() is threading.main_thread() else None
    sys.unraisablehook = _unraisable
    try:
        _command(argv)
    finally:
        # The caller's process goes on (None: signal.signal's "not set from Python").
        if argv is not None and handler is not None:
            signal.signal(signal.SIGTERM, handler)


def _command(argv: list[str] | None) -> None:
    try:
        code = cli.main(args=argv, prog_name="cleaner", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.NoSuchOption) and not exc.option_name.startswith("--") and not exc.possibilities \
                and exc.ctx is not None and any(isinstance(p, click.Argument) for p in exc.ctx.command.params):
            # `cleaner show OUT -x`: an id, a path or a name may begin with "-" (not "--bogus":
            # a mistyped option, which click's own "Did you mean" covers)
            hint = f" (a value that begins with '-': put -- before it, e.g. cleaner {exc.ctx.info_name} ... -- {exc.option_name})"
        _fail(exc.format_message().replace("\n", " ") + hint)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            _interrupted()
        if isinstance(exc.__cause__, EOFError):  # and an EOFError from anywhere (a broken .gz read once did)
            _fail(f"unexpected end of data (EOFError: {exc.__cause__ or 'no detail'}): an internal error, "
                  "a bug: please report it")
        _fail("aborted")
    except sqlite3.DatabaseError as exc:
        # Found damaged after it opened (see _STATE_OPENED); a misuse of sqlite3 is a bug.
        if not _STATE_OPENED or isinstance(exc, sqlite3.ProgrammingError):
            raise
        _state_damaged(exc)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG and exc.filename is not None:
            # A path given with a name over the file system's 255 bytes: pathlib's exists() and
            # is_file() raise it (they answer False for a missing file alone), in --out, a state...
            from cleaner.store.state import path_problem

            _fail(f"cannot use {os.fsdecode(exc.filename)}: {path_problem(exc)}")
        if exc.errno not in _WRITE_ERRNOS:
            raise
        # What the commands print, redirected to a full disk (`cleaner show ... > f`): the
        # errors of their own files are caught where they are written.
        discard_output(sys.stdout.fileno())
        _fail(f"cannot write the output: {exc.strerror or exc}")
    except MemoryError:
        # A memory limit reached (`ulimit -v`, RLIMIT_AS: an allocation fails, where the OOM
        # killer's SIGKILL is "a worker process died"), here or in a forked child that sent
        # it back: Python's traceback, exit 1 (review-24). Raised, it unwound what it held.
        _fail(OUT_OF_MEMORY)
    except Exception as exc:
        if _from_interrupt(exc):  # a library turned Ctrl-C into its own error (langdetect does)
            _interrupted()
        raise
    if _SWALLOWED_INTERRUPT:  # the command finished all the same: its outputs are complete
        _interrupted(" (the command had finished: what it wrote is complete)")
    if argv is None:  # the process's own command line: it ends now
        _before_exit()
    sys.exit(code if isinstance(code, int) else 0)


def _before_exit() -> None:
    """The interpreter's exit collects garbage over every object the run kept (its slim
    documents, the loaded tables) before freeing them: ~0.07 s of a 3,000-document run's
    serial time for nothing (BENCHMARKS.md, "par-18g"). Frozen, they are left out of
    that walk (and still freed as before). Only for a process about to exit: a caller of
    main(argv) in a longer-lived process keeps its collector as it was."""
    import gc

    gc.freeze()


# What a run made (its documents, records, stages), kept here by `run` when `command` ends
# the process: freed object by object when `run` returned, ~8 ms of a 3,000-document run's
# serial end for memory the process's end gives back at once. None: main() alone (a
# caller's process, the bench's runner), which frees them as before.
_KEPT: list[object] | None = None


def command() -> NoReturn:
    """The `cleaner` command (pyproject's script, `python -m cleaner`): main(), then the
    process ends as the interpreter's exit would end it, without that exit's teardown.

    The interpreter's exit frees every object one by one (the run's slim documents, the
    stages' tables, every module): ~0.03-0.05 CPU s of a 3,000-document run's serial end,
    for memory the OS takes back at once (#18 points 2 and 3). What that exit does that
    matters is done first, in its order: no thread other than this one runs (else the
    ordinary exit, which waits for them), the atexit handlers (logging's flush, Python's
    and multiprocessing's finalizers, any a user registered), stdout and stderr flushed
    (an error there: the ordinary exit, which reports it with status 120, as before).
    The outputs are closed, fsynced and renamed into place before main() returns (the
    spool's and the output folder's files are written unbuffered, or closed by `with`)."""
    global _KEPT
    _KEPT = []
    try:
        main()
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    _end(code)


def _end(code: Any) -> NoReturn:
    """Exit with `code` (sys.exit's meaning) at once where that is the same as an ordinary
    exit for everything outside this process (command)."""
    import atexit

    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)  # CPython's: what its exit calls
    if not isinstance(code, int) or run_exitfuncs is None or threading.active_count() != 1:
        sys.exit(code)
    run_exitfuncs()  # each once: the ordinary exit, if it comes below, finds none left
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except BaseException:  # noqa: BLE001 - the ordinary exit meets it again and reports it
        sys.exit(code)
    os._exit(code)


@cli.command()
@click.argument("input_arg", metavar="INPUT")
@click.option("--out", "out_dir", default="clean", show_default=True, type=GivenPath(allow_dash=True, path_type=Path),
              help="Output folder: documents.jsonl, records.jsonl, report.html (with report-pages/), manifest.json; "
                   "- writes documents.jsonl rows to stdout instead.")
@click.option("--config", "config_path", type=GivenPath(path_type=Path),
              help="Configuration file (default: configs/default.toml).")
@click.option("--workers", type=click.IntRange(min=0, max=256), default=None,
              help="Worker processes for per-document stages (0 = all cores; at most 4 per core; "
                   "default: run.workers).")
@click.option("-q", "--quiet", is_flag=True, help="No progress, notes or summary on stderr (errors still show).")
@click.option("-v", "--verbose", is_flag=True, help="More on stderr: seconds per stage, each batch committed.")
@click.option("--resume", is_flag=True,
              help="Continue a run into the same --out that was interrupted (killed, crashed, out of "
                   "disk): inputs it finished are not processed again.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any input was rejected, and stop "
              "with status 3 at a programming error in a stage (without it, that document is rejected).")
@click.option("--state", "state_path", type=GivenPath(dir_okay=False, path_type=Path, file=True),
              help="Deduplicate against everything this state file (SQLite) holds, then add the input to it.")
@click.option("--wait", is_flag=True, help="Wait for another run writing --state to finish instead of failing.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where the per-document stages run: worker processes here, or a Dask cluster "
                   "(pip install 'cleaner[dask]'); the output is the same.")
@click.option("--scheduler", help="With --engine dask: the scheduler's address (default: a local cluster "
              "of --workers processes).")
@click.option("--batch-size", type=click.IntRange(min=1), default=1000, show_default=True,
              help="With --out -: lines per batch (fewer when the input pauses); each batch is decided, "
                   "committed to --state and written before the next.")
def run(input_arg: str, out_dir: Path, config_path: Path | None, workers: int | None, quiet: bool,
        verbose: bool, resume: bool, strict: bool, state_path: Path | None, wait: bool, engine: str, scheduler: str | None,
        batch_size: int) -> None:
    """Clean, detect language and cluster every document under INPUT (a folder or a file;
    - reads JSONL from stdin)."""
    from cleaner.store.output import write_outputs
    from cleaner.exec.flow import run_documents
    from cleaner.exec.local import WorkerError
    from cleaner.store.checkpoint import Checkpoint
    from cleaner.store.spool import PARTIAL_DIR, OutputBusy, ResumeError
    from cleaner.core.stage import StageBug

    if quiet and verbose:  # -q won without a word: a user asking for -v's lines saw none (review-25)
        _fail("-q and -v ask for less and more on stderr: give one of them")
    _logging(verbose, quiet)
    from cleaner.input.urls import is_url

    url = is_url(input_arg)  # an fsspec URL: listed here, its files read by the workers
    input_path = Path(input_arg)
    if not url and input_arg != "-" and not os.path.exists(input_arg):
        _fail(f"Invalid value for 'INPUT': Path '{input_arg}' does not exist.")
    if url:
        from cleaner.input.urls import check_url

        problem = check_url(input_arg)
        if problem:
            _fail(problem)
    from_stdin, to_stdout = input_arg == "-", str(out_dir) == "-"
    if state_path is not None and not str(state_path).strip():  # it made a state named " " in the current folder
        _fail("--state needs a file name, got a blank one")
    if state_path is not None and str(state_path) == "-" and not state_path.exists():
        # As --out - is stdout, a user may read --state - as a stream: it made a state file
        # named "-" in the current folder (which `rm -` cannot remove).
        _fail("--state - is not stdin or stdout: a state is a file that later runs continue; give it a name")
    if not (to_stdout and state_path) and \
            click.get_current_context().get_parameter_source("batch_size") is not ParameterSource.DEFAULT:
        log.warning("note: --batch-size applies to a stream into a state (--out - --state STATE); "
                    "this run is one batch")
    # Python sets sys.stdin/stdout to None when the descriptor is closed (`<&-`, `>&-`).
    if from_stdin and sys.stdin is None:
        _fail("stdin is closed: INPUT - reads JSONL from it (give a file or folder, or pipe the JSONL in)")
    if to_stdout and sys.stdout is None:
        _fail("stdout is closed: --out - writes the rows there (give a folder, or redirect stdout to a file)")
    if from_stdin and not quiet and sys.stdin.isatty():  # typed at a prompt, `run -` would wait in silence
        log.warning("reading JSONL from stdin (one object a line); Ctrl-D ends the input")
    if wait and not state_path:
        log.warning("note: --wait waits for another run writing --state; without --state there is none to wait for")
    if not from_stdin and not url and not (input_path.is_dir() or input_path.is_file()):
        _fail(f"{input_path} is not a folder or a regular file (a pipe or a device?); "
              "use - to read JSONL from stdin")
    if not from_stdin and not url and input_path.is_dir():
        from cleaner.store.outdir import MANIFEST, is_cleaner_manifest

        if is_cleaner_manifest(input_path / MANIFEST):  # `cleaner run clean/ --out clean2/`: a slip, most likely
            log.warning("note: INPUT %s is a cleaner run's output folder: its documents.jsonl, records.jsonl and "
                        "manifest.json are read as input (give the folder the run read to clean it again)",
                        input_path)
    if to_stdout:
        if resume:
            _fail("--resume needs an output folder; with --out - there is no checkpoint to resume")
        from cleaner.cli_stream import stream_run

        stream_run(input_arg if url else input_path, config_path, workers, quiet, strict, state_path, wait, batch_size, engine, scheduler)
        return
    # Before the executor is made: a Dask LocalCluster's workers exist from then on, and
    # see only the environment they started with.
    _strict_mode(strict)
    cfg, stages = _setup(config_path)
    workers = _workers(cfg, workers, quiet)
    _check_out(Path(os.devnull) if url else input_path, out_dir)
    if scheduler and engine != "dask":
        _fail("--scheduler needs --engine dask")
    if state_path and out_dir.resolve() in state_path.resolve().parents:
        _fail(f"--state {state_path} is inside --out {out_dir}, which every run replaces: keep it elsewhere")
    state = open_state(state_path, cfg, wait) if state_path else None
    # The state's batch is committed once the output folder is written: a failed write
    # leaves the state as it was, and --resume redoes the same batch.
    clusterer = _clusterer(cfg, state, commit=False, workers=workers if engine == "local" else 1)
    executor = make_executor(cfg, engine, scheduler, workers, quiet, stages)
    started = time.perf_counter()
    from cleaner.core.provenance import run_fingerprint

    from cleaner.store.spool import META

    interrupted = (out_dir / PARTIAL_DIR / META).is_file()  # before Checkpoint makes one
    try:
        # Per-document results are reused only by the same settings and the same code.
        checkpoint = Checkpoint(out_dir, run_fingerprint(cfg), resume)
    except OutputBusy as exc:
        _fail(str(exc))
    except ResumeError as exc:
        _fail(f"cannot resume: {exc}")
    except OSError as exc:
        _fail(f"cannot write to {out_dir}: {exc.strerror or exc}")
    from cleaner.store.outdir import remove_stale

    try:
        remove_stale(out_dir)  # killed runs' leftovers: ours to remove now that we hold the lock
    except OSError as exc:
        checkpoint.close(keep=True)
        _fail(f"cannot write to {out_dir}: {exc.strerror or exc}")
    if checkpoint.discarded:
        log.warning("note: an interrupted run's partial results in %s/%s were discarded (--resume continues one)",
                    out_dir, PARTIAL_DIR)
    held = len(checkpoint.done)
    if resume and not interrupted:
        log.warning("note: --resume: %s holds no interrupted run's checkpoint; this is a whole run", out_dir)
    elif resume:
        log.warning("resuming: the checkpoint holds %d processed documents", held)

    # Nor the output folder.
    never_read = [out_dir, *_never_read(state_path)]
    progress = None
    if not quiet and not from_stdin and not url:  # a stream's length is unknown
        from cleaner.exec.progress import ProgressBar, count_inputs

        progress = ProgressBar(count_inputs(input_path, exclude=never_read))

    from cleaner.input.read import read_input

    docs = read_input(input_arg if url else input_path, cfg, exclude=never_read)
    from cleaner.exec.closing import Closing

    closing = None
    resumable = f"; `cleaner run ... --out {out_dir} --resume` continues from its checkpoint"
    try:
        with executor.reaching():  # a Dask cluster lost: one line (core/protocols.Executor)
            result = run_documents(docs, cfg, workers=workers, progress=progress, stages=stages, spool=checkpoint,
                                   clusterer=clusterer, label=input_arg, executor=executor)
        # Done with the engine: a cluster closes (1-2 s) while the outputs are written.
        closing = Closing(executor)
    except StageBug as exc:
        checkpoint.close(keep=True)
        _stage_bug(exc)
    except OSError as exc:  # a full disk, most likely: what is done stays done
        checkpoint.close(keep=True)
        _fail(f"cannot write to {out_dir}: {exc.strerror or exc} (--resume continues once it is fixed)")
    except WorkerError as exc:
        checkpoint.close(keep=True)
        _fail(f"{exc} ({exc.hint}; --resume continues)")
    except MemoryError:
        checkpoint.close(keep=True)
        _fail(f"{OUT_OF_MEMORY}: try fewer --workers; --resume continues")
    except KeyboardInterrupt:
        checkpoint.close(keep=True)
        _interrupted(resumable)
    except BaseException:
        checkpoint.close(keep=True)  # a crash: --resume picks up from here
        raise
    finally:
        if progress is not None:
            progress.close()
        if closing is None:  # the run failed: close before reporting it
            executor.close()
    written = False
    try:
        write_outputs(result, out_dir, cfg, input_arg, workers)
        written = True
        if clusterer is not None:
            assert state is not None  # the clusterer is the state's
            try:
                clusterer.commit()
            except sqlite3.OperationalError as exc:
                # The outputs are in place: "cannot use state S: database or disk is full"
                # alone read as the run having failed, with no word that OUT holds it and S not.
                with contextlib.suppress(sqlite3.Error):  # what a full disk left open
                    state.rollback()
                _fail(f"the run was written to {out_dir}, but its batch could not be committed to {state_path} "
                      f"({exc}): its documents are not in the state; run it again to add them once that is fixed")
            state.close()  # waits for the batch's checkpoint: seconds for a big state
    except OSError as exc:
        _fail(f"cannot write to {out_dir}: {exc.strerror or exc} (--resume continues once it is fixed)")
    except KeyboardInterrupt:  # not click's: it printed a blank line and "interrupted" without the checkpoint
        # Once the outputs are in place, what was done is said: "interrupted" alone read as
        # nothing done, after a batch committed to the state too (tests/test_review21.py).
        if state is not None and state.committed:  # this run's one batch (State.committed: once COMMIT returned)
            _interrupted(f" after the run was written to {out_dir} and its batch committed to {state_path}")
        if written and clusterer is not None:
            _interrupted(f" after the run was written to {out_dir}, before its batch was committed to {state_path}: "
                         "run it again to add it (its documents are not in the state)")
        _interrupted("" if written else resumable)
    finally:
        result.close(keep=not written)
        problem = closing.join()
    if problem:  # shown even with -q; the outputs are complete, so the run has not failed
        log.error("warning: closing --engine %s failed: %s", engine, problem)
    if resume and held and not result.resumed:
        log.warning("note: none of the checkpoint's %d documents match this input (another input, or inputs "
                    "changed since): every input was processed again", held)
    if not result.documents and not quiet:  # counts()' "inputs", without counting every status
        # "0 inputs" alone left a user wondering whether cleaner looked in the right place.
        log.warning("note: %s holds no file to read (hidden files and folders are skipped)", input_arg)
    if _KEPT is not None:  # left for the process's end (command)
        _KEPT.extend((result, stages))
    _finish(result, f"in {out_dir}/", started, workers, quiet, strict,
            f", {result.resumed} resumed" if resume else "")


@cli.command("clean")
@click.argument("file", type=GivenPath(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--config", "config_path", type=GivenPath(path_type=Path), help="Configuration file.")
def clean_file(file: Path, config_path: Path | None) -> None:
    """Show FILE's text with every removed line marked by the rule that removed it.

    Lines starting with two spaces stay, '-' lines are removed (rule after the arrow),
    '~' lines had a metadata prefix moved into a field. For HTML, the blocks that
    extraction left out are listed first, with their line in the HTML source. FILE is
    read as `run` reads it; exits 1 when it (or a record in it) is rejected.
    """
    from cleaner.stages.extract import EXTRACTION_RULE
    from cleaner.exec.local import process_one
    from cleaner.input.read import read_inputs

    if str(file) == "-" and not file.exists():  # as `run -`: click said "File '-' does not exist."
        _fail("clean reads a file, not stdin (-): save the text to a file, or pipe JSONL to `cleaner run - --out -`")
    if not file.is_file():  # read as a folder, a device said "cannot read folder"; a FIFO could block
        _fail(f"{file} is not a regular file (a pipe or a device?)")
    cfg, stages = _setup(config_path)
    extract, rest = stages.per_document[0], stages.per_document[1:]  # one file: no templates, no clustering
    rejected = 0
    # Read as `run` reads a file (its extensions, its limits), so both verbs agree.
    for doc in read_inputs(file, cfg["read"]["extensions"], cfg["read"]["max_file_bytes"]):
        doc, _ = process_one(doc, [extract])
        lines = doc.text.split("\n")
        doc, _ = process_one(doc, rest)
        title = repr(doc.title) if doc.title else "none"
        click.echo(shown(f"# {doc.id}: lang={doc.lang or 'unknown'} title={title} date={doc.date or 'unknown'}"))
        if not doc.ok:
            click.echo(shown(f"# rejected: {doc.error}"))
            rejected += 1
            continue
        dropped = [r for r in doc.removed if r["rule"] == EXTRACTION_RULE]
        if dropped:
            click.echo(shown(f"# left out by HTML extraction ({len(dropped)} blocks):"))
            for r in dropped:
                click.echo(shown(f"x {r['text']}    <- {r['rule']} (HTML line {r['line_no']})"))
            click.echo("# extracted text:")
        for line in render_marked(lines, doc):
            click.echo(shown(line))
        for flag in doc.flags:
            click.echo(shown(f"! {flag['flag']}: {flag.get('reason', flag.get('text', ''))}"))
    if rejected:  # as `run --strict` does: the file (or a record in it) could not be cleaned
        sys.exit(EXIT_REJECTED)


@cli.command("eval")
@click.argument("out_dir", metavar="OUT", type=GivenPath(path_type=Path))
@click.argument("gold", type=GivenPath(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def eval_run(out_dir: Path, gold: Path, as_json: bool) -> None:
    """Score a run's records (OUT/documents.jsonl) against GOLD (CSV or JSONL: id -> label).

    Prints the adjusted Rand index, B-cubed and pairwise precision/recall/F1 over the
    documents in GOLD.
    """
    import json

    from cleaner.inspect.evaluate import EvalError, format_table, load_gold, load_predicted, score

    try:
        pred, gold_labels = load_predicted(out_dir), load_gold(gold)
        result = score(pred, gold_labels)
    except EvalError as exc:
        _fail(str(exc))
    click.echo(json.dumps(result, indent=2) if as_json else format_table(result))
    if result["missing"]:  # scored as singletons: name them, so a low recall is not read as the run's
        absent = [doc_id for doc_id in gold_labels if doc_id not in pred]
        heads = {p[:i] for p in pred for i, c in enumerate(p) if c == "@"}  # what an `id@source` was renamed from
        renamed = [doc_id for doc_id in absent if doc_id in heads]
        shown_ids = ", ".join(repr(doc_id) for doc_id in absent[:5]) + (", ..." if len(absent) > 5 else "")
        hint = (f"; {len(renamed)} of them shared an id in the run, which renamed them id@source (see documents.jsonl)"
                if renamed else "")
        click.echo(shown(f"cleaner: note: {len(absent)} gold id(s) not in the run, each scored as a predicted "
                         f"singleton: {shown_ids}{hint}"), err=True)


def _open_run(out_dir: Path) -> Run:
    from cleaner.inspect.runs import Run, RunError

    try:
        return Run(out_dir)
    except RunError as exc:
        _fail(str(exc))


@cli.command("report")
@click.argument("out_dir", metavar="OUT", type=GivenPath(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def report_run(out_dir: Path, as_json: bool) -> None:
    """Summary of a finished run in OUT: counts, rejections, languages, rule hits, record sizes."""

    from cleaner.inspect.runs import RunError

    try:
        summary = _open_run(out_dir).summary()
    except RunError as exc:
        _fail(str(exc))
    if as_json:
        echo_json(summary)
        return
    click.echo("\n".join(show_summary(summary)))


@cli.command("show")
@click.argument("out_dir", metavar="OUT", type=GivenPath(path_type=Path))
@click.argument("some_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the row as JSON.")
def show(out_dir: Path, some_id: str, as_json: bool) -> None:
    """One record (ID = record_id, rec-...) or document (ID as in documents.jsonl) of the
    run in OUT, with its provenance. OUT may be a state file (run --state): the record
    (or the document's record) as it stands, with its history of events."""

    from cleaner.inspect.runs import RunError

    if out_dir.is_file():  # a state (run --state): the record now, with its history
        from cleaner.cli_state import show_state

        show_state(out_dir, some_id, as_json)
        return
    try:
        kind, row = _open_run(out_dir).find(some_id)
    except RunError as exc:
        _fail(str(exc))
    if as_json:
        echo_json(row)
        return
    click.echo("\n".join(show_record(row) if kind == "record" else show_document(row)))


@cli.command("explain")
@click.argument("out_dir", metavar="OUT", type=GivenPath(path_type=Path))
@click.argument("doc_a", metavar="DOC_A")
@click.argument("doc_b", metavar="DOC_B")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def explain_pair(out_dir: Path, doc_a: str, doc_b: str, as_json: bool) -> None:
    """Why two documents of the run in OUT were or were not merged: each tier's similarity
    against its threshold, shared shingles and terms, and where each one landed."""

    from cleaner.inspect.explain import explain, format_explanation
    from cleaner.inspect.runs import RunError

    try:
        result = explain(_open_run(out_dir), doc_a, doc_b)
    except RunError as exc:
        _fail(str(exc))
    echo_json(result) if as_json else click.echo(format_explanation(result))


from cleaner import cli_state  # noqa: E402,F401 - registers the state verbs on `cli`
