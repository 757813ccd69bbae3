"""The Amzpecty client against the sandbox: auth, pacing, back-off, typed errors, credits."""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from sources.amzpecty.client import AmzpectyClient, Credits, SecretKeyAuth
from sources.amzpecty.exceptions import (
    AddInDoubtError,
    AuthenticationError,
    CreditsExhaustedError,
    ParentAsinError,
    RidNotFoundError,
    ServerError,
    ThrottledError,
)
from sources.amzpecty.settings import MATCH, SNAPSHOT, VARIATIONS
from sources.common.ratelimit import SLACK
from sources.common.retry import RetryPolicy
from sources.common.stats import ApiStats
from tests.callbacks import control
from tests.fakes import FakeClock


@pytest.fixture
def client(sandbox_server, accounts):
    def make(secret: str | None = None, floor: int = 0, attempts: int = 4) -> AmzpectyClient:
        return AmzpectyClient(
            secret or accounts["amzpecty"]["secret_key"],
            accounts["amzpecty"]["endpoint"],
            FakeClock(),
            ApiStats(),
            RetryPolicy(max_attempts=attempts, backoff_base=0.01),
            interval_seconds=1.5,
            credit_floor=floor,
        )

    return make


@pytest.fixture
def child(sandbox_server) -> str:
    return next(p.asin for p in sandbox_server.app.world.catalog.products if p.parent_asin)


def test_the_secret_key_is_appended_when_the_request_is_prepared() -> None:
    request = requests.Request("GET", "https://api.example/api/query/add/B0X", params={"a": "1"})
    prepared = SecretKeyAuth("s3cr3t/+key")(request.prepare())
    assert prepared.url == "https://api.example/api/query/add/B0X?a=1&secretKey=s3cr3t%2F%2Bkey"
    assert "s3cr3t" not in repr(SecretKeyAuth("s3cr3t/+key"))


def test_requests_are_paced_by_the_interval_on_the_injected_clock(client, child) -> None:
    amz = client()
    for _ in range(3):
        amz.add(SNAPSHOT, child, "www.amazon.com")
    # the first slot waited for is taken a slack late, the next one interval after it
    assert [s for s in amz.session.clock.sleeps if s] == pytest.approx([1.5 * (1 + SLACK), 1.5])


def test_too_many_requests_backs_off_then_succeeds(sandbox_server, client, child) -> None:
    fault = {"service": "amzpecty", "operation": "add", "status": 429, "count": 2}
    requests.post(f"{sandbox_server.url}/_sandbox/faults", json=fault, timeout=10)
    amz = client()
    assert amz.add(SNAPSHOT, child, "www.amazon.com")["status"] == "OK"
    stats = amz.session.stats.snapshot()["amzpecty.add"]
    assert (stats.calls, stats.throttled, stats.retries) == (3, 2, 3)
    waits = [s for s in amz.session.clock.sleeps if s]
    assert len(waits) >= 2 and sum(waits) >= 3.0  # at least one interval per retry


def test_a_throttle_storm_ends_in_a_transient_error(sandbox_server, client, child) -> None:
    fault = {"service": "amzpecty", "status": 429, "count": 9}
    requests.post(f"{sandbox_server.url}/_sandbox/faults", json=fault, timeout=10)
    with pytest.raises(ThrottledError) as raised:
        client(attempts=3).add(SNAPSHOT, child, "www.amazon.com")
    assert raised.value.message_id == "TOO_MANY_REQUESTS"


def test_a_daily_limit_is_final_not_retried(sandbox_server, client, child) -> None:
    control(sandbox_server.url, "account", {"daily_allowance": 0})
    amz = client()
    with pytest.raises(CreditsExhaustedError) as raised:
        amz.add(SNAPSHOT, child, "www.amazon.com")
    assert raised.value.message_id == "DAILY_LIMIT_REACHED"
    assert amz.session.stats.snapshot()["amzpecty.add"].calls == 1


def test_a_wrong_key_names_the_config_key_and_never_the_value(client, child, caplog) -> None:
    canary = "canary-amzpecty-key-77f1"
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as raised:
        client(secret=canary).add(SNAPSHOT, child, "www.amazon.com")
    text = f"{raised.value}\n{raised.value!r}\n{caplog.text}"
    assert "sources.amzpecty.secret_key" in str(raised.value) and "401" in str(raised.value)
    assert canary not in text


def test_errors_are_typed_by_message_id(sandbox_server, client, child) -> None:
    amz = client()
    parent = next(iter(sandbox_server.app.world.catalog.parents))
    with pytest.raises(ParentAsinError):
        amz.add(SNAPSHOT, parent, "www.amazon.com")
    with pytest.raises(RidNotFoundError):
        amz.get_by_rid("0123456789abcdef01234567")
    requests.post(
        f"{sandbox_server.url}/_sandbox/faults",
        json={"service": "amzpecty", "status": 500, "count": 4},
        timeout=10,
    )
    with pytest.raises(ServerError):
        amz.add(VARIATIONS, parent, "www.amazon.com")


def test_credits_stop_before_the_floor(client, child) -> None:
    amz = client(floor=19_990)
    envelope = amz.add(MATCH, "012345678905", "www.amazon.com")
    assert amz.credits.left() == min(envelope["allowed"], envelope["dailyAllowed"])
    amz.credits.check(outstanding=5)
    with pytest.raises(CreditsExhaustedError) as raised:
        amz.credits.check(outstanding=10)
    assert "credit_floor" in str(raised.value)


def test_credits_follow_the_scarcer_of_balance_and_daily_allowance() -> None:
    credits = Credits(floor=10)
    assert credits.left() is None
    credits.update({"allowed": 500, "dailyAllowed": 40})
    assert credits.left() == 40
    credits.update({"allowed": 30, "dailyAllowed": None})
    assert credits.left() == 30
    with pytest.raises(CreditsExhaustedError):
        credits.check(outstanding=20)


def test_matched_asins_are_got_again_for_free(sandbox_server, accounts, client) -> None:
    amz = client()
    upc = accounts["amzpecty"]["sample_product_ids"][0]
    added = amz.add(MATCH, upc, "www.amazon.co.uk", expanded=True)
    control(sandbox_server.url, "advance", {"seconds": 600})
    got = amz.get_matched_asins(upc, "www.amazon.co.uk", expanded=True)
    assert got["rid"] == added["rid"] and got["data"]["totalMatch"] == 1
    assert amz.get_by_rid(added["rid"]) == got
    assert amz.credits.allowed == added["allowed"] - 1  # the match itself, not the Gets


@pytest.mark.parametrize(
    "fault",
    [
        {"cut": "reset", "at": 0.5},
        {"disconnect": True},
    ],
    ids=["reset-mid-body", "dropped"],
)
def test_an_add_whose_answer_is_lost_is_in_doubt_and_not_sent_again(
    sandbox_server, client, child, fault
) -> None:
    url = sandbox_server.url
    fault = {"service": "amzpecty", "operation": "add", **fault}
    requests.post(f"{url}/_sandbox/faults", json=fault, timeout=10).raise_for_status()
    amz = client()
    with pytest.raises(AddInDoubtError) as raised:
        amz.add(SNAPSHOT, child, "www.amazon.com")
    assert "may be queued" in str(raised.value)
    assert amz.session.stats.snapshot()["amzpecty.add"].calls == 1


def test_a_lost_get_is_simply_sent_again(sandbox_server, client) -> None:
    fault = {"service": "amzpecty", "operation": "getbyrid", "cut": "reset", "count": 2}
    requests.post(f"{sandbox_server.url}/_sandbox/faults", json=fault, timeout=10)
    with pytest.raises(RidNotFoundError):  # answered, on the third attempt
        client().get_by_rid("0123456789abcdef01234567")


def test_a_refused_connection_never_sent_the_add_so_it_is_retried(client, child) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    amz = client(attempts=2)
    amz.endpoint = f"http://127.0.0.1:{port}"
    with pytest.raises(ServerError) as raised:
        amz.add(SNAPSHOT, child, "www.amazon.com")
    assert not isinstance(raised.value, AddInDoubtError)
    assert amz.session.stats.snapshot()["amzpecty.add"].retries == 2


def test_a_gateways_5xx_leaves_an_add_in_doubt_but_the_services_own_is_retried(
    sandbox_server, client, child
) -> None:
    class Gateway(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(502)
            self.send_header("Content-Length", "11")
            self.end_headers()
            self.wfile.write(b"Bad Gateway")

        def log_message(self, *args: object) -> None:
            pass

    gateway = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    try:
        amz = client()
        amz.endpoint = f"http://127.0.0.1:{gateway.server_address[1]}"
        with pytest.raises(AddInDoubtError):
            amz.add(SNAPSHOT, child, "www.amazon.com")
        assert amz.session.stats.snapshot()["amzpecty.add"].calls == 1
    finally:
        gateway.shutdown()
        gateway.server_close()
    fault = {"service": "amzpecty", "operation": "add", "status": 502, "count": 2}
    requests.post(f"{sandbox_server.url}/_sandbox/faults", json=fault, timeout=10)
    assert client().add(SNAPSHOT, child, "www.amazon.com")["status"] == "OK"  # its envelope
