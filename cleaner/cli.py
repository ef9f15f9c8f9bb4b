"""Command line: `cleaner run INPUT --out DIR`, `cleaner clean FILE`.

Usage and configuration problems end with one line on stderr and exit code 2; a run that
completes exits 0 even when some inputs were rejected (they are listed in the output).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .config import Config, ConfigError, load_config

EXIT_USAGE = 2


def _fail(message: str) -> None:
    click.echo(f"cleaner: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _config(path: str | None) -> Config:
    try:
        cfg = load_config(path)
        from .pipeline import build_stages

        build_stages(cfg)  # loads and validates the rule files before any input is read
        return cfg
    except ConfigError as exc:
        _fail(f"bad configuration: {exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cleaner")
def main() -> None:
    """Turn a folder of raw news articles into clean, deduplicated records with provenance."""


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", default="clean", show_default=True, type=click.Path(path_type=Path),
              help="Output folder: documents.jsonl, records.jsonl, report.html, manifest.json.")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Configuration file (default: configs/default.toml).")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Worker processes for per-document stages (0 = all cores; default: run.workers).")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
def run(input_path: Path, out_dir: Path, config_path: Path | None, workers: int | None, quiet: bool) -> None:
    """Clean, detect language and cluster every document under INPUT (a folder or a file)."""
    from .output import write_outputs
    from .pipeline import resolve_workers, run_documents
    from .read import read_inputs

    cfg = _config(config_path)
    workers = resolve_workers(cfg["run"]["workers"] if workers is None else workers)
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"--out {out_dir} exists and is not a folder")
    started = time.perf_counter()

    def progress(n: int) -> None:
        if not quiet and n % 100 == 0:
            click.echo(f"  {n} documents processed", err=True)

    docs = read_inputs(input_path, cfg["read"]["extensions"], cfg["read"]["max_file_bytes"],
                       exclude=out_dir)
    result = run_documents(docs, cfg, workers=workers, progress=progress)
    try:
        write_outputs(result, out_dir, cfg, str(input_path), workers)
    except OSError as exc:
        _fail(f"cannot write to {out_dir}: {exc.strerror or exc}")
    if not quiet:
        c = result.counts()
        click.echo(
            f"{c['inputs']} inputs: {c['kept']} kept, {c['duplicates']} duplicates, "
            f"{c['rejected']} rejected -> {c['records']} records in {out_dir}/ "
            f"({time.perf_counter() - started:.1f}s, {workers} worker(s))", err=True)
        for doc in [d for d in result.documents if not d.ok][:20]:
            click.echo(f"  rejected {doc.source}: {doc.error}", err=True)


@main.command("clean")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Configuration file.")
def clean_file(file: Path, config_path: Path | None) -> None:
    """Show FILE's cleaned text, with each removed line marked by the rule that removed it."""
    from .pipeline import build_stages, process_one
    from .read import read_file

    cfg = _config(config_path)
    stages = build_stages(cfg)[:3]  # extract, boilerplate, language: no clustering for one file
    for doc in read_file(file, Path(file.name), cfg["read"]["max_file_bytes"]):
        doc, _ = process_one(doc, stages)
        click.echo(f"# {doc.id} lang={doc.lang} title={doc.title!r} date={doc.date}")
        if not doc.ok:
            click.echo(f"# rejected: {doc.error}")
            continue
        for r in doc.removed:
            click.echo(f"- [{r['rule']}] line {r['line_no']}: {r['text']}")
        for f in doc.flags:
            click.echo(f"! [{f.get('rule', f['flag'])}] {f.get('reason', f.get('text', ''))}")
        click.echo(doc.text)
