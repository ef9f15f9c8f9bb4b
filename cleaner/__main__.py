import sys


def run() -> None:
    """`python3 -m cleaner` and the `cleaner` command (pyproject's [project.scripts]): cli's
    modules loaded here, so a Ctrl-C while they load (the command's first ~0.7 s) is the same
    one line as during a run; pip's wrapper importing cleaner.cli itself printed a traceback."""
    try:
        from .cli import main
    except KeyboardInterrupt:
        sys.stderr.write("cleaner: interrupted\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
