import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.core.config import load_config
from cleaner.exec.flow import run_documents
from cleaner.input.read import read_inputs

# A bug in a stage fails the test (here and in the CLI runs tests start) instead of
# becoming one more rejected document.
os.environ["CLEANER_STRICT"] = "1"

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
DATA = Path(__file__).resolve().parent / "data"


def run_raw_cli(out: Path) -> Path:
    """`cleaner run raw/ --out OUT --workers 1 -q` in a process of its own, as a user runs it."""
    run = subprocess.run([sys.executable, "-m", "cleaner", "run", str(RAW), "--out", str(out), "--workers", "1", "-q"],
                         check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return out


@pytest.fixture(scope="session", autouse=True)
def _ctrl_c_as_at_a_terminal():
    """The Ctrl-C tests send SIGINT to the runs they start. A suite started in the background
    by a shell without job control (`pytest ... &` in a script, `( ... &)`) or by nohup
    starts with SIGINT ignored, an ignore that fork and exec pass on to every run: a Ctrl-C
    then did nothing (exit 0, not 130), which read as a flake under load (closing26).
    Python's own handler here is reset to the default by exec, as a terminal's job has it."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory):
    """wordfreq's cached lists (dedup/zipf_cache.py) go to a folder of the test session,
    never the user's ~/.cache: for this process and the CLI runs it starts."""
    from cleaner.dedup.zipf_cache import CACHE_ENV

    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("cleaner-cache"))
    yield
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(scope="session")
def cfg():
    return load_config()


@pytest.fixture(scope="session")
def expectations():
    return json.loads((DATA / "raw_expectations.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def raw_run(cfg):
    """The pipeline over the shipped sample corpus, once per test session."""
    docs = read_inputs(RAW, cfg["read"]["extensions"], cfg["read"]["max_file_bytes"])
    return run_documents(docs, cfg, workers=1)


@pytest.fixture(scope="session")
def raw_docs(raw_run):
    return {d.id: d for d in raw_run.documents}
