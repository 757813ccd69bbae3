"""Run several producers (one per account, one per report) in threads and merge their items."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = object()


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Once(Generic[T]):
    """A value computed on first use by whichever thread asks first; the others wait for it.
    A failed computation is not kept: the next caller tries again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._value: T | None = None

    def get(self, compute: Callable[[], T]) -> T:
        with self._lock:
            if not self._done:
                self._value = compute()
                self._done = True
            return self._value  # type: ignore[return-value]


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
