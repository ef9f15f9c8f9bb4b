"""thru-18m: what a forked worker and the bench's runner pay once a process (issue #18 points 1, 2)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# `cleaner run` in a child whose pool workers note, after each batch, every module they
# imported since their fork (the parent imported everything else before it forked them).
_CHILD = textwrap.dedent("""
    import os, runpy, sys
    import cleaner.exec.local as local
    at_fork = set()
    os.register_at_fork(after_in_child=lambda: at_fork.update(sys.modules))
    real = local._Worker.__call__
    def work(self, docs):
        done = real(self, docs)
        with open(os.path.join(NOTES, str(os.getpid())), "w") as fh:
            fh.write("\\n".join(sorted(set(sys.modules) - at_fork)))
        return done
    local._Worker.__call__ = work
    sys.argv = ["cleaner"] + sys.argv[1:]
    runpy.run_module("cleaner", run_name="__main__", alter_sys=True)
""")

_LATIN = "abcdeéèfghiíjklmnñoópqrsßtuúüvwxyz"
_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщыьэюяії"


def _text(rng: random.Random, letters: str) -> str:
    """Made-up sentences of made-up words in one alphabet (non-ASCII letters included)."""
    lines = []
    for _ in range(12):
        words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(rng.randint(6, 14))]
        lines.append(" ".join(words).capitalize() + ".")
    return "\n".join(lines)


def test_forked_workers_import_nothing_after_the_fork(tmp_path: Path) -> None:
    """The language stage's detector module is imported by its setup, before the workers
    fork, and its normalisation does not reach np.unique (whose first call imports
    numpy.ma): each worker imported both again at its first document (~25 ms a process)."""
    rng = random.Random(18)
    inp = tmp_path / "in.jsonl"
    with open(inp, "w", encoding="utf-8") as fh:
        for n in range(200):
            fh.write(json.dumps({"id": f"d{n}", "text": _text(rng, _CYRILLIC if n % 2 else _LATIN)},
                                ensure_ascii=False) + "\n")
    notes = tmp_path / "notes"
    notes.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT), CLEANER_CACHE_DIR=str(tmp_path / "cache"))
    code = _CHILD.replace("NOTES", repr(str(notes)))
    proc = subprocess.run([sys.executable, "-c", code, "run", str(inp), "--out", str(tmp_path / "out"), "-q",
                           "--workers", "2"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    found = {p.name: p.read_text() for p in notes.iterdir()}
    assert found, "no pool worker ran a batch"
    assert all(not imported for imported in found.values()), found


def test_normalised_needs_no_numpy_ma() -> None:
    code = textwrap.dedent("""
        import sys
        from cleaner.stages.language.langdetect_fast import normalised
        out = normalised("Привет, мир: ÄÖÜ ß œ ﬁ 日本語 ١٢٣")
        print(out, "numpy.ma" in sys.modules)
    """)
    proc = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-1] == "False"


def test_the_bench_runs_cleaner_as_the_command_does(tmp_path: Path) -> None:
    """throughput_bench's runner calls main() as the installed `cleaner` command does, so
    the run freezes what it kept before the interpreter's exit (cli._before_exit) instead of
    leaving it to the exit's last collection (main(argv) keeps the collector as it was)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import throughput_bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": f"d{n}", "text": f"Line {n} of a short text.\nAnother line."}) + "\n"
                           for n in range(5)), encoding="utf-8")
    probe = throughput_bench._RUNNER.replace(
        '    print(f"RSS', '    import gc; print(f"FROZEN {gc.get_freeze_count()}", file=sys.stderr)\n    print(f"RSS')
    assert probe != throughput_bench._RUNNER
    proc = subprocess.run([sys.executable, "-c", probe, "run", str(inp), "--out", str(tmp_path / "out"), "-q",
                           "--workers", "1"], env=dict(os.environ, PYTHONPATH=str(ROOT),
                                                       CLEANER_CACHE_DIR=str(tmp_path / "cache")),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    frozen = [line for line in proc.stderr.splitlines() if line.startswith("FROZEN ")]
    assert frozen and int(frozen[-1].split()[1]) > 0, proc.stderr
    assert (tmp_path / "out" / "documents.jsonl").exists()


class _Doc:  # what the band keys are read from: ok, and features.near_mh
    ok = True

    def __init__(self, sig: object) -> None:
        self.features = type("F", (), {"near_mh": sig})()


def _probes(index: object, docs: list) -> list:
    return [index.probe(d) for d in docs]  # type: ignore[attr-defined]


def test_band_groups_are_local_candidates_groups() -> None:
    """exec/dask_bands.band_groups (a band's column sorted at a time) makes the groups the
    map and reduce make (local_candidates): the same groups, numbered alike, so every
    document probes the same group numbers. Many shared keys (values 0-2), copies of bases
    with some values changed, one document, none."""
    import numpy as np

    from cleaner.exec.dask_bands import SLICE, band_groups, local_candidates

    cfg = {"near": {"lsh_threshold": 0.5}, "minhash": {"num_perm": 128}}
    rng = np.random.default_rng(18)
    few = rng.integers(0, 3, size=(60, 128), dtype=np.uint64).astype(np.uint32)
    bases = rng.integers(0, 2**32, size=(40, 128), dtype=np.uint64).astype(np.uint32)
    copies = bases[rng.integers(0, 40, size=100)]  # copies of bases, some values changed
    changed = rng.random(copies.shape) < rng.uniform(0.05, 0.6, size=(100, 1))
    copies[changed] = rng.integers(0, 2**32, size=int(changed.sum()), dtype=np.uint64).astype(np.uint32)
    sigs = list(np.concatenate([bases, copies]))
    many = rng.integers(0, 2**32, size=(SLICE + 7, 128), dtype=np.uint64).astype(np.uint32)
    many[SLICE + 3] = many[5]  # a pair across two slices
    for case in (list(few), sigs, list(many), sigs[:1], []):
        docs = [_Doc(s) for s in case]
        want, got = local_candidates(docs, cfg, parts=3), band_groups(docs, cfg)
        assert _probes(got, docs) == _probes(want, docs)
        assert len(got._inserted) == len(want._inserted)


def test_a_spooled_run_clusters_through_the_groups_with_the_same_records(tmp_path: Path) -> None:
    """`cleaner run` asks its LocalExecutor for the copy tier's candidates (band_groups up to
    LOCAL_GROUPS_UP_TO documents): the same documents.jsonl and records.jsonl as through the
    BandIndex (the limit set to 0 in a child), with 1 and 2 workers."""
    rng = random.Random(7)
    inp = tmp_path / "in.jsonl"
    with open(inp, "w", encoding="utf-8") as fh:
        bases = [_text(rng, _LATIN if n % 3 else _CYRILLIC) for n in range(60)]
        for n in range(150):
            text = bases[n % 60]
            if n >= 60:  # a near copy: one line replaced
                lines = text.split("\n")
                lines[rng.randrange(len(lines))] = _text(rng, _LATIN).split("\n")[0]
                text = "\n".join(lines)
            fh.write(json.dumps({"id": f"d{n}", "text": text}, ensure_ascii=False) + "\n")
    runner = textwrap.dedent("""
        import runpy, sys
        import cleaner.exec.local as local
        local.LOCAL_GROUPS_UP_TO = LIMIT
        sys.argv = ["cleaner"] + sys.argv[1:]
        runpy.run_module("cleaner", run_name="__main__", alter_sys=True)
    """)
    outs = {}
    for limit in (0, 50_000):
        for workers in (1, 2):
            out = tmp_path / f"out-{limit}-{workers}"
            proc = subprocess.run([sys.executable, "-c", runner.replace("LIMIT", str(limit)), "run", str(inp),
                                   "--out", str(out), "-q", "--workers", str(workers)],
                                  env=dict(os.environ, PYTHONPATH=str(ROOT), CLEANER_CACHE_DIR=str(tmp_path / "c")),
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, proc.stderr
            outs[limit, workers] = [(out / f).read_bytes() for f in ("documents.jsonl", "records.jsonl")]
    assert len({tuple(v) for v in outs.values()}) == 1
    records = [json.loads(line) for line in outs[0, 1][1].decode().splitlines()]
    assert sum(len(r["members"]) > 1 for r in records) >= 20  # the copies were found
