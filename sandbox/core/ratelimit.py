"""Server-side usage plans: a token bucket per (seller, operation) in virtual time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class UsagePlan:
    rate: float  # requests per virtual second
    burst: int


class RateLimiter:
    """Answers whether a request fits its bucket; buckets refill on the virtual clock."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def try_acquire(self, key: tuple[str, str], plan: UsagePlan) -> bool:
        now = self._now()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(plan.burst), now))
            tokens = min(float(plan.burst), tokens + (now - last) * plan.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return True
            self._buckets[key] = (tokens, now)
            return False

    def remaining(self, key: tuple[str, str], plan: UsagePlan) -> float:
        """Requests the bucket would allow now (MWS reports it in `x-mws-quota-remaining`)."""
        now = self._now()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(plan.burst), now))
        return min(float(plan.burst), tokens + (now - last) * plan.rate)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
