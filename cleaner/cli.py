"""Command line: `cleaner run INPUT --out DIR`, `cleaner clean FILE`.

Usage and configuration problems end with one line on stderr and exit code 2; a run that
completes exits 0 even when some inputs were rejected (they are listed in the output),
or 1 with --strict.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from . import __version__
from .config import ConfigError, load_config
from .extract import EXTRACTION_RULE

EXIT_USAGE = 2
EXIT_REJECTED = 1  # --strict: the run completed, and some inputs were rejected


def _fail(message: str) -> None:
    click.echo(f"cleaner: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _setup(path: str | None):
    """Configuration and stages, built (and so validated, rule files included) before any
    input is read."""
    from .pipeline import build_stages

    try:
        cfg = load_config(path)
        return cfg, build_stages(cfg)
    except ConfigError as exc:
        _fail(f"bad configuration: {exc}")


def _check_out(input_path: Path, out_dir: Path) -> None:
    """Refuse an output folder that would mix with the input."""
    from .output import OUTPUTS

    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"--out {out_dir} exists and is not a folder")
    if not input_path.is_dir():
        return
    inp, out = input_path.resolve(), out_dir.resolve()
    if out == inp:
        _fail(f"--out {out_dir} is the input folder; choose a folder for the output alone")
    if inp in out.parents and out.is_dir():
        others = sorted(p for p in out.rglob("*") if p.is_file() and p.name not in OUTPUTS
                        and not any(part.startswith(".") for part in p.relative_to(out).parts))
        if others:
            _fail(f"--out {out_dir} lies inside the input and holds other files ({others[0].name}, ...), "
                  "which would not be read; choose another folder")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="cleaner")
def cli() -> None:
    """Turn a folder of raw news articles into clean, deduplicated records with provenance."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: click's usage errors become the same one-line error as ours."""
    try:
        code = cli.main(args=argv, prog_name="cleaner", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        _fail(exc.format_message().replace("\n", " "))
    except click.exceptions.Abort:
        _fail("aborted")
    sys.exit(code if isinstance(code, int) else 0)


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", default="clean", show_default=True, type=click.Path(path_type=Path),
              help="Output folder: documents.jsonl, records.jsonl, report.html, manifest.json.")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Configuration file (default: configs/default.toml).")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Worker processes for per-document stages (0 = all cores; default: run.workers).")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.option("--resume", is_flag=True,
              help="Continue a run into the same --out that was interrupted (killed, crashed, out of "
                   "disk): inputs it finished are not processed again.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any input was rejected.")
def run(input_path: Path, out_dir: Path, config_path: Path | None, workers: int | None, quiet: bool,
        resume: bool, strict: bool) -> None:
    """Clean, detect language and cluster every document under INPUT (a folder or a file)."""
    from .output import write_outputs
    from .pipeline import resolve_workers, run_documents
    from .read import read_inputs
    from .spool import PARTIAL_DIR, Checkpoint, ResumeError

    cfg, stages = _setup(config_path)
    workers = resolve_workers(cfg["run"]["workers"] if workers is None else workers)
    _check_out(input_path, out_dir)
    started = time.perf_counter()
    try:
        checkpoint = Checkpoint(out_dir, f"{cfg.fingerprint()} {__version__}", resume)
    except ResumeError as exc:
        _fail(f"cannot resume: {exc}")
    except OSError as exc:
        _fail(f"cannot write to {out_dir}: {exc.strerror or exc}")
    if not quiet and checkpoint.discarded:
        click.echo(f"cleaner: note: an interrupted run's partial results in {out_dir}/{PARTIAL_DIR} "
                   "were discarded (--resume continues one)", err=True)
    if not quiet and resume:
        click.echo(f"cleaner: resuming: {len(checkpoint.done)} documents already processed", err=True)

    def progress(n: int) -> None:
        if not quiet and n % 100 == 0:
            click.echo(f"  {n} documents processed", err=True)

    docs = read_inputs(input_path, cfg["read"]["extensions"], cfg["read"]["max_file_bytes"],
                       exclude=out_dir)
    try:
        result = run_documents(docs, cfg, workers=workers, progress=progress, stages=stages, spool=checkpoint)
    except BaseException:
        checkpoint.close(keep=True)  # Ctrl-C or a crash: --resume picks up from here
        raise
    written = False
    try:
        write_outputs(result, out_dir, cfg, str(input_path), workers)
        written = True
    except OSError as exc:
        _fail(f"cannot write to {out_dir}: {exc.strerror or exc} (--resume continues once it is fixed)")
    finally:
        result.close(keep=not written)
    c = result.counts()
    if not quiet:
        click.echo(
            f"{c['inputs']} inputs: {c['kept']} kept, {c['duplicates']} duplicates, "
            f"{c['rejected']} rejected -> {c['records']} records in {out_dir}/ "
            f"({time.perf_counter() - started:.1f}s, {workers} worker(s)"
            + (f", {result.resumed} resumed" if resume else "") + ")", err=True)
        for doc in [d for d in result.documents if not d.ok][:20]:
            click.echo(f"  rejected {doc.source}: {doc.error}", err=True)
    if strict and c["rejected"]:
        click.echo(f"cleaner: --strict: {c['rejected']} input(s) rejected", err=True)
        sys.exit(EXIT_REJECTED)


def render_marked(lines: list[str], doc) -> list[str]:
    """The extracted text line by line: kept lines indented, removed ones marked with their rule."""
    by_line: dict[int, dict] = {}
    for entry in doc.removed:
        if entry["rule"] != EXTRACTION_RULE:
            by_line.setdefault(entry["line_no"], entry)
    out = []
    for n, line in enumerate(lines, 1):
        entry = by_line.get(n)
        if entry is None:
            out.append(f"  {line}")
        elif entry.get("action") == "metadata":
            out.append(f"~ {line}    <- {entry['rule']}: {entry['text']!r} moved to {entry['field']}")
        else:
            out.append(f"- {line}    <- {entry['rule']}")
    return out


@cli.command("clean")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Configuration file.")
def clean_file(file: Path, config_path: Path | None) -> None:
    """Show FILE's text with every removed line marked by the rule that removed it.

    Lines starting with two spaces stay, '-' lines are removed (rule after the arrow),
    '~' lines had a metadata prefix moved into a field. For HTML, the blocks that
    extraction left out are listed first, with their line in the HTML source.
    """
    from .pipeline import process_one
    from .read import read_file

    cfg, stages = _setup(config_path)
    extract, rest = stages.per_document[0], stages.per_document[1:]  # one file: no templates, no clustering
    for doc in read_file(file, Path(file.name), cfg["read"]["max_file_bytes"]):
        doc, _ = process_one(doc, [extract])
        lines = doc.text.split("\n")
        doc, _ = process_one(doc, rest)
        click.echo(f"# {doc.id}: lang={doc.lang} title={doc.title!r} date={doc.date}")
        if not doc.ok:
            click.echo(f"# rejected: {doc.error}")
            continue
        dropped = [r for r in doc.removed if r["rule"] == EXTRACTION_RULE]
        if dropped:
            click.echo(f"# left out by HTML extraction ({len(dropped)} blocks):")
            for r in dropped:
                click.echo(f"x {r['text']}    <- {r['rule']} (HTML line {r['line_no']})")
            click.echo("# extracted text:")
        for line in render_marked(lines, doc):
            click.echo(line)
        for flag in doc.flags:
            click.echo(f"! {flag['flag']}: {flag.get('reason', flag.get('text', ''))}")


@cli.command("eval")
@click.argument("out_dir", metavar="OUT", type=click.Path(path_type=Path))
@click.argument("gold", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def eval_run(out_dir: Path, gold: Path, as_json: bool) -> None:
    """Score a run's records (OUT/documents.jsonl) against GOLD (CSV or JSONL: id -> label).

    Prints the adjusted Rand index, B-cubed and pairwise precision/recall/F1 over the
    documents in GOLD.
    """
    import json

    from .evaluate import EvalError, format_table, load_gold, load_predicted, score

    try:
        result = score(load_predicted(out_dir), load_gold(gold))
    except EvalError as exc:
        _fail(str(exc))
    click.echo(json.dumps(result, indent=2) if as_json else format_table(result))
