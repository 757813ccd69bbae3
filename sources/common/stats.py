"""Counters for what a run did over the wire: calls, throttles and retries per operation."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass


@dataclass
class OperationStats:
    calls: int = 0
    throttled: int = 0
    retries: int = 0
    errors: int = 0
    waited_seconds: float = 0.0
    queries: int = 0  # paginated queries (a first page and its next pages)
    pages_needed: int = 0  # the pages their items needed at the page size each asked for


class ApiStats:
    """Thread-safe; keys are `<api>.<operation>`. With a `parent`, every call counts there too
    (a seller's counters inside its source's, inside the run's)."""

    def __init__(self, parent: ApiStats | None = None) -> None:
        self._lock = threading.Lock()
        self._ops: dict[str, OperationStats] = defaultdict(OperationStats)
        self._parent = parent

    def record(
        self,
        operation: str,
        *,
        throttled: bool = False,
        retried: bool = False,
        error: bool = False,
        waited: float = 0.0,
    ) -> None:
        with self._lock:
            entry = self._ops[operation]
            entry.calls += 1
            entry.throttled += int(throttled)
            entry.retries += int(retried)
            entry.errors += int(error)
            entry.waited_seconds += waited
        if self._parent is not None:
            self._parent.record(
                operation, throttled=throttled, retried=retried, error=error, waited=waited
            )

    def paged(self, operation: str, pages_needed: int) -> None:
        """One paginated query of `operation` ended, its items needing `pages_needed` pages."""
        with self._lock:
            entry = self._ops[operation]
            entry.queries += 1
            entry.pages_needed += pages_needed
        if self._parent is not None:
            self._parent.paged(operation, pages_needed)

    def calls(self) -> int:
        with self._lock:
            return sum(entry.calls for entry in self._ops.values())

    def snapshot(self) -> dict[str, OperationStats]:
        with self._lock:
            return {k: OperationStats(**v.__dict__) for k, v in sorted(self._ops.items())}
