"""Scratch (story-12f): the bench's prepared documents, signed with the defaults, pickled
once: ECB+ (all topics), the chance corpus seed 11 (and 12, never looked at while
choosing), and the trap set. python3 bench/scratch/prep12f.py /tmp/s12f/prep.pkl"""
import json, pickle, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench"))
from cluster_bench import load_ecb, prepare, signed, chance_items  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402

data = ROOT.parent / "shared" / "data"
cfg = config_from_dict()
items, gold = load_ecb(data / "ecbplus-dev" / "ECB+")
ecb = signed(prepare(items, cfg), cfg)
out = {"ecb": ecb, "gold": gold}
for seed in (11, 12):
    ch, copies = chance_items(data, 3000, seed)
    out[f"chance{seed}"] = signed(prepare([{"id": i["id"], "text": i["text"]} for i in ch], cfg), cfg)
    out[f"copies{seed}"] = copies
traps = json.loads((ROOT / "tests" / "data" / "story_traps.json").read_text(encoding="utf-8"))
titems = [{k: d[k] for k in ("id", "site", "title", "date", "text")} for t in traps for e in t["events"] for d in e["docs"]]
out["traps"] = signed(prepare(titems, cfg), cfg)
out["trap_event"] = {d["id"]: (t["name"], e["label"]) for t in traps for e in t["events"] for d in e["docs"]}
pickle.dump(out, open(sys.argv[1], "wb"))
print({k: len(v) for k, v in out.items()})
