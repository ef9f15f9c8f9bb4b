"""Usage: review16_templates_cost.py N: Templates.decide CPU s on N near copies of one story in one source."""
import sys, time
ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]; sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "tests"))
from test_templates16 import WIRE, _signed
from cleaner.stages.templates import Templates
N = int(sys.argv[1])
items = [{"id": f"c{i}", "text": "\n".join(WIRE) + f"\nUpdate {i}: the water board's bulletin number {i} at {i % 24} hours."} for i in range(N)]
t = time.process_time(); docs = _signed(items); print("sign", time.process_time() - t)
tm = Templates()
for d in docs: tm.observe(d)
t = time.process_time(); tm.decide(); print("decide", N, time.process_time() - t, len(tm.table))
