"""The Amzpecty client: secretKey auth, one pacing bucket, typed errors, credit tracking."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import orjson
import requests
from requests.auth import AuthBase

from sources.amzpecty.exceptions import (
    AddInDoubtError,
    AmzpectyError,
    AuthenticationError,
    CreditsExhaustedError,
    InvalidRequestError,
    ParentAsinError,
    RidNotFoundError,
    ServerError,
    ThrottledError,
)
from sources.amzpecty.settings import (
    ADD_OPERATIONS,
    ADD_PATHS,
    CALLBACK_URL_HEADER,
    DAILY_LIMIT_REACHED,
    GET_BY_RID_PATH,
    GET_MATCHES_PATH,
    INSUFFICIENT_CREDITS,
    INVALID_SECRET_KEY,
    MATCH,
    PARENT_ASIN_NOT_ALLOWED,
    RID_NOT_FOUND,
    SNAPSHOT,
    TOO_MANY_REQUESTS,
    USER_AGENT,
    USER_AGENT_HEADER,
)
from sources.common.clock import Clock
from sources.common.ratelimit import Pacer
from sources.common.redact import redact_url, register_secret
from sources.common.retry import RetryPolicy
from sources.common.session import PacedSession, Verdict, never_sent
from sources.common.stats import ApiStats

log = logging.getLogger("sources.amzpecty")


class SecretKeyAuth(AuthBase):
    """Appends `secretKey` when the request is prepared, never through `params=` (logged)."""

    def __init__(self, secret_key: str) -> None:
        register_secret(secret_key)
        self._key = secret_key

    def __repr__(self) -> str:
        return "SecretKeyAuth()"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url)
        pair = f"secretKey={quote(self._key, safe='')}"
        query = f"{parts.query}&{pair}" if parts.query else pair
        request.url = urlunsplit(parts._replace(query=query))
        return request


def _envelope(response: requests.Response) -> dict[str, Any]:
    with contextlib.suppress(ValueError):
        body = orjson.loads(response.content)
        if isinstance(body, dict):
            return body
    return {}


def operation_of(request: requests.PreparedRequest) -> str:
    """`amzpecty.<path word>`: add, requestvariants, matchasins, getmatchasins, get."""
    return "amzpecty." + urlsplit(request.url).path.split("/")[3]


def _in_doubt(
    response: requests.Response | None, operation: str, cause: Exception | None = None
) -> bool:
    """An Add that left but got no answer of the service's own (its envelope) may be queued."""
    if operation not in ADD_OPERATIONS:
        return False
    if response is None:
        return cause is None or not never_sent(cause)
    return response.status_code >= 500 and not _message_id(response)


def _message_id(response: requests.Response) -> str:
    return str(_envelope(response).get("messageId") or "")


class AmzpectySession(PacedSession):
    """TOO_MANY_REQUESTS backs off and retries, so do 5xx answers but an Add's without the
    service's envelope (in doubt); every other error is typed and final."""

    unsafe = ADD_OPERATIONS

    def assess(self, response: requests.Response, operation: str) -> Verdict:
        if response.status_code == 429:
            limited = _message_id(response) == TOO_MANY_REQUESTS
            return Verdict.THROTTLED if limited else Verdict.FAIL
        if _in_doubt(response, operation):
            return Verdict.FAIL
        return super().assess(response, operation)

    def error_for(self, response, operation, cause=None):  # type: ignore[no-untyped-def]
        if _in_doubt(response, operation, cause):
            answer = type(cause).__name__ if response is None else response.status_code
            return AddInDoubtError(
                f"{operation}: the answer was lost ({answer}); the request may be queued, so "
                "it is not sent again",
                operation=operation,
                status=None if response is None else response.status_code,
            )
        if response is None:
            return ServerError(
                f"{operation}: no response ({type(cause).__name__})", operation=operation
            )
        body = _envelope(response)
        message_id = str(body.get("messageId") or "")
        text = f"{operation} answered {response.status_code} {message_id}: "
        text += f"{body.get('message') or response.text[:200]} at {redact_url(response.url)}"
        kind: type[AmzpectyError] = {
            TOO_MANY_REQUESTS: ThrottledError,
            INVALID_SECRET_KEY: AuthenticationError,
            INSUFFICIENT_CREDITS: CreditsExhaustedError,
            DAILY_LIMIT_REACHED: CreditsExhaustedError,
            PARENT_ASIN_NOT_ALLOWED: ParentAsinError,
            RID_NOT_FOUND: RidNotFoundError,
        }.get(message_id, ServerError if response.status_code >= 500 else InvalidRequestError)
        if kind is AuthenticationError:
            text += " (check sources.amzpecty.secret_key)"
        return kind(text, operation=operation, status=response.status_code, message_id=message_id)


@dataclass
class Credits:
    """The balance the service last told (`allowed`, `dailyAllowed`) and the floor to keep."""

    floor: int
    allowed: int | None = None
    daily: int | None = None

    def update(self, envelope: dict[str, Any]) -> None:
        if isinstance(envelope.get("allowed"), int):
            self.allowed = envelope["allowed"]
        if "dailyAllowed" in envelope:
            daily = envelope["dailyAllowed"]
            self.daily = daily if isinstance(daily, int) else None

    def left(self) -> int | None:
        known = [value for value in (self.allowed, self.daily) if value is not None]
        return min(known) if known else None

    def check(self, outstanding: int) -> None:
        """Raise before an Add that could take the balance below the floor; the requests
        still outstanding will each cost at least one credit."""
        left = self.left()
        if left is not None and left - outstanding - 1 < self.floor:
            raise CreditsExhaustedError(
                f"{left} credits left with {outstanding} requests outstanding: stopping above "
                f"sources.amzpecty.credit_floor ({self.floor})",
                message_id="CREDIT_FLOOR",
            )


class AmzpectyClient:
    """The documented calls, each returning the JSON envelope; thread-safe."""

    def __init__(
        self,
        secret_key: str,
        endpoint: str,
        clock: Clock,
        stats: ApiStats,
        policy: RetryPolicy,
        interval_seconds: float,
        credit_floor: int,
        verify: bool | str = True,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.verify = verify
        self.credits = Credits(credit_floor)
        self._lock = threading.Lock()
        pacer = Pacer(lambda key: (1.0 / interval_seconds, 1), clock)
        self.session = AmzpectySession(
            pacer, operation_of, clock, stats, policy, bucket_key=lambda operation: "account"
        )
        self.session.auth = SecretKeyAuth(secret_key)
        self.session.headers["User-Agent"] = USER_AGENT

    def _get(
        self, path: str, params: dict[str, str], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = self.session.get(
            self.endpoint + path, params=params, headers=headers, verify=self.verify
        )
        envelope = _envelope(response)
        with self._lock:
            self.credits.update(envelope)
        return envelope

    def add(
        self,
        queue: str,
        key: str,
        domain: str,
        *,
        condition: str = "new",
        exclude_moq: bool = False,
        expanded: bool = False,
        callback_url: str | None = None,
        user_agent: str | None = None,
    ) -> dict[str, Any]:
        """Put `key` on a queue; the envelope's `rid` names the result to come."""
        params = {"domain": domain}
        if queue == SNAPSHOT:
            params.update(condition=condition, excludemoq=str(exclude_moq).lower())
        elif queue == MATCH and expanded:
            params["expanded"] = "true"
        headers = {}
        if callback_url:
            headers[CALLBACK_URL_HEADER] = callback_url
        if user_agent:
            headers[USER_AGENT_HEADER] = user_agent
        return self._get(ADD_PATHS[queue].format(key=quote(key, safe="")), params, headers)

    def get_matched_asins(self, product_id: str, domain: str, expanded: bool = False):
        """The stored match for a product id, at no credit."""
        params = {"domain": domain, **({"expanded": "true"} if expanded else {})}
        return self._get(GET_MATCHES_PATH.format(key=quote(product_id, safe="")), params)

    def get_by_rid(self, rid: str) -> dict[str, Any]:
        """A request's result (status PENDING while queued), at no credit."""
        return self._get(GET_BY_RID_PATH.format(rid=quote(rid, safe="")), {})
