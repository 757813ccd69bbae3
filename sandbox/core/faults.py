"""Injected faults: the next N matching requests fail with a status or a dropped connection,
are answered with a given body, or their answers break off mid-body (a reset, a close, a
stall or a one-byte drip)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

CUTS = ("reset", "close", "stall", "drip")


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
    expire_tokens: bool = False  # expire the seller's tokens (every one's without a seller_id)
    cut: str | None = None  # the answer's body breaks off: reset, close, stall or drip
    at: float = 0.5  # the share of the body sent before the cut
    body: str | None = None  # the answer's body (status 200 unless given), as the wire carries it
    rate_limit: float | None = None  # x-amzn-RateLimit-Limit on the answer, in Amazon's rate

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> Fault:
        allowed = {f for f in cls.__dataclass_fields__}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        fault = cls(**spec)
        if fault.cut is not None and fault.cut not in CUTS:
            raise ValueError(f"cut must be one of {CUTS}")
        if not 0.0 <= fault.at < 1.0:
            raise ValueError("at must be in [0, 1)")
        answers = fault.disconnect or fault.expire_tokens or fault.cut or fault.body is not None
        if fault.status is None and not answers:
            raise ValueError(
                "a fault needs a status, a body, disconnect=true, expire_tokens=true or a cut"
            )
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

    def take(
        self, service: str, operation: str, seller_id: str | None = None, cut: bool = False
    ) -> Fault | None:
        """The first matching fault, used once: one that answers in place of the service, or
        (`cut`) one that breaks the body of the service's answer."""
        with self._lock:
            for fault in self._faults:
                if (fault.cut is not None) == cut and fault.matches(service, operation, seller_id):
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None
