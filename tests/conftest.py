import json
import os
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
