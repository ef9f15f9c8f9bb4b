"""thru-22 (#18): a checkpoint's entry no longer pickles its slim copy's arrays a second time.

Before (checkpoint format 1), flow.pack pickled the slim copy into the entry frame with its
arrays as bytes (shingles, MinHashes, packed line words: ~4 KB of a ~6 KB entry), then
stored the same arrays again in the segment's .arrays file, and every run, resumed or not,
deleted the .arrays files. Now (format 2) the arrays are stored once, before the entry,
which holds their references and a CRC-32 of them; a resumed run reads them where the
interrupted one wrote them. A checkpoint of format 1 is refused in one line.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from cleaner.core.document import Document, Stored
from cleaner.core.features import ARRAY_FIELDS, Features
from cleaner.exec import flow
from cleaner.stages.templates import Templates
from cleaner.store.checkpoint import Checkpoint
from cleaner.store.spool import CHECKPOINT_FORMAT, ENTRY_CHECK, FRAME_LENGTH, META, PARTIAL_DIR, ResumeError


def _signed(i: int) -> Document:
    doc = Document(id=f"d{i}", text=f"Report {i} from Town{i}.\nThe council met on Monday.", source="feed.jsonl",
                   lang="en", title=f"Report {i}")
    rng = np.random.default_rng(i)
    doc.features = Features(exact=f"{i:040x}", near=np.sort(rng.integers(0, 2**32, 300, dtype=np.uint32)),
                            near_mh=rng.integers(0, 2**32, 128, dtype=np.uint32),
                            story_mh=rng.integers(0, 2**32, 128, dtype=np.uint32), terms=("council", f"town{i}"),
                            words=9, line_words=rng.integers(0, 2**32, 200, dtype=np.uint32).tobytes())
    doc.stored = Stored(input_key=f"key{i}")
    return doc


def _arrays(features: Features, read) -> list[list[int]]:
    return [read(getattr(features, name)) for name in ARRAY_FIELDS]


def _as_list(value) -> list[int]:
    return np.frombuffer(value, dtype=np.uint32).tolist() if isinstance(value, bytes) else np.asarray(value).tolist()


def _checkpointed(out, n=4):
    """Documents packed into a checkpoint as a run's workers do (flow.pack, keyed), left
    behind as a killed run leaves it; their arrays as signed."""
    cp = Checkpoint(out, "fp", resume=False)
    want = {}
    for i in range(n):
        doc = _signed(i)
        want[f"key{i}"] = _arrays(doc.features, _as_list)
        slim = flow.pack(doc, Templates(), cp, keyed=True)
        assert _arrays(slim.features, lambda ref: cp.get_array(ref).tolist()) == want[f"key{i}"]
    cp.close(keep=True)
    return want


def _entries(out):
    """Each entry frame's pickle, as a segment holds it."""
    (segment,) = (out / PARTIAL_DIR).glob("*.spool")
    data, at, found = segment.read_bytes(), 0, []
    while at < len(data):
        (size,) = FRAME_LENGTH.unpack_from(data, at)
        payload = data[at + FRAME_LENGTH.size:at + FRAME_LENGTH.size + size]
        if payload[:1] == b"E":
            found.append(payload[1:-ENTRY_CHECK.size])
        at += FRAME_LENGTH.size + size
    return found


def test_an_entry_points_at_its_slim_copys_arrays_instead_of_holding_them(tmp_path):
    _checkpointed(tmp_path)
    entries = _entries(tmp_path)
    assert len(entries) == 4
    for pickled in entries:
        key, ref, slim, check = pickle.loads(pickled)
        assert all(isinstance(getattr(slim.features, name), int) for name in ARRAY_FIELDS)
        assert len(pickled) < 1500  # the arrays alone are 3,024 bytes
    meta = json.loads((tmp_path / PARTIAL_DIR / META).read_text())
    assert meta == {"fingerprint": "fp", "format": CHECKPOINT_FORMAT}


def test_a_resumed_run_reads_the_arrays_where_the_interrupted_run_stored_them(tmp_path):
    want = _checkpointed(tmp_path)
    arrays_files = sorted(p.name for p in (tmp_path / PARTIAL_DIR).glob("*.arrays"))
    cp = Checkpoint(tmp_path, "fp", resume=True)
    try:
        assert sorted(cp.done) == sorted(want)
        # the interrupted run's .arrays files stay (format 1 deleted them at every start)
        assert set(arrays_files) <= {p.name for p in (tmp_path / PARTIAL_DIR).glob("*.arrays")}
        for key, (ref, slim) in cp.done.items():
            assert _arrays(slim.features, lambda r: cp.get_array(r).tolist()) == want[key]
            assert cp.get(ref).text.startswith(f"Report {key[3:]} ")
    finally:
        cp.close(keep=True)


@pytest.mark.parametrize("damage", ["byte", "cut", "gone"])
def test_damaged_arrays_make_their_document_and_the_rest_processed_again(tmp_path, damage):
    """The entry's CRC-32 of its arrays: a byte changed in the third document's arrays, the
    .arrays file cut inside them, or the file gone: the documents before resume, the rest
    are processed again; nothing raises."""
    _checkpointed(tmp_path)
    (arrays,) = (tmp_path / PARTIAL_DIR).glob("*.arrays")
    per_doc = (300 + 128 + 128 + 200) * 4
    data = bytearray(arrays.read_bytes())
    assert len(data) == 4 * per_doc
    if damage == "byte":
        data[2 * per_doc + 700] ^= 1
        arrays.write_bytes(bytes(data))
    elif damage == "cut":
        arrays.write_bytes(bytes(data[:2 * per_doc + 10]))
    else:
        os.remove(arrays)
    cp = Checkpoint(tmp_path, "fp", resume=True)
    try:
        assert sorted(cp.done) == ([] if damage == "gone" else ["key0", "key1"])
    finally:
        cp.close(keep=True)


def test_a_checkpoint_of_the_earlier_format_is_refused_in_one_line(tmp_path):
    out = tmp_path / "out"
    _checkpointed(out)
    (out / PARTIAL_DIR / META).write_text(json.dumps({"fingerprint": "fp"}) + "\n")  # as format 1 wrote it
    with pytest.raises(ResumeError, match="checkpoint format 1, this one reads 2"):
        Checkpoint(out, "fp", resume=True)
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"id": "a", "text": "Some text here."}) + "\n")
    result = subprocess.run([sys.executable, "-m", "cleaner", "run", str(inp), "--out", str(out), "--resume"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"cleaner: error: cannot resume: the interrupted run in {out} was written by another cleaner version "
        "(checkpoint format 1, this one reads 2); run without --resume to start over"]
    # Without --resume the run starts over, as for any other checkpoint it cannot use.
    result = subprocess.run([sys.executable, "-m", "cleaner", "run", str(inp), "--out", str(out), "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert not (out / PARTIAL_DIR).exists() and (out / "documents.jsonl").exists()
