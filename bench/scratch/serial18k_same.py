"""serial-18k: every output file but manifest.json (its timings differ run to run) of
`cleaner run` from two checkouts, byte for byte: documents.jsonl, records.jsonl,
report.html and report-pages/ (bench/identity_check.py covers the first two only).

    python3 bench/scratch/serial18k_same.py A_CHECKOUT B_CHECKOUT WORKERS INPUT [INPUT ...]
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def hashes(checkout: str, inp: str, workers: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="s18k-same-") as tmp:
        out = Path(tmp) / "out"
        env = dict(os.environ, PYTHONPATH=checkout, PYTHONHASHSEED="0")
        proc = subprocess.run([sys.executable, "-m", "cleaner", "run", inp, "--out", str(out), "-q",
                               "--workers", workers], env=env, capture_output=True)
        got = {"exit": str(proc.returncode), "stderr": hashlib.sha256(proc.stderr).hexdigest()}
        for path in sorted(out.rglob("*")):
            if path.is_file() and path.name != "manifest.json":
                got[str(path.relative_to(out))] = hashlib.sha256(path.read_bytes()).hexdigest()
        return got


def main() -> None:
    a, b, workers, inputs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    bad = 0
    for inp in inputs:
        ha, hb = hashes(a, inp, workers), hashes(b, inp, workers)
        diff = sorted(k for k in set(ha) | set(hb) if ha.get(k) != hb.get(k))
        print(f"{inp}: {len(ha)} files, {'same' if not diff else 'DIFFERENT: ' + ', '.join(diff[:8])}")
        bad += bool(diff)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
