"""newuser-18: what a new user reading README met (session 18)."""

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from cleaner.cli import cli
from conftest import RAW, ROOT, run_raw_cli


def _synopsis() -> str:
    """The first code block of README's "Running it": the commands a user copies."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Running it", 1)[1]
    return section.split("```bash", 1)[1].split("```", 1)[0]


def _commands(group: click.Group, path: str = "cleaner") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, f"{path} {name}")
        else:
            yield f"{path} {name}", command


def test_the_synopsis_names_every_option_of_every_verb() -> None:
    """`cleaner export --config`, `state prune --wait` and `run -v` were in --help but not in
    README's synopsis: a user reading it did not know they exist."""
    lines = _synopsis().splitlines()
    missing = []
    for path, command in _commands(cli):
        # a verb's lines: those that start with it, and a line continuing one (indented)
        text, inside = "", False
        for line in lines:
            if line.startswith(path + " ") or re.match(rf"^cat \S+ \| {re.escape(path)} ", line):
                inside = True
            elif not line.startswith(" "):
                inside = False
            if inside:
                text += line.split("  #", 1)[0] + "\n"
        assert text, f"README's synopsis has no line for `{path}`"
        for param in command.params:
            if isinstance(param, click.Option) and "--help" not in param.opts:
                if not any(re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", text) for opt in param.opts):
                    missing.append(f"{path} {'/'.join(param.opts)}")
    assert missing == []
    assert "--version" in _synopsis()


def test_every_bench_command_in_the_docs_uses_flags_the_bench_has() -> None:
    """Each `python3 bench/NAME.py ...` that README, ARCHITECTURE and BENCHMARKS give (the
    commands that reproduce their figures) names only options the bench's parser defines,
    and `--only` parts it knows."""
    bad = []
    for doc in ("README.md", "ARCHITECTURE.md", "BENCHMARKS.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        for m in re.finditer(r"python3 (bench/[\w/]+\.py)([^`\n#|]*)", text):
            script, args = ROOT / m.group(1), m.group(2)
            assert script.is_file(), f"{doc}: {m.group(0)}: no such script"
            source = script.read_text(encoding="utf-8")
            defined = set(re.findall(r"add_argument\(\s*\"(--[\w-]+)\"", source))
            if not defined:  # a scratch script reading sys.argv: nothing to check
                continue
            for flag in re.findall(r"(?<![\w-])--[\w-]+", args):
                if flag not in defined | {"--help"}:
                    bad.append(f"{doc}: {m.group(0).strip()}: {flag}")
            only = re.search(r"--only[ =]([\w,]+)", args)
            for part in (only.group(1).split(",") if only else []):
                if not re.search(rf"[\"' ,(]{part}[\"' ,)]|== \"{part}\"", source):
                    bad.append(f"{doc}: {m.group(0).strip()}: --only {part}")
    assert bad == []


@pytest.fixture(scope="module")
def raw_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_raw_cli(tmp_path_factory.mktemp("nu18") / "out")


def _error(*args: str) -> str:
    run = subprocess.run([sys.executable, "-m", "cleaner", *args], check=False, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and run.stdout == "", (run.returncode, run.stdout)
    assert run.stderr.count("\n") == 1, run.stderr
    return run.stderr


@pytest.mark.parametrize("typed", ["raw/wires/odesa-strike-wire.txt", "wires/odesa-strike-wire.txt",
                                   "odesa-strike-wire"])
def test_a_file_path_or_name_for_an_id_says_which_id_to_give(raw_out: Path, typed: str) -> None:
    """What a shell completes (the input file's path), the source column, or the bare name:
    a new user's first guesses at a document's id. The error names the id to give."""
    for verb in (["show", str(raw_out), typed], ["explain", str(raw_out), typed, "outlets/kharkiv-strike"]):
        err = _error(*verb)
        assert f"'{typed}'" in err and "did you mean 'wires/odesa-strike-wire'" in err, err


def test_a_record_id_cut_short_says_the_whole_one(raw_out: Path) -> None:
    record = next(json.loads(line) for line in (raw_out / "records.jsonl").read_text(encoding="utf-8").splitlines())
    err = _error("show", str(raw_out), record["record_id"][:12])
    assert f"did you mean '{record['record_id']}'" in err, err


def test_an_id_nothing_resembles_gets_no_guess(raw_out: Path) -> None:
    err = _error("show", str(raw_out), "no-such-thing")
    assert "did you mean" not in err and "no record or document with id 'no-such-thing'" in err


def test_a_state_too_says_which_id_a_path_or_a_short_record_id_means(tmp_path: Path) -> None:
    state = tmp_path / "news.db"
    run = subprocess.run([sys.executable, "-m", "cleaner", "run", str(RAW), "--out", "-", "--state", str(state),
                          "--workers", "1", "-q"], check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    for typed in ("raw/wires/odesa-strike-wire.txt", "wires/odesa-strike-wire.txt", "odesa-strike-wire"):
        err = _error("show", str(state), typed)
        assert f"'{typed}' is not in state" in err and "did you mean 'wires/odesa-strike-wire'" in err, err
    rid = next(r["record_id"] for r in rows if r["id"] == "wires/odesa-strike-wire")
    err = _error("show", str(state), rid[:9])
    assert f"did you mean '{rid}'" in err, err
    err = _error("show", str(state), "no-such-thing")
    assert "did you mean" not in err and "never added" in err, err


def test_readmes_report_example_opens_as_report_does(tmp_path: Path) -> None:
    """README's `cleaner report clean/` example: its first line as the command prints it
    after `cleaner run raw/ --out clean/` (it said "run of raw:", the command "run of raw/:")."""
    out = tmp_path / "clean"
    subprocess.run([sys.executable, "-m", "cleaner", "run", "raw/", "--out", str(out), "--workers", "1", "-q"],
                   check=True, cwd=ROOT, timeout=300)
    report = subprocess.run([sys.executable, "-m", "cleaner", "report", str(out)], check=True, capture_output=True,
                            text=True, timeout=120).stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("$ cleaner report clean/\n", 1)[1].split("\n", 1)[0]
    assert example == report.splitlines()[0]


def test_a_rule_file_given_as_the_configuration_says_where_it_goes(tmp_path: Path) -> None:
    """`--config configs/rules/consent.toml`: a rule file is not a configuration. The error
    said only "rule: unknown section"; it now says where a rule file is named."""
    err = _error("run", str(RAW), "--out", str(tmp_path / "out"), "--config", str(ROOT / "configs/rules/consent.toml"))
    assert "rule: unknown section" in err and "a rule file" in err and "boilerplate.rule_files" in err, err


@pytest.mark.parametrize("suffix, what", [(".lock", "lock file"), ("-wal", "journal"), ("-shm", "journal")])
def test_a_states_lock_or_journal_given_as_the_state_names_the_state(tmp_path: Path, suffix: str, what: str) -> None:
    """`--state news.db.lock` (tab completion stops one file short, or long): the lock file is
    empty, and the error told the user to remove it, which would let two writers each hold
    "the" lock. Now it names the state to give, for a run and for the readers alike."""
    from cleaner.store.state import State

    state = tmp_path / "news.db"
    State(state).close()
    companion = Path(f"{state}{suffix}")
    companion.touch()  # a writer's lock, journal and shared memory files, as a run leaves them
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "text": "A line of news long enough to keep."}\n', encoding="utf-8")
    files = sorted(p.name for p in tmp_path.iterdir())
    for verb in (["run", str(feed), "--out", "-", "--state", str(companion)], ["state", "info", str(companion)],
                 ["show", str(companion), "a"], ["export", str(companion), "--out", str(tmp_path / "x")],
                 ["state", "prune", str(companion), "--before", "2020-01-01"]):
        err = _error(*verb)
        assert f"{companion} is the {what} of state {state}: give {state}" in err and "remove it" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # no lock or journal of the companion made
