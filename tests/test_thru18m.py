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
        'print(f"RSS', 'import gc; print(f"FROZEN {gc.get_freeze_count()}", file=sys.stderr)\nprint(f"RSS')
    assert probe != throughput_bench._RUNNER
    proc = subprocess.run([sys.executable, "-c", probe, "run", str(inp), "--out", str(tmp_path / "out"), "-q",
                           "--workers", "1"], env=dict(os.environ, PYTHONPATH=str(ROOT),
                                                       CLEANER_CACHE_DIR=str(tmp_path / "cache")),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    frozen = [line for line in proc.stderr.splitlines() if line.startswith("FROZEN ")]
    assert frozen and int(frozen[-1].split()[1]) > 0, proc.stderr
    assert (tmp_path / "out" / "documents.jsonl").exists()
