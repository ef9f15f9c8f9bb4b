"""review-19: defects found reviewing session 18's commits and attacking the product.
Each test fails without its fix."""

import gzip
import json

import pytest

# --- a .gz read through a URL (input/urls.py) as a folder's is -----------------------------


def test_a_gz_read_through_a_url_is_read_as_the_folders_own(tmp_path):
    """9673675 taught the folder reader to read a .gz as gunzip does (data after its gzip data
    ignored and said): the same folder named by a file:// URL still rejected the article whole
    ("cannot read file: Not a gzipped file") and a feed's tail differently; and a damaged
    member there (zlib.error, not an OSError) was "read failed (internal error, a bug)"."""
    pytest.importorskip("fsspec")
    from cleaner.core.config import load_config
    from cleaner.input.read import parse_deferred, read_input
    from cleaner.input.urls import read_deferred

    page = b"<html><body><article><p>" + b"The harbour board met on Monday about the new quay. " * 8 + b"</p></article></body></html>"
    feed = "".join(json.dumps({"id": f"f{i}", "text": f"Line {i} of the feed, about the quay."}) + "\n" for i in range(2))
    damaged = bytearray(gzip.compress(page))
    for i in range(15, 40):
        damaged[i] ^= 0x55
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.html.gz").write_bytes(gzip.compress(page) + b"JUNK after it")
    (inp / "b.jsonl.gz").write_bytes(gzip.compress(feed.encode()) + b"GARBAGE\n")
    (inp / "c.txt.gz").write_bytes(bytes(damaged))
    (inp / "list.json.gz").write_bytes(gzip.compress(json.dumps([{"id": "j1", "text": "One."}]).encode()) + b"tail")
    cfg = load_config()

    def read(where):
        limit = cfg["read"]["max_file_bytes"]
        return {d.id: (d.ok, d.meta, d.error) for d in (parse_deferred(read_deferred(d, limit)) for d in read_input(where, cfg))}

    folder, url = read(inp), read(inp.as_uri())
    assert folder["a"] == (True, {"gzip": "data after the end of the gzip data, which is not gzip, was not read"}, None)
    assert folder["c"][0] is False and "internal" not in folder["c"][2]
    assert url.keys() == folder.keys()
    for key in ("a", "b:3", "f0", "f1", "j1"):
        assert url[key] == folder[key], key
    assert url["c"][0] is False and "while decompressing data" in url["c"][2]
