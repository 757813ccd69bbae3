"""The call log: every request the sandbox answered, on the clock's pace timeline."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    at: float  # pace seconds (SandboxClock.pace), where usage plans refill
    service: str
    operation: str
    seller_id: str | None
    status: int
    query: str = ""  # the request's query string: the parameters a client sent

    @property
    def throttled(self) -> bool:
        """429, or MWS's 503 RequestThrottled."""
        return self.status == 429 or (self.service == "mws" and self.status == 503)


class CallLog:
    """Append-only; summaries are computed on read so recording stays cheap."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recorded = threading.Condition(self._lock)
        self._calls: list[Call] = []

    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._recorded.notify_all()

    def wait_for(self, done: Callable[[list[Call]], bool], timeout: float) -> bool:
        """Block until `done(calls)` holds (a test's "when the client asks for page 37"), at
        most `timeout` real seconds; whether it held."""
        with self._lock:
            return self._recorded.wait_for(lambda: done(self._calls), timeout)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def summary(self) -> dict[str, Any]:
        """Counts per operation (calls, throttled, statuses); per seller with first/last times."""
        operations: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"calls": 0, "throttled": 0, "statuses": defaultdict(int)}
        )
        sellers: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for call in self.calls():
            key = f"{call.service}.{call.operation}"
            entry = operations[key]
            entry["calls"] += 1
            entry["statuses"][str(call.status)] += 1
            if call.throttled:
                entry["throttled"] += 1
            if call.seller_id:
                span = sellers[call.seller_id].setdefault(
                    key, {"calls": 0, "throttled": 0, "first_at": call.at, "last_at": call.at}
                )
                span["calls"] += 1
                span["throttled"] += int(call.throttled)
                span["first_at"] = min(span["first_at"], call.at)
                span["last_at"] = max(span["last_at"], call.at)
        return {
            "total": sum(e["calls"] for e in operations.values()),
            "throttled": sum(e["throttled"] for e in operations.values()),
            "operations": {
                k: {**v, "statuses": dict(v["statuses"])} for k, v in operations.items()
            },
            "sellers": dict(sellers),
        }
