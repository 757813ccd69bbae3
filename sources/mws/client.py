"""Accounts from config, and one paced, signed MWS client per account."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from lxml import etree

from sources.common import xml
from sources.common.accounts import account_entries
from sources.common.clock import Clock, ServerClock
from sources.common.ratelimit import Pacer, TokenBucket
from sources.common.redact import redact_url
from sources.common.retry import RetryPolicy
from sources.common.session import PacedSession, Verdict
from sources.common.stats import ApiStats
from sources.mws.exceptions import (
    AccessDeniedError,
    ConfigurationError,
    DocumentError,
    InvalidRequestError,
    MwsError,
    NextTokenCorruptedError,
    ServerError,
    ThrottledError,
)
from sources.mws.settings import ENDPOINTS, NEXT_TOKEN_RESTARTS, USER_AGENT, plan_for, quota_of
from sources.mws.signing import MwsAuth

log = logging.getLogger("sources.mws")
_ACTION = re.compile(r"(?:^|&)Action=([A-Za-z]+)")
THROTTLE_CODES = frozenset({"RequestThrottled", "QuotaExceeded"})
_ACCOUNT_KEYS = frozenset(
    {"name", "seller_id", "mws_auth_token", "region", "marketplace_ids", "endpoint"}
)


@dataclass(frozen=True)
class Account:
    """One seller's MWS authorization; secrets are excluded from repr."""

    name: str
    seller_id: str
    mws_auth_token: str | None = field(default=None, repr=False)
    region: str = "na"
    marketplace_ids: tuple[str, ...] = ()
    endpoint: str | None = None

    @property
    def config_key(self) -> str:
        return f"sources.mws.accounts[{self.name}]"


def parse_accounts(raw: Any) -> list[Account]:
    """`accounts` as a list of tables, or a table of tables keyed by account name (or JSON)."""
    entries = account_entries(raw, "sources.mws.accounts", ConfigurationError)
    accounts = []
    for position, entry in enumerate(entries):
        name = str(entry.get("name") or entry.get("seller_id") or position)
        where = f"sources.mws.accounts[{name}]"
        unknown = set(entry) - _ACCOUNT_KEYS
        if unknown:
            raise ConfigurationError(f"{where}: unknown key(s) {sorted(unknown)}")
        if not entry.get("seller_id"):
            raise ConfigurationError(f"{where}.seller_id is required")
        marketplaces = entry.get("marketplace_ids") or ()
        if isinstance(marketplaces, str):
            marketplaces = [m.strip() for m in marketplaces.split(",") if m.strip()]
        if not marketplaces:
            raise ConfigurationError(f"{where}.marketplace_ids is required (ListOrders needs it)")
        region = str(entry.get("region", "na")).lower()
        if region not in ENDPOINTS and not entry.get("endpoint"):
            raise ConfigurationError(f"{where}.region must be one of {sorted(ENDPOINTS)}")
        accounts.append(
            Account(
                name,
                str(entry["seller_id"]),
                entry.get("mws_auth_token"),
                region,
                tuple(marketplaces),
                entry.get("endpoint"),
            )
        )
    return accounts


def error_fields(body: bytes) -> dict[str, str]:
    """Code, Message, Type and RequestId (or RequestID) of an ErrorResponse; {} otherwise."""
    try:
        root = xml.parse(body, "MWS error response")
    except xml.XmlError:
        return {}
    if xml.local(root) != "ErrorResponse":
        return {}
    fields = {name: xml.text(root, "Error", name) or "" for name in ("Type", "Code", "Message")}
    fields["RequestId"] = xml.text(root, "RequestId") or xml.text(root, "RequestID") or ""
    return fields


class MwsSession(PacedSession):
    """MWS meanings: 503 RequestThrottled backs off, quota headers cap the bucket, a stale
    Timestamp re-signs once on the server's clock, errors are typed and logged with ids."""

    def __init__(self, *args: Any, auth: MwsAuth, config_key: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mws_auth = auth
        self.config_key = config_key

    def assess(self, response: requests.Response, operation: str) -> Verdict:
        if response.status_code == 503:
            code = error_fields(response.content).get("Code", "")
            return Verdict.THROTTLED if code in THROTTLE_CODES else Verdict.SERVER_ERROR
        if (
            response.status_code == 400
            and error_fields(response.content).get("Code") == "RequestExpired"
        ):
            return Verdict.REFRESH_AUTH
        return super().assess(response, operation)

    def observe(self, response: requests.Response, bucket: TokenBucket) -> None:
        headers = response.headers
        self.server_clock.observe(headers.get("x-mws-timestamp"))  # finer than its Date
        remaining = headers.get("x-mws-quota-remaining")
        if remaining:
            with contextlib.suppress(ValueError):
                bucket.cap(float(remaining))

    def before_attempt(self, request: requests.PreparedRequest) -> None:
        self.mws_auth.sign(request)

    def refresh_auth(self, request: requests.PreparedRequest) -> bool:
        self.mws_auth.sign(request)
        return True

    def error_for(self, response, operation, cause=None):  # type: ignore[no-untyped-def]
        if response is None:
            return ServerError(
                f"{operation}: no response ({type(cause).__name__})", action=operation
            )
        status = response.status_code
        fields = error_fields(response.content)
        code = fields.get("Code", "")
        request_id = fields.get("RequestId") or response.headers.get("x-mws-request-id")
        timestamp = response.headers.get("x-mws-timestamp")
        text = f"{operation} answered {status} {code}: {fields.get('Message', '')}".rstrip(": ")
        if status in (401, 403):
            text += f"; check sources.mws.access_key_id / secret_key and {self.config_key}"
        text += f" at {redact_url(response.url)}"
        kind: type[MwsError] = InvalidRequestError
        if code == "NextTokenCorrupted":
            kind = NextTokenCorruptedError
        elif status in (401, 403):
            kind = AccessDeniedError
        elif status == 503 and code in THROTTLE_CODES:
            kind = ThrottledError
        elif status >= 500:
            kind = ServerError
        log.warning(
            "MWS %s failed: %s %s (RequestId %s, x-mws-timestamp %s)",
            operation,
            status,
            code or "-",
            request_id,
            timestamp,
        )
        return kind(
            text,
            action=operation,
            status=status,
            code=code,
            request_id=request_id,
            timestamp=timestamp,
        )


def _operation(request: requests.PreparedRequest) -> str:
    body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
    found = _ACTION.search(body)
    return f"mws.{found.group(1)}" if found else "mws.unknown"


@dataclass
class MwsClient:
    """What a resource needs to talk to one account."""

    account: Account
    session: MwsSession
    base_url: str

    def post(self, section: tuple[str, str], action: str, params: Mapping[str, str]):
        """One call; the raw response (GetReport answers text, not XML)."""
        path, version = section
        data = {"Action": action, "Version": version, **params}
        return self.session.post(
            self.base_url + path, data=data, headers={"User-Agent": USER_AGENT}
        )

    def call(
        self, section: tuple[str, str], action: str, params: Mapping[str, str]
    ) -> etree._Element:
        """One call's `{Action}Result` element."""
        response = self.post(section, action, params)
        try:
            root = xml.parse(response.content, f"MWS {action} response")
        except xml.XmlError as error:
            raise DocumentError(str(error), action=action) from None
        result = xml.child(root, f"{action}Result")
        if result is None:
            raise DocumentError(f"MWS {action} response has no {action}Result", action=action)
        return result

    def pages(
        self, section: tuple[str, str], action: str, params: Mapping[str, str]
    ) -> Iterator[etree._Element]:
        """Every page's Result: HasNext, MoreResultsAvailable, else a bare NextToken says
        whether another page follows; NextTokenCorrupted starts the original call again."""
        restarts = 0
        while True:
            try:
                result = self.call(section, action, params)
                yield result
                while has_more(result):
                    token = xml.text(result, "NextToken") or ""
                    result = self.call(section, f"{action}ByNextToken", {"NextToken": token})
                    yield result
                return
            except NextTokenCorruptedError:
                restarts += 1
                if restarts > NEXT_TOKEN_RESTARTS:
                    raise
                log.warning("%s: NextTokenCorrupted, calling %s again", self.account.name, action)


def has_more(result: etree._Element) -> bool:
    for flag in ("HasNext", "MoreResultsAvailable"):
        value = xml.text(result, flag)
        if value is not None:
            return value.lower() == "true"
    return bool(xml.text(result, "NextToken"))


def make_client(
    account: Account,
    access_key_id: str,
    secret_key: str,
    clock: Clock,
    stats: ApiStats,
    policy: RetryPolicy,
    endpoint: str | None = None,
    quota_scale: float = 1.0,
    signature_method: str = "HmacSHA256",
) -> MwsClient:
    """Buckets per account and quota, restore rates scaled by `quota_scale` (the sandbox's
    time scale; 1 for Amazon)."""
    server_clock = ServerClock(clock)
    auth = MwsAuth(
        access_key_id,
        secret_key,
        account.seller_id,
        account.mws_auth_token,
        server_clock,
        signature_method,
    )

    def scaled(key: object) -> tuple[float, int]:
        rate, burst = plan_for(key)
        return rate * quota_scale, burst

    session = MwsSession(
        Pacer(scaled, clock),
        _operation,
        clock,
        stats,
        policy,
        bucket_key=lambda operation: (account.name, quota_of(operation.removeprefix("mws."))),
        auth=auth,
        config_key=account.config_key,
        server_clock=server_clock,
    )
    session.auth = auth
    base_url = (account.endpoint or endpoint or ENDPOINTS[account.region]).rstrip("/")
    return MwsClient(account, session, base_url)
