"""Accounts from config, and a dlt RESTClient per account with auth, pacing and retries."""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
import pendulum
import requests
from dlt.sources.helpers.rest_client import RESTClient

from sources.common.accounts import account_entries
from sources.common.clock import Clock, ServerClock
from sources.common.concurrency import Once
from sources.common.ratelimit import Pacer
from sources.common.redact import redact_url, register_secret
from sources.common.retry import RetryPolicy
from sources.common.session import (
    BodyTooLargeError,
    PacedSession,
    RetryAfterTooLongError,
    Verdict,
)
from sources.common.stats import ApiStats
from sources.sp_api.auth import Applications, LwaAuth, LwaSession, refuses_application
from sources.sp_api.exceptions import (
    AccessDeniedError,
    ConfigurationError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    QuotaExhaustedError,
    ServerError,
    SpApiError,
    ThrottledError,
)
from sources.sp_api.presigned import DOWNLOAD_OPERATION, DocumentSession
from sources.sp_api.registry import operation_for, plan_for
from sources.sp_api.settings import (
    AWS_NOTICE,
    DOCUMENT_PLAN,
    ENDPOINTS,
    HTTP_POOL_SIZE,
    LEGACY_AWS_KEYS,
    LWA_PLAN,
    USER_AGENT,
)

log = logging.getLogger("sources.sp_api")
EXPIRED_TOKEN = "The access token you provided has expired."
# how the models name a query's page size (searchOrders, v0 getOrders, finances, listings, ...)
PAGE_SIZE_PARAMETERS = ("maxResultsPerPage", "MaxResultsPerPage", "pageSize")
_ACCOUNT_KEYS = frozenset(
    {
        "name",
        "seller_id",
        "refresh_token",
        "region",
        "marketplace_ids",
        "endpoint",
        "client_id",
        "client_secret",
    }
)
_warned_legacy = False


@dataclass(frozen=True)
class Account:
    """One selling partner's authorization; secrets are excluded from repr."""

    name: str
    seller_id: str
    refresh_token: str = field(repr=False)
    region: str = "na"
    marketplace_ids: tuple[str, ...] = ()
    endpoint: str | None = None
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)

    @property
    def config_key(self) -> str:
        return f"sources.sp_api.accounts[{self.name}]"

    @classmethod
    def parse(cls, raw: Mapping[str, Any], position: int) -> Account:
        """Validate one `accounts` entry; errors name the key, never a value."""
        name = str(raw.get("name") or raw.get("seller_id") or position)
        where = f"sources.sp_api.accounts[{name}]"
        unknown = set(raw) - _ACCOUNT_KEYS - LEGACY_AWS_KEYS
        if unknown:
            raise ConfigurationError(f"{where}: unknown key(s) {sorted(unknown)}")
        if set(raw) & LEGACY_AWS_KEYS:
            for key in LEGACY_AWS_KEYS & set(raw):
                register_secret(str(raw[key]))
            warn_legacy_aws()
        for required in ("seller_id", "refresh_token"):
            if not raw.get(required):
                raise ConfigurationError(f"{where}.{required} is required")
        region = str(raw.get("region", "na")).lower()
        if region not in ENDPOINTS and not raw.get("endpoint"):
            raise ConfigurationError(f"{where}.region must be one of {sorted(ENDPOINTS)}")
        marketplaces = raw.get("marketplace_ids") or ()
        if isinstance(marketplaces, str):
            marketplaces = [m.strip() for m in marketplaces.split(",") if m.strip()]
        return cls(
            name=name,
            seller_id=str(raw["seller_id"]),
            refresh_token=str(raw["refresh_token"]),
            region=region,
            marketplace_ids=tuple(marketplaces),
            endpoint=raw.get("endpoint"),
            client_id=raw.get("client_id"),
            client_secret=raw.get("client_secret"),
        )


def warn_legacy_aws() -> None:
    global _warned_legacy
    if not _warned_legacy:
        _warned_legacy = True
        log.warning(
            "AWS access keys and IAM role settings are accepted but not used: Amazon says "
            '"%s"; requests are authorized with the LWA token alone.',
            AWS_NOTICE,
        )


def parse_accounts(raw: Any) -> list[Account]:
    """`accounts` as a list of tables, or a table of tables keyed by account name (or JSON)."""
    entries = account_entries(raw, "sources.sp_api.accounts", ConfigurationError)
    if not entries:
        raise ConfigurationError("sources.sp_api.accounts is empty")
    accounts = [Account.parse(entry, n) for n, entry in enumerate(entries)]
    names = [a.name for a in accounts]
    if len(set(names)) != len(names):
        raise ConfigurationError("sources.sp_api.accounts: account names must be unique")
    return accounts


class SpApiSession(PacedSession):
    """SP-API meanings: 403 'expired' refreshes once, rate headers pace, errors are typed."""

    def __init__(self, *args: Any, auth: LwaAuth, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.auth_source = auth

    def assess(self, response: requests.Response, operation: str) -> Verdict:
        if response.status_code == 403 and EXPIRED_TOKEN in response.text:
            return Verdict.REFRESH_AUTH
        return super().assess(response, operation)

    def observe(self, response, bucket):  # type: ignore[no-untyped-def]
        value = response.headers.get("x-amzn-RateLimit-Limit")
        if value:
            with contextlib.suppress(ValueError):
                bucket.set_rate(float(value))

    def before_attempt(self, request: requests.PreparedRequest) -> None:
        # the pacing wait may outlast the token set when the request was prepared, and the
        # token must outlive the request's flight (a large share of it at high time scales)
        if "x-amz-access-token" in request.headers:
            request.headers["x-amz-access-token"] = self.auth_source.token(
                min_validity=2 * self.latency
            )

    def refresh_auth(self, request: requests.PreparedRequest) -> bool:
        stale = request.headers.get("x-amz-access-token")
        request.headers["x-amz-access-token"] = self.auth_source.token(stale=stale)
        return True

    def error_for(self, response, operation, cause=None):  # type: ignore[no-untyped-def]
        if response is None:
            return ServerError(
                f"{operation}: no response ({type(cause).__name__})", operation=operation
            )
        status = response.status_code
        request_id = response.headers.get("x-amzn-RequestId")
        where = f"at {redact_url(response.url)}"
        if isinstance(cause, BodyTooLargeError):
            return MalformedResponseError(
                f"{operation}: {cause} (sources.sp_api.max_response_bytes) {where}",
                operation=operation,
                status=status,
                request_id=request_id,
            )
        code, message, details = "", "", ""
        try:
            errors = orjson.loads(response.content).get("errors") or []
            first = errors[0] if errors else {}
            code, message, details = (
                str(first.get(k) or "") for k in ("code", "message", "details")
            )
        except (ValueError, AttributeError, IndexError):
            message = response.text[:200]
        text = f"{operation} answered {status} {code}: {message}".rstrip(": ")
        if details:
            text += f" ({details})"
        if isinstance(cause, RetryAfterTooLongError):
            text += f"; {cause}: the next run asks again"
        kind: type[SpApiError] = {
            400: InvalidRequestError,
            403: AccessDeniedError,
            404: NotFoundError,
            429: QuotaExhaustedError
            if isinstance(cause, RetryAfterTooLongError)
            else ThrottledError,
        }.get(status, ServerError if status >= 500 else InvalidRequestError)
        return kind(
            f"{text} {where}", operation=operation, status=status, code=code, request_id=request_id
        )

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        _memoize_json(response, self.operation_of(request))
        return response

    def accepting(self, statuses: frozenset[int]) -> SpApiSession:
        """A session sharing this one's buckets, auth, clocks and counters that hands back
        answers with the given error statuses (a raw request's 404)."""
        return SpApiSession(
            self.pacer,
            self.operation_of,
            self.clock,
            self.stats,
            self.policy,
            self.jitter,
            self.timeout,
            self.bucket_key,
            accepted=statuses,
            server_clock=self.server_clock,
            max_body_bytes=self.max_body_bytes,
            auth=self.auth_source,
        )


def _memoize_json(response: requests.Response, operation: str) -> None:
    """dlt's paginator and data selector each call .json(); parse the body once, with orjson
    (which refuses NaN, numbers out of a double's range and nesting past 1,024 levels).

    The parser holds the body, not the response: a reference cycle would keep every parsed
    page alive until the cyclic collector ran (measured: ~10 pages of dicts at once, and
    Python's memory high-water 50 MB higher over a 100k-order extract)."""
    cache: list[Any] = []
    body, url, status = response.content, response.url, response.status_code
    request_id = response.headers.get("x-amzn-RequestId")

    def json(**kwargs: Any) -> Any:
        if not cache:
            try:
                cache.append(orjson.loads(body))
            except orjson.JSONDecodeError as error:
                raise MalformedResponseError(
                    f"{operation}: the answer is not JSON ({error}) at {redact_url(url)}",
                    operation=operation,
                    status=status,
                    request_id=request_id,
                ) from None
        return cache[0]

    response.json = json  # type: ignore[method-assign]


@dataclass
class SpApiClient:
    """What a resource needs to talk to one account: the REST client and its sessions."""

    account: Account
    rest: RESTClient
    session: SpApiSession
    downloads: DocumentSession  # presigned document URLs: no SP-API token
    participations: Once[list[dict[str, Any]]] = field(default_factory=Once, repr=False)

    def paginate(
        self, path: str, required: tuple[str, ...] = (), **kwargs: Any
    ) -> Iterator[list[Any]]:
        """dlt's pages of `path`, each item an object holding the `required` keys; an error
        names this account and the page it stopped at."""
        operation = operation_for(kwargs.get("method", "GET"), path).key
        pages = self.rest.paginate(path, **kwargs)
        for number in itertools.count(1):
            try:
                page = next(pages, None)
                if page is None:
                    return
                _check_items(page, required, operation)
            except SpApiError as error:
                if not refuses_application(error):  # one error, shared by every account
                    error.account, error.page = self.account.name, number
                raise
            yield page

    def server_now(self) -> pendulum.DateTime:
        """The server's time: windows that end "now" end there, whatever our clock says."""
        if not self.session.server_clock.observed:
            self.session.auth_source.token()  # one round trip tells it
        return self.session.server_clock.now()

    def polls(
        self, operation: str, first: float, growth: float, longest: float, limit: float
    ) -> Iterator[None]:
        """Waits between polls of `operation` (getReport, getQuery): `first` seconds, growing
        by `growth` up to `longest`, at Amazon's pace; a server whose rate headers say it
        refills faster (the sandbox) is polled as much faster. Yields before each poll, and
        stops after the first poll once `limit` seconds (at Amazon's pace) were waited."""
        waited, pause = 0.0, first
        bucket = self.session.pacer.bucket(operation)
        plan = plan_for(operation)[0]
        while True:
            yield
            if waited >= limit:
                return
            self.session.clock.sleep(pause * plan / bucket.rate)
            waited += pause
            pause = min(longest, pause * growth)


def _check_items(page: list[Any], required: tuple[str, ...], operation: str) -> None:
    """Items are what a resource keys its rows by: objects with each `required` key."""
    for position, item in enumerate(page, start=1):
        for path in required:
            lack = _lacks(item, path)
            if lack:
                raise MalformedResponseError(
                    f"{operation}: item {position} of the page {lack}", operation=operation
                )


def _lacks(item: Any, path: str) -> str | None:
    """What `item` lacks of `path`: "orderId" is a non-empty string there, "orderItems.orderItemId"
    one in every object of its `orderItems` list (when it has that list); None if nothing."""
    if not isinstance(item, dict):
        return f"is not an object ({type(item).__name__})"
    head, _, rest = path.partition(".")
    value = item.get(head)
    if not rest:
        return None if isinstance(value, str) and value else f"lacks {head} (a string)"
    if value is None:
        return None
    if not isinstance(value, list):
        return f"has {head} that is not a list"
    for position, element in enumerate(value, start=1):
        lack = _lacks(element, rest)
        if lack:
            return f"has {head} whose item {position} {lack}"
    return None


def _pool_connections(session: requests.Session) -> None:
    """Keep a connection per concurrent request (report jobs run many), not requests' 10."""
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=HTTP_POOL_SIZE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)


class CountingRESTClient(RESTClient):
    """dlt's RESTClient, counting per paginated query the pages its items needed at the page
    size it asked for: the run summary's lower bound of that operation's calls."""

    def __init__(self, stats: ApiStats, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stats = stats

    def paginate(  # type: ignore[override]
        self,
        path: str = "",
        method: str = "GET",
        params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Iterator[Any]:
        size = next((int(params[k]) for k in PAGE_SIZE_PARAMETERS if k in (params or {})), 0)
        pages = items = 0
        try:
            for page in super().paginate(path, method, params, **kwargs):  # type: ignore[arg-type]
                pages, items = pages + 1, items + len(page)
                yield page
        finally:
            if pages:
                needed = max(1, math.ceil(items / size)) if size else pages
                self._stats.paged(operation_for(method, path).key, min(needed, pages))


def _operation_key(request: requests.PreparedRequest) -> str:
    return operation_for(request.method or "GET", urlsplit(request.url).path).key


def make_client(
    account: Account,
    client_id: str,
    client_secret: str,
    token_url: str,
    clock: Clock,
    stats: ApiStats,
    policy: RetryPolicy,
    endpoint: str | None = None,
    quota_scale: float = 1.0,
    timeout: float = 120.0,
    max_body_bytes: int | None = None,
    applications: Applications | None = None,
) -> SpApiClient:
    """One paced, authenticated client per account; buckets are per account and operation,
    their rates the usage plans' times `quota_scale` until rate headers correct them.
    `timeout`: seconds a request may wait for the server to connect or send a byte;
    `max_body_bytes`: the largest SP-API answer read (documents have their own cap);
    `applications`: shared by a run's clients, so one refused application stops them all."""
    register_secret(account.refresh_token)
    server_clock = ServerClock(clock)
    lwa_session = LwaSession(
        Pacer(lambda key: LWA_PLAN, clock),
        lambda request: "lwa.token",
        clock,
        stats,
        policy,
        timeout=timeout,
        server_clock=server_clock,
        config_key=account.config_key,
        client_key=account.config_key if account.client_id else "sources.sp_api",
    )
    auth = LwaAuth(
        account.client_id or client_id,
        account.client_secret or client_secret,
        account.refresh_token,
        token_url,
        lwa_session,
        clock,
        applications,
    )

    def scaled(operation: Hashable) -> tuple[float, int]:
        rate, burst = plan_for(operation)  # type: ignore[arg-type]
        return rate * quota_scale, burst

    session = SpApiSession(
        Pacer(scaled, clock),
        _operation_key,
        clock,
        stats,
        policy,
        timeout=timeout,
        server_clock=server_clock,
        max_body_bytes=max_body_bytes,
        auth=auth,
    )
    downloads = DocumentSession(
        Pacer(lambda key: DOCUMENT_PLAN, clock),
        lambda request: DOWNLOAD_OPERATION,
        clock,
        stats,
        policy,
        timeout=timeout,
        server_clock=server_clock,
        max_body_bytes=max_body_bytes,
    )
    _pool_connections(session)
    _pool_connections(downloads)
    base_url = account.endpoint or endpoint or ENDPOINTS[account.region]
    rest = CountingRESTClient(
        stats, base_url=base_url, headers={"user-agent": USER_AGENT}, auth=auth, session=session
    )
    return SpApiClient(account, rest, session, downloads)
