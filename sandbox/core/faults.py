"""Injected faults: the next N matching requests fail with a status or a dropped connection."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


class Disconnect(Exception):
    """Raised by a service to make the server close the connection without answering."""


@dataclass
class Fault:
    service: str = "*"
    operation: str = "*"
    seller_id: str | None = None
    status: int | None = None  # None with disconnect=True drops the connection
    disconnect: bool = False
    count: int = 1
    retry_after: float | None = None
    skip: int = 0  # matching requests to let through before the fault starts
    expire_tokens: bool = False  # expire every issued token, then answer as auth would

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> Fault:
        allowed = {f for f in cls.__dataclass_fields__}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        fault = cls(**spec)
        if fault.status is None and not (fault.disconnect or fault.expire_tokens):
            raise ValueError("a fault needs a status, disconnect=true or expire_tokens=true")
        if fault.count < 1:
            raise ValueError("count must be at least 1")
        return fault

    def matches(self, service: str, operation: str, seller_id: str | None) -> bool:
        return (
            self.service in ("*", service)
            and self.operation in ("*", operation)
            and (self.seller_id is None or self.seller_id == seller_id)
        )


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, service: str, operation: str, seller_id: str | None = None) -> Fault | None:
        """The first matching fault, used once."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(service, operation, seller_id):
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None
