"""Failures a run collects instead of raising, so that everything else still loads."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("sources")


@dataclass(frozen=True)
class Failure:
    resource: str
    key: str  # what failed inside the resource: an account, a report
    error: BaseException

    def __str__(self) -> str:
        return f"{self.resource} [{self.key}]: {self.error}"


class Failures:
    """Thread-safe list; `pipelines/run.py` prints it and exits non-zero when it is not empty.
    With a `parent`, every failure is recorded there too (a seller's inside the run's)."""

    def __init__(self, parent: Failures | None = None) -> None:
        self._lock = threading.Lock()
        self._items: list[Failure] = []
        self._parent = parent

    def add(self, resource: str, key: str, error: BaseException) -> bool:
        """One error is recorded once, however many resources it stopped (an account whose
        credentials Login with Amazon refused fails each of them with the same error); True
        when it is new."""
        with self._lock:
            if any(item.error is error for item in self._items):
                return False
            self._items.append(Failure(resource, key, error))
        return self._parent is None or self._parent.add(resource, key, error)

    def __iter__(self):  # type: ignore[no-untyped-def]
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def guarded(
    produce: Callable[[], Iterator[T]],
    failures: Failures | None,
    resource: str,
    key: str,
    errors: tuple[type[BaseException], ...],
) -> Iterator[T]:
    """One producer's items; with a collector, its failure is recorded and spares the rest."""
    try:
        yield from produce()
    except errors as error:
        if failures is None:
            raise
        if failures.add(resource, key, error):
            log.error("%s [%s] failed: %s", resource, key, error)
