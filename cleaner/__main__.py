import sys


def run() -> None:
    """`python3 -m cleaner` and the `cleaner` command (pyproject's [project.scripts]): cli's
    modules loaded here, so a Ctrl-C while they load (the command's first ~0.7 s) is the same
    one line as during a run; pip's wrapper importing cleaner.cli itself printed a traceback.
    Then cli.command: the run, and the process's end without the interpreter's teardown."""
    try:
        from .cli import command
    except KeyboardInterrupt:
        sys.stderr.write("cleaner: interrupted\n")
        sys.exit(130)
    command()


if __name__ == "__main__":
    run()
