"""The main process's serial parts made cheaper without changing a byte (#18 point 3):
row encoding and the spool's reads."""

import json
import os

import pytest

from cleaner.core.document import Document, dump
import cleaner.store.spool as spool_module
from cleaner.store.spool import Spool

READ_AHEAD = getattr(spool_module, "READ_AHEAD", 16384)  # main had none: the test then fails on its reads


@pytest.mark.parametrize("value", [
    "plain", "ünïcødé — «ру́сский» 中文 \u2028 \x00 \"quoted\" \\", 3, 0.1, 1e300, float("nan"), None, True,
    {"a": [1, 2.5, None], "b": {"c": "d"}, "é": []}, [], {}, ["x", {"y": float("inf")}],
])
def test_dump_is_json_dumps_without_a_new_encoder_each_call(value, monkeypatch):
    expected = json.dumps(value, ensure_ascii=False)
    built = []
    init = json.JSONEncoder.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        init(self, *args, **kwargs)

    monkeypatch.setattr(json.JSONEncoder, "__init__", counting)
    assert dump(value) == expected
    assert built == []  # one encoder, built at import


def test_a_row_is_read_back_in_one_read_unless_longer_than_the_read_ahead(tmp_path, monkeypatch):
    short = Document(id="s", source="x", text="a line\n" * 10)
    long = Document(id="l", source="x", text="ж" * (2 * READ_AHEAD))  # 2 bytes a letter in UTF-8
    spool = Spool(str(tmp_path))
    try:
        refs = {doc.id: spool.put(doc) for doc in (short, long)}
        reads = []
        real = os.pread

        def counting(fd, n, offset):
            reads.append(n)
            return real(fd, n, offset)

        monkeypatch.setattr(os, "pread", counting)
        assert spool.get_parts(refs["s"]) == short.json_parts()
        assert len(reads) == 1
        reads.clear()
        assert spool.get_parts(refs["l"]) == long.json_parts()
        assert len(reads) == 2
        assert spool.get(refs["s"]).text == short.text and spool.get(refs["l"]).text == long.text
    finally:
        spool.close()
