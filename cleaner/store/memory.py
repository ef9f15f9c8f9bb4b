"""Whole documents kept in memory: the document store of the Python API.

It answers the spool's calls (store/spool.py: put, get, get_parts, put_arrays,
get_array, close), so one flow (exec/flow.py) drives both. A document is its own slim
copy here: nothing is written, arrays stay where they are."""

from __future__ import annotations

from typing import Any

from cleaner.core.document import Document


class MemoryStore:
    slims = False  # the flow keeps whole documents, not slim copies (see exec/flow.pack)
    shared_with_workers = False  # worker processes cannot put into this process's memory

    def __init__(self) -> None:
        self._docs: list[Document] = []

    def put(self, doc: Document, entry: tuple | None = None) -> int:
        self._docs.append(doc)
        return len(self._docs) - 1

    def get(self, ref: int) -> Document:
        return self._docs[ref]

    def get_parts(self, ref: int) -> tuple[bytes, bytes, bytes]:
        return self._docs[ref].json_parts()

    def put_arrays(self, arrays: list[Any]) -> list[Any]:
        return arrays  # a reference to an array in memory is the array

    def get_array(self, ref: Any) -> Any:
        return ref

    def close(self, keep: bool = False) -> None:
        self._docs = []
