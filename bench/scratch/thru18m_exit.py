"""thru-18m: the interpreter's exit after `cleaner run` (main returned to the process's end,
wall), called as throughput_bench's runner called it before (`main(argv)`) and as the
installed command calls it (`main()`: gc.freeze first), alternated:

    python3 bench/scratch/thru18m_exit.py CHECKOUT INPUT.jsonl ROUNDS
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

checkout, inp, rounds = os.path.abspath(sys.argv[1]), sys.argv[2], int(sys.argv[3])
CHILD = """
import sys, time
from cleaner.cli import main
args = ["run", INPUT, "--out", OUT, "-q", "--workers", "2"]
if MODE == "main()":
    sys.argv = ["cleaner", *args]
try:
    main() if MODE == "main()" else main(args)
except SystemExit:
    pass
print(time.perf_counter(), file=sys.stderr)
"""
got: dict[str, list[float]] = {"main(argv)": [], "main()": []}
env = dict(os.environ, PYTHONPATH=checkout)
for r in range(rounds):
    for mode in (list(got) if r % 2 == 0 else list(got)[::-1]):
        out = tempfile.mkdtemp(prefix="t18m-exit-")
        code = CHILD.replace("INPUT", repr(inp)).replace("OUT", repr(out + "/o")).replace("MODE", repr(mode))
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        got[mode].append(time.perf_counter() - float(proc.stderr.strip().splitlines()[-1]))
        subprocess.run(["rm", "-rf", out])
for mode, values in got.items():
    print(f"{mode:10s} exit wall median {statistics.median(values):.4f} [{min(values):.3f}-{max(values):.3f}]")
print("load", os.getloadavg())
