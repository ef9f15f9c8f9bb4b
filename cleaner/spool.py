"""A temporary file of documents, so that a run's memory holds signatures, not texts.

Pickled documents are appended one after another; each append returns the offset to read
it back. The file lives in a private temporary folder and is deleted on close.
"""

from __future__ import annotations

import os
import pickle
import tempfile

from .document import Document


class Spool:
    def __init__(self, folder: str | None = None):
        self._dir = tempfile.TemporaryDirectory(prefix="cleaner-spool-", dir=folder)
        self.path = os.path.join(self._dir.name, "documents.pickle")
        self._fh = open(self.path, "w+b")

    def append_bytes(self, blob: bytes) -> int:
        """Append a pickled document (pickled where it was processed); returns its offset."""
        self._fh.seek(0, os.SEEK_END)
        offset = self._fh.tell()
        self._fh.write(blob)
        return offset

    def get(self, offset: int) -> Document:
        self._fh.seek(offset)
        return pickle.load(self._fh)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self._dir.cleanup()

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
