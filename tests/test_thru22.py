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
    with pytest.raises(ResumeError, match=f"checkpoint format 1, this one reads {CHECKPOINT_FORMAT}"):
        Checkpoint(out, "fp", resume=True)
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"id": "a", "text": "Some text here."}) + "\n")
    result = subprocess.run([sys.executable, "-m", "cleaner", "run", str(inp), "--out", str(out), "--resume"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"cleaner: error: cannot resume: the interrupted run in {out} was written by another cleaner version "
        f"(checkpoint format 1, this one reads {CHECKPOINT_FORMAT}); run without --resume to start over"]
    # Without --resume the run starts over, as for any other checkpoint it cannot use.
    result = subprocess.run([sys.executable, "-m", "cleaner", "run", str(inp), "--out", str(out), "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert not (out / PARTIAL_DIR).exists() and (out / "documents.jsonl").exists()


# Templates' line word counts and the story tier's line words by a code page's table
# (signatures.CODE_PAGES): a text that fits Latin-1, cp1252 or cp1251 no longer goes through
# numpy's code point arrays (~35 -> ~14-18 µs a line count of a 3 KB text).
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cleaner.core.text import nfkc, word_count  # noqa: E402
from cleaner.dedup import signatures, terms  # noqa: E402

def _page(codec: str) -> str:
    """Every character (all code points tried, surrogates aside) the code page encodes."""
    return "".join(chr(c) for c in range(0x110000)
                   if not 0xD800 <= c < 0xE000 and len(chr(c).encode(codec, "ignore")) == 1)


PAGE_CHARS = {codec: _page(codec) for codec in signatures.CODE_PAGES}


def test_each_code_page_gives_a_character_the_one_byte_that_decodes_back_to_it():
    """What makes a code page's table exact: every character it encodes (all code points
    tried) encodes to one byte, and that byte decodes to the same character; its tables
    flag that byte as the word-character table flags the character."""
    flags = signatures._word_chars()
    for codec, chars in PAGE_CHARS.items():
        kept, marks = signatures.code_page_tables(codec)
        assert len(chars) >= 250, codec
        for ch in chars:
            (byte,) = ch.encode(codec)
            assert bytes([byte]).decode(codec) == ch
            word = bool(flags[ord(ch)])
            assert kept[byte] == (byte if word or ch == "\n" else 32)
            assert marks[byte] == (97 if word else 10 if ch == "\n" else 32)


def _counts(text):
    return [word_count.__wrapped__(line) for line in text.split("\n")]


@pytest.mark.parametrize("codec", signatures.CODE_PAGES)
def test_line_word_counts_on_every_character_of_a_code_page(codec):
    chars = PAGE_CHARS[codec]
    lines = ["".join("a" + c + "a " for c in chars[k:k + 40]) for k in range(0, len(chars), 40)]
    text = "\n".join(lines) + "\n\n" + chars.replace("a", "")
    assert signatures.in_code_page(text)[0] == codec
    assert signatures.line_word_counts(text) == _counts(text)


PAGES = st.sampled_from(list("ab _-'’\n\t.,1éß–€\x85\xa0ёЖї\u0301") + ["\x00", "\r", "\x1c"])


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=PAGES, max_size=120))
def test_line_word_counts_by_a_code_page_is_word_count_a_line(text):
    assert signatures.line_word_counts(text) == _counts(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=PAGES, max_size=60).map(nfkc), max_size=12))
def test_lines_word_hashes_by_a_code_page_is_a_line_at_a_time(lines):
    assert terms.lines_word_hashes(lines) == [terms._folded_word_hashes(line) for line in lines]


@pytest.mark.parametrize("text", ["Plain ASCII words, here.\nSecond line",
                                  "Größe – „Zitat“ und €5\nzweite Zeile",
                                  "Привет, мир! Ще раз\nїжак і ґанок"])
def test_a_text_in_a_code_page_is_counted_without_code_point_arrays(monkeypatch, text):
    want_counts = _counts(text)
    want_hashes = [terms._folded_word_hashes(nfkc(line)) for line in text.split("\n")]

    def refused(text):
        raise AssertionError("numpy's code points used")

    monkeypatch.setattr(signatures, "_codepoints", refused)
    monkeypatch.setattr(terms, "_codepoints", refused)
    assert signatures.line_word_counts(text) == want_counts
    assert terms.lines_word_hashes([nfkc(line) for line in text.split("\n")]) == want_hashes


def test_a_text_in_no_code_page_still_counts_by_the_word_character_table():
    text = "Ελληνικά και English\nمرحبا بالعالم\nΑ"
    assert signatures.in_code_page(text) is None
    assert signatures.line_word_counts(text) == _counts(text)
    lines = [nfkc(line) for line in text.split("\n")]
    assert terms.lines_word_hashes(lines) == [terms._folded_word_hashes(line) for line in lines]
