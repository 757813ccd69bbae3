"""One retry policy for every source: bounded attempts, capped Retry-After, jittered backoff."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to wait; randomness is passed in so tests can pin it."""

    max_attempts: int = 8
    backoff_base: float = 1.0  # seconds before the first retry of a 5xx or a dropped connection
    backoff_cap: float = 60.0
    retry_after_cap: float = 120.0

    def server_error_delay(self, attempt: int, jitter: float) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)), jitter in [0, 1)."""
        return jitter * min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))

    def throttle_delay(
        self, attempt: int, retry_after: float | None, rate: float, jitter: float
    ) -> float:
        """Honour Retry-After (capped); else back off in refill slots beyond the bucket's own wait.

        The drained bucket already waits one slot, so the first retry adds nothing.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap)
        slot = 1.0 / rate if rate > 0 else self.backoff_base
        return min(self.backoff_cap, slot * (2 ** (attempt - 1) - 1)) * (1.0 + 0.1 * jitter)


def parse_retry_after(value: str | None, now_epoch: float) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - now_epoch
    except (TypeError, ValueError):
        return None
