"""review-29: the known defects session 28 left (benches that measured something else when
the shared data were absent, the rules' cache's eviction, a state name over 255 bytes in the
API, a dict whose .get raises, short kanji-only Japanese), and new-user attacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench_path():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        yield
    finally:
        sys.path.remove(str(ROOT / "bench"))


def test_identity_check_fails_when_a_saved_set_was_not_measured(bench_path, tmp_path, monkeypatch, capsys):
    import identity_check

    saved = {"raw cli workers=1": {"d": "1"}, "raw cli workers=2": {"d": "1"}, "ecbplus-dev api": {"d": "2"}}
    path = tmp_path / "identity.json"
    path.write_text(__import__("json").dumps(saved))
    monkeypatch.setattr(identity_check, "measure", lambda data, smoke: {k: saved[k] for k in saved if "raw" in k})
    monkeypatch.setattr(sys, "argv", ["identity_check.py", "--check", str(path), "--data", str(tmp_path)])
    with pytest.raises(SystemExit) as exc:
        identity_check.main()
    assert exc.value.code != 0 and "not measured now: ecbplus-dev api" in str(exc.value.code)
    assert "\n" not in str(exc.value.code)
    # --smoke measures raw/ and hostile only: the others' absence is expected.
    monkeypatch.setattr(sys, "argv", ["identity_check.py", "--check", str(path), "--smoke"])
    with pytest.raises(SystemExit) as exc:
        identity_check.main()
    assert exc.value.code == 0
    assert "not measured now (--smoke): ecbplus-dev api" in capsys.readouterr().out


def test_identity_check_says_on_stderr_that_ecb_is_absent(bench_path, tmp_path, capsys):
    import identity_check

    found = identity_check.corpora(tmp_path, tmp_path / "nowhere", smoke=False)
    assert set(found) == {"raw", "hostile"}
    assert "no ECB+ dev at" in capsys.readouterr().err


def test_generate_refuses_pseudo_words_in_a_real_run(bench_path, tmp_path):
    import generate

    try:
        generate.use_data(tmp_path, smoke=False)
        with pytest.raises(generate.NoSentences, match="no sentences in"):
            generate.generate(5)
        generate.use_data(tmp_path, smoke=True)  # a smoke run may use pseudo-words
        assert len(generate.generate(5)) == 5
        # --data reaches generate(): the folder it reads is the one given
        (tmp_path / "lingua-sentences").mkdir()
        (tmp_path / "lingua-sentences" / "en.txt").write_text("One two three four five six words here.\n" * 20)
        generate.use_data(tmp_path, smoke=False)
        assert generate.load_sentences("en")[0] == "One two three four five six words here."
    finally:
        generate.use_data(ROOT.parent / "shared" / "data", smoke=True)


def test_state_bench_without_sentences_stops_in_one_line(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "state_bench.py"), "--data", str(tmp_path),
                           "--sizes", "20", "--probe", "5"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("no sentences in ") and proc.stderr.count("\n") == 1, proc.stderr
