"""The SP-API session against sandbox faults: throttles, 5xx, dropped connections, expiry."""

from __future__ import annotations

import pytest
import requests

from sources.common.ratelimit import SLACK
from sources.common.retry import RetryPolicy
from sources.common.stats import ApiStats
from sources.sp_api.client import Account, make_client
from sources.sp_api.exceptions import (
    InvalidRequestError,
    MalformedResponseError,
    ServerError,
    ThrottledError,
)
from sources.sp_api.registry import plan_for
from tests.fakes import FakeClock
from tests.sandbox.wire import control

SEARCH = "/orders/2026-01-01/orders"
PARAMS = {"createdAfter": "2025-01-01T00:00:00Z", "maxResultsPerPage": 5}
OPERATION = "orders_2026-01-01.searchOrders"
DOWNLOAD = {"service": "s3", "operation": "GetObject"}


def _client(accounts: dict, policy: RetryPolicy | None = None, **options):  # type: ignore[no-untyped-def]
    """The first account's client on a fake clock; `options` go to `make_client`."""
    return make_client(
        Account.parse(accounts["accounts"][0], 0),
        accounts["lwa"]["client_id"],
        accounts["lwa"]["client_secret"],
        accounts["lwa"]["token_url"],
        FakeClock(),
        ApiStats(),
        policy or RetryPolicy(max_attempts=4, backoff_base=0.01),
        accounts["sp_api"]["endpoint"],
        **options,
    )


@pytest.fixture
def client(accounts):
    made = _client(accounts)
    made.stats = made.session.stats  # type: ignore[attr-defined]
    return made


def test_throttles_are_retried_then_succeed(sandbox_server, client) -> None:
    control(sandbox_server.url, "faults", {"operation": OPERATION, "status": 429, "count": 3})
    response = client.rest.get(SEARCH, params=PARAMS)
    assert response.status_code == 200
    op = client.stats.snapshot()[OPERATION]
    assert (op.calls, op.throttled, op.retries) == (4, 3, 4)


def test_a_throttle_storm_ends_in_a_transient_error(sandbox_server, client) -> None:
    control(sandbox_server.url, "faults", {"operation": OPERATION, "status": 429, "count": 10})
    with pytest.raises(ThrottledError) as raised:
        client.rest.get(SEARCH, params=PARAMS)
    assert raised.value.status == 429 and raised.value.code == "QuotaExceeded"
    assert client.stats.snapshot()[OPERATION].calls == 4  # bounded by max_attempts


def test_throttles_that_say_when_to_come_back_are_waited_out_within_the_budget(
    sandbox_server, client
) -> None:
    spec = {"operation": OPERATION, "status": 429, "retry_after": 60, "count": 30}
    control(sandbox_server.url, "faults", spec)
    with pytest.raises(ThrottledError):
        client.rest.get(SEARCH, params=PARAMS)
    calls = client.stats.snapshot()[OPERATION].calls
    assert 4 < calls < 30  # more than max_attempts: the budget, in waits, ends it
    # the budget, and the pacing slack of the slots it waited for
    assert sum(client.session.clock.sleeps) <= RetryPolicy().throttle_budget * (1 + SLACK)


def test_retry_after_is_slept_on_the_injected_clock(sandbox_server, client) -> None:
    control(sandbox_server.url, "faults", {"operation": OPERATION, "status": 429, "retry_after": 7})
    assert client.rest.get(SEARCH, params=PARAMS).status_code == 200
    assert 7.0 in client.session.clock.sleeps


def test_server_errors_and_dropped_connections_are_retried(sandbox_server, client) -> None:
    control(
        sandbox_server.url,
        "faults",
        {
            "faults": [
                {"operation": OPERATION, "status": 500},
                {"operation": OPERATION, "status": 503},
                {"operation": OPERATION, "disconnect": True},
            ]
        },
    )
    assert client.rest.get(SEARCH, params=PARAMS).status_code == 200
    assert client.stats.snapshot()[OPERATION].retries == 4


def test_persistent_server_errors_end_in_a_transient_error(sandbox_server, client) -> None:
    control(sandbox_server.url, "faults", {"operation": OPERATION, "status": 500, "count": 9})
    with pytest.raises(ServerError):
        client.rest.get(SEARCH, params=PARAMS)


def test_expired_token_is_refreshed_once_and_the_call_repeated(sandbox_server, client) -> None:
    assert client.rest.get(SEARCH, params=PARAMS).status_code == 200
    control(sandbox_server.url, "faults", {"expire_tokens": True})
    assert client.rest.get(SEARCH, params=PARAMS).status_code == 200
    stats = client.stats.snapshot()
    assert stats["lwa.token"].calls == 2
    assert stats[OPERATION].calls == 3


def test_bad_request_is_terminal_and_says_why(sandbox_server, client) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.rest.get(SEARCH, params={"createdAfter": "not-a-date"})
    message = str(raised.value)
    assert "400 InvalidInput" in message and "createdAfter" in message
    assert "x-amzn-RequestId" in message
    assert client.stats.snapshot()[OPERATION].calls == 1


def test_buckets_start_at_the_quota_scale_until_the_server_tells_its_rate(accounts) -> None:
    made = _client(accounts, RetryPolicy(), quota_scale=3600)

    def answer(status: int, **headers: str) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response.request = requests.Request("GET", "https://x" + SEARCH).prepare()
        return response

    bucket = made.session.pacer.bucket(OPERATION)
    assert bucket.rate == pytest.approx(plan_for(OPERATION)[0] * 3600)  # not 60 s a slot
    made.session.observe(answer(429), bucket)  # a throttle carries no rate
    assert bucket.rate == pytest.approx(plan_for(OPERATION)[0] * 3600)
    made.session.observe(answer(200, **{"x-amzn-RateLimit-Limit": "7.5"}), bucket)
    made.session.observe(answer(429), bucket)
    assert bucket.rate == 7.5  # the server's own word wins from then on


def test_an_answer_past_the_cap_is_refused_by_its_length_unread(sandbox_server, accounts) -> None:
    capped = _client(accounts, max_body_bytes=1000)
    with pytest.raises(MalformedResponseError, match="more than the 1,000 one may hold") as raised:
        capped.rest.get(SEARCH, params={**PARAMS, "maxResultsPerPage": 50})
    assert "max_response_bytes" in str(raised.value) and raised.value.operation == OPERATION
    assert capped.session.stats.snapshot()[OPERATION].calls == 1  # not asked again


def _document_url(url: str, client) -> str:  # type: ignore[no-untyped-def]
    """A listings report's presigned document URL."""
    created = client.rest.post(
        "/reports/2021-06-30/reports",
        json={"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]},
    ).json()["reportId"]
    control(url, "clock/advance", {"seconds": 3600})  # processed
    report = client.rest.get(f"/reports/2021-06-30/reports/{created}").json()
    document = f"/reports/2021-06-30/documents/{report['reportDocumentId']}"
    return client.rest.get(document).json()["url"]


def test_a_streamed_answer_past_the_cap_is_refused_as_it_grows(sandbox_server, accounts) -> None:
    capped = _client(accounts, max_body_bytes=10_000)
    url = _document_url(sandbox_server.url, capped)
    control(sandbox_server.url, "reports/faults", {"kind": "bomb"})  # sent chunked, no length
    with pytest.raises(MalformedResponseError, match="an answer of over 1"):
        capped.downloads.get(url)


def test_a_stream_that_breaks_off_is_read_again_from_its_start(sandbox_server, client) -> None:
    url = _document_url(sandbox_server.url, client)
    control(sandbox_server.url, "faults", {**DOWNLOAD, "cut": "close", "at": 0.5, "count": 2})
    reads: list[int] = []

    def read(response: requests.Response) -> bytes:
        reads.append(0)
        body = b"".join(response.raw.stream(1024))
        reads[-1] = len(body)
        return body

    body = client.downloads.consume("GET", url, read)
    assert reads == [0, 0, len(body)] and body[:2] == b"\x1f\x8b"  # two broke, then gzip
    assert client.stats.snapshot()["documents.download"].calls == 3


def test_a_stream_that_always_breaks_ends_in_a_transient_error(sandbox_server, client) -> None:
    url = _document_url(sandbox_server.url, client)
    control(sandbox_server.url, "faults", {**DOWNLOAD, "cut": "reset", "count": 9})
    with pytest.raises(ServerError, match="the connection broke 4 times"):
        client.downloads.consume("GET", url, lambda response: response.raw.read())
    assert client.stats.snapshot()["documents.download"].calls == 4  # max_attempts
