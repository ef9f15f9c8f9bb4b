"""A checkpoint's entries carry a CRC-32 of their document's frames (store/spool.ENTRY_CHECK):
a document damaged on disk is processed again by --resume, never spliced in as it reads."""

from cleaner.core.document import Document
from cleaner.store.checkpoint import Checkpoint
from cleaner.store.spool import FRAME_LENGTH, PARTIAL_DIR


def _written(out, n=5):
    cp = Checkpoint(out, "fp", resume=False)
    for i in range(n):
        doc = Document(id=f"d{i}", source="feed.jsonl", text=f"Report {i} from Town{i}: the council met.")
        cp.put(doc, (f"key{i}", doc))
    cp.close(keep=True)
    return sorted((out / PARTIAL_DIR).glob("*.spool"))


def _frames(data):
    at, found = 0, []
    while at + FRAME_LENGTH.size <= len(data):
        (size,) = FRAME_LENGTH.unpack_from(data, at)
        found.append((at, data[at + FRAME_LENGTH.size:at + FRAME_LENGTH.size + 1], size))
        at += FRAME_LENGTH.size + size
    return found


def _resumed(out):
    cp = Checkpoint(out, "fp", resume=True)
    try:
        return sorted(cp.done)
    finally:
        cp.close(keep=True)


def test_an_intact_checkpoint_resumes_every_document(tmp_path):
    _written(tmp_path)
    assert _resumed(tmp_path) == [f"key{i}" for i in range(5)]


def test_a_byte_changed_in_any_frame_of_a_document_makes_it_and_the_rest_processed_again(tmp_path):
    """A byte of the text in the third document's D frame (Town2 -> Tovn2: still a pickle,
    the wrong document), in its J frame (the row parts) or in its entry's slim copy: the
    first two documents resume, the third and those after it are processed again."""
    for tag, old, new in ((b"D", b"Town2", b"Tovn2"), (b"J", b"Town2", b"Tovn2"), (b"E", b"Town2", b"Tovn2")):
        out = tmp_path / tag.decode()
        (segment,) = _written(out)
        data = bytearray(segment.read_bytes())
        frames = [f for f in _frames(data) if f[1] == tag]
        at, _, size = frames[2]
        hit = data.index(old, at, at + FRAME_LENGTH.size + size)
        data[hit:hit + len(old)] = new
        segment.write_bytes(bytes(data))
        assert _resumed(out) == ["key0", "key1"], tag
