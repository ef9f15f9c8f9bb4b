import sys

try:
    from .cli import command
except KeyboardInterrupt:  # Ctrl-C while the modules load: the same one line as during a run
    sys.stderr.write("cleaner: interrupted\n")
    sys.exit(130)

command()
