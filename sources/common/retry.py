"""One retry policy for every source: bounded attempts, capped Retry-After, jittered backoff,
and a bounded time spent waiting out throttles."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to wait; randomness is passed in so tests can pin it.

    5xx answers, dropped connections and throttles that do not say when to come back are
    retried `max_attempts` times in all. A throttle with a Retry-After is the server pacing
    us, not a failed attempt: it is waited out (at least a refill slot, so a long storm costs
    time, never a burst of requests) as long as a request's throttle waits stay within
    `throttle_budget`. Retry-After, its cap, the throttle backoff's cap and the budget are the
    server's seconds: a server whose time runs `time_scale` times faster (the sandbox's) asks
    for as many times shorter waits.
    """

    max_attempts: int = 8
    backoff_base: float = 1.0  # seconds before the first retry of a 5xx or a dropped connection
    backoff_cap: float = 60.0
    retry_after_cap: float = 120.0  # a longer Retry-After is waited this long, once
    throttle_budget: float = 900.0  # seconds one request may wait out throttles
    time_scale: float = 1.0

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
            return min(max(retry_after, 0.0), self.retry_after_cap) / self.time_scale
        slot = 1.0 / rate if rate > 0 else self.backoff_base
        cap = self.backoff_cap / self.time_scale
        return min(cap, slot * (2 ** (attempt - 1) - 1)) * (1.0 + 0.1 * jitter)

    def overlong(self, retry_after: float | None) -> bool:
        """The server asks for a longer wait than a run gives it."""
        return retry_after is not None and retry_after > self.retry_after_cap

    @property
    def throttle_seconds(self) -> float:
        """`throttle_budget` on our clock."""
        return self.throttle_budget / self.time_scale


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
