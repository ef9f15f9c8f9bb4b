"""Whole documents kept in memory: the document store of the Python API.

It answers the spool's calls (store/spool.py: put, get, get_parts, put_arrays,
get_array, close), so one flow (exec/flow.py) drives both. A document is its own slim
copy here: nothing is written, arrays stay where they are."""

from __future__ import annotations

from typing import Any

from cleaner.core.document import Document


class MemoryStore:
    # The flow keeps whole documents, not slim copies (exec/flow.pack), and puts them here
    # itself: worker processes cannot put into this process's memory.
    slims = False

    # A reference to a document in memory is the document: nothing to hold or look up.
    def put(self, doc: Document, entry: tuple[str, Document] | None = None) -> Document:
        return doc

    def get(self, ref: Document) -> Document:
        return ref

    def get_parts(self, ref: Document) -> tuple[bytes, bytes, bytes]:
        return ref.json_parts()

    def put_arrays(self, arrays: list[Any]) -> list[Any]:
        return arrays  # likewise, an array's reference is the array

    def get_array(self, ref: Any) -> Any:
        return ref

    def close(self, keep: bool = False) -> None:
        pass
