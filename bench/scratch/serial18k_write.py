"""serial-18k: where writing's CPU goes (documents.jsonl, records.jsonl, report pages), in
process, after a spooled 2-worker run of INPUT (CPU seconds, min of ROUNDS each).

    python3 bench/scratch/serial18k_write.py INPUT [ROUNDS]
"""

from __future__ import annotations

import sys
import time
from collections import deque

from cleaner.core.config import load_config
from cleaner.exec.flow import run_documents
from cleaner.input.read import read_input
from cleaner.inspect import report
from cleaner.store.output import build_manifest


def cpu(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    path, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    cfg = load_config(None)
    result = run_documents(read_input(path, cfg), cfg, workers=2, spool=True)
    manifest = build_manifest(result, cfg, path, 2)
    docs = [m.doc for r in result.records for m in r.members]
    tests = {
        "document_lines": lambda: deque(result.document_lines(), 0),
        "record_lines": lambda: deque(result.record_lines(), 0),
        "report_files (all chunks)": lambda: deque((c for _, cs in report.report_files(result, manifest) for c in cs), 0),
        "  full() of every member": lambda: deque(map(result.full, docs), 0),
        "  get_parts of every member": lambda: deque(map(result._parts, docs), 0),
    }
    for name, fn in tests.items():
        got = [cpu(fn) for _ in range(rounds)]
        print(f"{name:32s} min {min(got):.4f}  all {' '.join(f'{g:.4f}' for g in got)}")
    print("cluster steps:", {k: v for k, v in result.timings.items() if k.startswith("cluster")})
    result.close()




def pieces(path: str) -> None:
    """The report's record rows by piece (CPU s, min of 3)."""
    import json as _json
    cfg = load_config(None)
    result = run_documents(read_input(path, cfg), cfg, workers=2, spool=True)
    recs = result.records
    fulls = [[result.full(m.doc) for m in r.members] for r in recs]
    rows = [{"id": r.record_id, "why": r.why, "members": [report._member(m, d) for m, d in zip(r.members, ds)]}
            for r, ds in zip(recs, fulls)]
    texts = [d.text for ds in fulls for d in ds]
    tests = {
        "_member dicts": lambda: [[report._member(m, d) for m, d in zip(r.members, ds)] for r, ds in zip(recs, fulls)],
        "script_json(rows)": lambda: [report.script_json(r) for r in rows],
        "json.dumps(rows) sort_keys": lambda: [_json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")) for r in rows],
        "json.dumps(rows) unsorted": lambda: [_json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows],
        "dumps(texts)": lambda: [_json.dumps(t, ensure_ascii=False) for t in texts],
        "index rows": lambda: [report.script_json(report._index_row(r.record_id, r.members, 0)) for r in recs],
        "encode utf8 rows": lambda: [report.script_json(r).encode() for r in rows],
    }
    for name, fn in tests.items():
        got = [cpu(fn) for _ in range(3)]
        print(f"{name:32s} min {min(got):.4f}")
    result.close()


if __name__ == "__main__":
    pieces(sys.argv[1]) if sys.argv[-1] == "pieces" else main()
