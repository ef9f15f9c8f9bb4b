"""par-18g: the CPU of exec/flow.pack's parts over processed documents, in one process:
    PYTHONPATH=CHECKOUT python3 pack18g.py input.jsonl [N]"""
import copy
import pickle
import sys
import time
from pathlib import Path
from cleaner.core.config import load_config
from cleaner.stages.build import build_stages
from cleaner.input.read import read_input
from cleaner.exec.local import process_batch
from cleaner.exec import flow
from cleaner.store.spool import Spool

cfg = load_config(None)
st = build_stages(cfg)
steps = st.mapped()
for s in steps:
    s.setup()
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
docs = []
for d in read_input(Path(sys.argv[1]), cfg):
    docs.append(d)
    if len(docs) >= n:
        break
done = [d for d, _ in process_batch(docs, steps)]
spool = Spool()
tpl = st.templates


def timed(name, fn):
    t = time.process_time()
    for d in done:
        fn(d)
    print(f"{name:14s} {(time.process_time() - t) / len(done) * 1e6:7.1f} us/doc")


fresh = [copy.deepcopy(d) for d in done]
timed("line_keys", tpl.line_keys)
timed("json_parts", lambda d: d.json_parts())
timed("pickle doc", lambda d: pickle.dumps(d.without_hand_offs(), protocol=5))
timed("spool.put", lambda d: spool.put(d))
t = time.process_time()
slims = [flow.pack(d, tpl, spool) for d in fresh]
print(f"{'pack (all)':14s} {(time.process_time() - t) / len(done) * 1e6:7.1f} us/doc")
t = time.process_time()
blob = pickle.dumps(slims, protocol=5)
print(f"{'pickle slims':14s} {(time.process_time() - t) / len(done) * 1e6:7.1f} us/doc, {len(blob) / len(slims):.0f} bytes")
t = time.process_time()
pickle.loads(blob)
print(f"{'unpickle slims':14s} {(time.process_time() - t) / len(done) * 1e6:7.1f} us/doc")
t = time.process_time()
for s in pickle.loads(blob):
    flow.share_strings(s, {})
print(f"{'unpickle+share':14s} {(time.process_time() - t) / len(done) * 1e6:7.1f} us/doc")
spool.close()
