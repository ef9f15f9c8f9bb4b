"""Cut a stream into batches: at most `size` items, and fewer when the stream pauses
(a feed that sends a few lines and then waits should get its rows without waiting for
a full batch) or trickles (a line every half second never pauses for a second: its
batch closes once it has waited `max_wait` seconds for its lines). A reader thread pulls from the stream while the batch before is decided,
through a bounded queue, so memory holds at most two batches."""

from __future__ import annotations

import enum
import queue
import threading
import time
from typing import Final, Iterable, Iterator, TypeVar

T = TypeVar("T")


class _End(enum.Enum):
    """The end of the stream in the queue (an enum member, so `is` narrows it away)."""

    END = 0


_END: Final = _End.END


def batches(items: Iterable[T], size: int, pause: float = 1.0,
            max_wait: float | None = None) -> Iterator[list[T]]:
    """Lists of up to `size` items, in order; a batch closes early once it holds something
    and no item arrived for `pause` seconds, or `max_wait` seconds after its first item
    (a feed of a line every 0.9 s waited for 1,000 lines, 15 minutes, for its first row).
    An error while reading is raised here, after the items read before it were handed out."""
    pipe: queue.Queue[T | _End] = queue.Queue(maxsize=size)
    failure: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        pipe.put(item, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            failure.append(exc)
        pipe.put(_END)

    reader = threading.Thread(target=read, name="cleaner-reader", daemon=True)
    reader.start()
    try:
        done = False
        while not done:
            batch: list[T] = []
            item = pipe.get()
            # From when this batch took its first item, not from when the reader queued it
            # (the queue fills while the batch before is decided).
            deadline = None if max_wait is None else time.monotonic() + max_wait
            while item is not _END:
                batch.append(item)
                if len(batch) >= size:
                    break
                wait = pause if deadline is None else min(pause, deadline - time.monotonic())
                if wait <= 0:
                    break
                try:
                    item = pipe.get(timeout=wait)
                except queue.Empty:
                    break
            else:
                done = True
            if batch:
                yield batch
        if failure:
            raise failure[0]
    finally:
        stop.set()
