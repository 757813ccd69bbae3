"""A requests session that paces every request through its operation's bucket and retries.

Subclasses say what a response means for their API (`assess`), how to read the server's
pacing hints (`observe`) and which exception a final failure raises (`error_for`).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Hashable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.hooks import default_hooks, dispatch_hook
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from sources.common.clock import Clock, ServerClock
from sources.common.ratelimit import Pacer, TokenBucket
from sources.common.redact import redact_url
from sources.common.retry import RetryPolicy, parse_retry_after
from sources.common.stats import ApiStats

TRANSIENT_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def never_sent(error: Exception) -> bool:
    """True when a request failed before any connection carried it (refused, connect timeout),
    so sending it again cannot repeat it."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


# a token can expire in flight (or a signature's Timestamp go stale): a request asks for
# fresh credentials once before its error stands
AUTH_REFRESHES = 1


class Verdict(enum.Enum):
    DONE = "done"
    THROTTLED = "throttled"
    SERVER_ERROR = "server_error"
    REFRESH_AUTH = "refresh_auth"
    FAIL = "fail"


class RetriesExhaustedError(Exception):
    """Raised by `PacedSession` when a transient failure outlasts the retry policy."""


class PacedSession(requests.Session):
    """Paced, retrying, counted; the response hooks (dlt's among them) see only the final one."""

    # operations that must not run twice (an Add that queues work): a connection that breaks
    # once the request may have left ends them instead of sending them again
    unsafe: frozenset[str] = frozenset()

    def __init__(
        self,
        pacer: Pacer,
        operation_of: Callable[[requests.PreparedRequest], str],
        clock: Clock,
        stats: ApiStats,
        policy: RetryPolicy | None = None,
        jitter: Callable[[], float] = random.random,
        timeout: float = 120.0,
        bucket_key: Callable[[str], Hashable] = lambda operation: operation,
        accepted: frozenset[int] = frozenset(),
        server_clock: ServerClock | None = None,
    ) -> None:
        """`accepted`: error statuses handed back as answers (a raw request's 404);
        `server_clock` learns the server's time from every response's `Date` header."""
        super().__init__()
        self.pacer = pacer
        self.operation_of = operation_of
        self.clock = clock
        self.stats = stats
        self.policy = policy or RetryPolicy()
        self.jitter = jitter
        self.timeout = timeout
        self.bucket_key = bucket_key
        self.accepted = accepted
        self.server_clock = server_clock or ServerClock(clock)
        self.latency = 0.0  # moving average of request durations, in seconds
        self._environment: dict[tuple[Any, ...], dict[str, Any]] = {}

    def merge_environment_settings(  # type: ignore[override]
        self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        """requests re-reads proxy and CA settings from the environment for every request
        (2 ms each, measured); they are read once per host and kept for the session."""
        key = (*urlsplit(url)[:2], repr(proxies), stream, verify, cert)
        settings = self._environment.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            self._environment[key] = settings
        return dict(settings)

    def assess(self, response: requests.Response, operation: str) -> Verdict:
        if response.status_code in self.accepted:
            return Verdict.DONE
        if response.status_code == 429:
            return Verdict.THROTTLED
        if response.status_code >= 500:
            return Verdict.SERVER_ERROR
        if response.status_code >= 400:
            return Verdict.FAIL
        return Verdict.DONE

    def observe(self, response: requests.Response, bucket: TokenBucket) -> None:
        """Adjust pacing from response headers (no-op by default)."""

    def before_attempt(self, request: requests.PreparedRequest) -> None:
        """Last touch before a request leaves (after pacing): e.g. a fresh access token."""

    def refresh_auth(self, request: requests.PreparedRequest) -> bool:
        """Re-authenticate `request` in place; False when it cannot be done."""
        return False

    def error_for(
        self, response: requests.Response | None, operation: str, cause: Exception | None = None
    ) -> Exception:
        where = redact_url(response.url) if response is not None else operation
        status = response.status_code if response is not None else "no response"
        return RetriesExhaustedError(f"{operation} failed ({status}) at {where}")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        operation = self.operation_of(request)
        bucket = self.pacer.bucket(self.bucket_key(operation))
        hooks, request.hooks = request.hooks, default_hooks()
        kwargs.setdefault("timeout", self.timeout)
        attempt = 0
        refreshes = 0
        try:
            while True:
                waited = bucket.acquire()
                self.before_attempt(request)
                sent = self.clock.monotonic()
                try:
                    response = super().send(request, **kwargs)
                except TRANSIENT_NETWORK_ERRORS as error:
                    attempt += 1
                    self.stats.record(operation, retried=True, error=True, waited=waited)
                    resend = operation not in self.unsafe or never_sent(error)
                    if attempt >= self.policy.max_attempts or not resend:
                        raise self.error_for(None, operation, error) from error
                    self.clock.sleep(self.policy.server_error_delay(attempt, self.jitter()))
                    continue
                duration = self.clock.monotonic() - sent
                self.latency += 0.2 * (duration - self.latency)
                self.server_clock.observe(response.headers.get("Date"))
                self.observe(response, bucket)
                verdict = self.assess(response, operation)
                if verdict is Verdict.DONE:
                    self.stats.record(operation, retried=attempt > 0, waited=waited)
                    break
                if (
                    verdict is Verdict.REFRESH_AUTH
                    and refreshes < AUTH_REFRESHES
                    and self.refresh_auth(request)
                ):
                    refreshes += 1
                    self.stats.record(operation, retried=True, error=True, waited=waited)
                    continue
                if verdict in (Verdict.THROTTLED, Verdict.SERVER_ERROR):
                    attempt += 1
                    throttled = verdict is Verdict.THROTTLED
                    self.stats.record(
                        operation, throttled=throttled, retried=True, error=True, waited=waited
                    )
                    if attempt >= self.policy.max_attempts:
                        raise self.error_for(response, operation)
                    if throttled:
                        bucket.drain()
                        retry_after = parse_retry_after(
                            response.headers.get("Retry-After"), self.clock.now().timestamp()
                        )
                        delay = self.policy.throttle_delay(
                            attempt, retry_after, bucket.rate, self.jitter()
                        )
                    else:
                        delay = self.policy.server_error_delay(attempt, self.jitter())
                    response.close()
                    self.clock.sleep(delay)
                    continue
                self.stats.record(operation, error=True, waited=waited)
                raise self.error_for(response, operation)
        finally:
            request.hooks = hooks
        return dispatch_hook("response", hooks, response, **kwargs)
