"""Run several producers (one per account, one per report) in threads and merge their items."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def interleave(
    producers: list[Callable[[], Iterator[T]]], workers: int = 4, buffer: int = 16
) -> Iterator[T]:
    """Yield every producer's items as they arrive; the first exception is re-raised here.

    The queue is bounded, so fast producers wait for the consumer (memory stays flat), and
    closing this generator stops the producers at their next item.
    """
    if not producers:
        return
    items: queue.Queue[object] = queue.Queue(maxsize=buffer)
    stop = threading.Event()
    pending = list(enumerate(producers))
    lock = threading.Lock()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def worker() -> None:
        while not stop.is_set():
            with lock:
                if not pending:
                    break
                _, produce = pending.pop(0)
            try:
                for item in produce():
                    if not put(item):
                        return
            except BaseException as error:  # handed to the consumer
                put(_Raised(error))
                return
        put(_DONE)

    threads = [
        threading.Thread(target=worker, name=f"producer-{n}", daemon=True)
        for n in range(min(workers, len(producers)))
    ]
    for thread in threads:
        thread.start()
    finished = 0
    try:
        while finished < len(threads):
            item = items.get()
            if item is _DONE:
                finished += 1
            elif isinstance(item, _Raised):
                raise item.error
            else:
                yield item  # type: ignore[misc]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
