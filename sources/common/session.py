"""A requests session that paces every request through its operation's bucket and retries.

Subclasses say what a response means for their API (`assess`), how to read the server's
pacing hints (`observe`) and which exception a final failure raises (`error_for`). A body is
read whole inside the retry loop (one that breaks off is asked for again) and refused past
`max_body_bytes`; a streamed one is read by `consume`, which starts over when it breaks off.
"""

from __future__ import annotations

import enum
import logging
import random
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3
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
    # what a streamed body (`response.raw`) raises when it breaks off: a reset, a close short
    # of its length, a read timeout
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.ReadTimeoutError,
)
BODY_CHUNK = 1 << 16
T = TypeVar("T")
log = logging.getLogger("sources")


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


class BodyTooLargeError(Exception):
    """An answer refused for its size before it was read whole (the `cause` of `error_for`)."""


class RetryAfterTooLongError(Exception):
    """Throttled again after waiting a Retry-After longer than the policy's cap once (the
    `cause` of `error_for`): the server asks for more time than a run gives it."""


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
        max_body_bytes: int | None = None,
    ) -> None:
        """`accepted`: error statuses handed back as answers (a raw request's 404);
        `server_clock` learns the server's time from every response's `Date` header;
        `max_body_bytes` refuses larger answers before reading them (streams excepted)."""
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
        self.max_body_bytes = max_body_bytes
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
        if kwargs.get("timeout") is None:  # requests' own methods pass timeout=None
            kwargs["timeout"] = self.timeout
        streamed = kwargs.pop("stream", False)
        attempt = 0
        refreshes = 0
        throttles = 0
        throttle_waits = 0.0  # seconds waited for throttles, in delays and refill slots
        overlong = False  # a Retry-After past the cap was waited (its cap) once
        try:
            while True:
                waited = bucket.acquire()
                if throttles:
                    throttle_waits += waited
                self.before_attempt(request)
                sent = self.clock.monotonic()
                try:
                    response = super().send(request, stream=True, **kwargs)
                    if not streamed or response.status_code >= 400:  # an error's body, too
                        self._read_body(response)
                except TRANSIENT_NETWORK_ERRORS as error:
                    attempt += 1
                    self.stats.record(operation, retried=True, error=True, waited=waited)
                    resend = operation not in self.unsafe or never_sent(error)
                    if attempt >= self.policy.max_attempts or not resend:
                        raise self.error_for(None, operation, error) from error
                    self.clock.sleep(self.policy.server_error_delay(attempt, self.jitter()))
                    continue
                except BodyTooLargeError as error:
                    self.stats.record(operation, error=True, waited=waited)
                    raise self._failed(response, operation, error) from None
                duration = self.clock.monotonic() - sent
                self.latency += 0.2 * (duration - self.latency)
                self.server_clock.observe(response.headers.get("Date"))
                self.observe(response, bucket)
                verdict = self.assess(response, operation)
                if verdict is Verdict.DONE:
                    self.stats.record(operation, retried=attempt + throttles > 0, waited=waited)
                    break
                if (
                    verdict is Verdict.REFRESH_AUTH
                    and refreshes < AUTH_REFRESHES
                    and self.refresh_auth(request)
                ):
                    refreshes += 1
                    self.stats.record(operation, retried=True, error=True, waited=waited)
                    continue
                if verdict is Verdict.THROTTLED:
                    throttles += 1
                    self.stats.record(
                        operation, throttled=True, retried=True, error=True, waited=waited
                    )
                    retry_after = parse_retry_after(
                        response.headers.get("Retry-After"), self.clock.now().timestamp()
                    )
                    if retry_after is None:  # a blind retry counts as an attempt
                        attempt += 1
                        if attempt >= self.policy.max_attempts:
                            raise self._failed(response, operation)
                    elif self.policy.overlong(retry_after):
                        if overlong:
                            cause = RetryAfterTooLongError(
                                f"Retry-After {retry_after:g} s, longer than the "
                                f"{self.policy.retry_after_cap:g} s a run waits"
                            )
                            raise self._failed(response, operation, cause)
                        overlong = True
                    bucket.drain()
                    delay = self.policy.throttle_delay(
                        throttles, retry_after, bucket.rate, self.jitter()
                    )
                    if throttle_waits + delay > self.policy.throttle_seconds:
                        raise self._failed(response, operation)
                    throttle_waits += delay
                    response.close()
                    self.clock.sleep(delay)
                    continue
                if verdict is Verdict.SERVER_ERROR:
                    attempt += 1
                    self.stats.record(operation, retried=True, error=True, waited=waited)
                    if attempt >= self.policy.max_attempts:
                        raise self._failed(response, operation)
                    response.close()
                    self.clock.sleep(self.policy.server_error_delay(attempt, self.jitter()))
                    continue
                self.stats.record(operation, error=True, waited=waited)
                raise self._failed(response, operation)
        finally:
            request.hooks = hooks
        return dispatch_hook("response", hooks, response, **kwargs)

    def _failed(
        self, response: requests.Response, operation: str, cause: Exception | None = None
    ) -> Exception:
        """The final error for `response`, whose connection then goes back to the pool."""
        error = self.error_for(response, operation, cause)
        response.close()
        return error

    def _read_body(self, response: requests.Response) -> None:
        """The whole body, as requests reads it, but refused past `max_body_bytes`: by its
        Content-Length before a byte of it is read, else as soon as it grows past."""
        cap = self.max_body_bytes
        if cap is None:
            response.content  # noqa: B018
            return
        declared = response.headers.get("Content-Length", "")
        size = int(declared) if declared.isdigit() else 0
        body = bytearray()
        if size <= cap:
            for chunk in response.iter_content(BODY_CHUNK):
                body += chunk
                size = len(body)
                if size > cap:
                    break
        if size > cap:
            response.close()
            raise BodyTooLargeError(
                f"an answer of {'over ' if not declared else ''}{size:,} bytes was refused: "
                f"more than the {cap:,} one may hold"
            )
        response._content = bytes(body)  # what `response.content` returns from now on

    def consume(
        self,
        method: str,
        url: str,
        read: Callable[[requests.Response], T],
        damaged: tuple[type[Exception], ...] = (),
    ) -> T:
        """`read` a streamed answer whole. A body that breaks off, or that `read` finds
        `damaged` (a checksum that fails), is asked for again and `read` starts over,
        `max_attempts` times at most; then the last damage stands."""
        attempt = 0
        while True:
            response = self.request(method, url, stream=True)
            try:
                with response:
                    return read(response)
            except (*TRANSIENT_NETWORK_ERRORS, *damaged) as error:
                operation = self.operation_of(response.request)  # each try is a call counted
                attempt += 1
                if attempt >= self.policy.max_attempts:
                    if isinstance(error, damaged):
                        raise
                    raise self.error_for(None, operation, error) from error
                log.info("%s: %s; asking again", operation, error)
                self.clock.sleep(self.policy.server_error_delay(attempt, self.jitter()))
