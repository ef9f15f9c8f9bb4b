"""serial-18c: the main process's CPU seconds in write_outputs alone, one run:

    cd CHECKOUT && PYTHONPATH=. python3 PATH/TO/serial_write18c.py input.jsonl WORKERS
"""
import sys, tempfile, shutil, time
import cleaner.cli as cli
import cleaner.store.output as output
real = output.write_outputs
def w(*a, **k):
    t=time.process_time()
    try: return real(*a, **k)
    finally: print("write cpu %.3f" % (time.process_time()-t), file=sys.stderr)
output.write_outputs = w
out = tempfile.mkdtemp()
try: cli.main(["run", sys.argv[1], "--out", out + "/out", "-q", "--workers", sys.argv[2]])
except SystemExit: pass
shutil.rmtree(out)
