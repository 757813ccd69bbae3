"""Answers that break off mid-body, as networks break them: a reset, a close short of the
promised length, a stall, a one-byte drip (`cut` faults, for any service and operation)."""

from __future__ import annotations

import pytest
import requests

from tests.sandbox.wire import control, lwa_token, sp_get

SEARCH = "/orders/2026-01-01/orders"
OPERATION = "orders_2026-01-01.searchOrders"
PARAMS = {"createdAfter": "2025-01-01T00:00:00Z", "marketplaceIds": "ATVPDKIKX0DER"}


def _search(url: str, token: str, timeout: float = 30) -> requests.Response:
    return requests.get(
        url + SEARCH, params=PARAMS, headers={"x-amz-access-token": token}, timeout=timeout
    )


@pytest.mark.parametrize(
    ("cut", "cause"),
    [("reset", "Connection reset by peer"), ("close", "IncompleteRead")],
    ids=["reset", "close"],
)
def test_a_cut_answer_breaks_the_read_once(sandbox_server, accounts, cut, cause) -> None:
    token = lwa_token(accounts)
    whole = _search(sandbox_server.url, token).json()["orders"]
    control(sandbox_server.url, "faults", {"operation": OPERATION, "cut": cut, "at": 0.6})
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match=cause):
        _search(sandbox_server.url, token)
    assert _search(sandbox_server.url, token).json()["orders"] == whole  # used once


def test_a_drip_delivers_every_byte(sandbox_server, accounts) -> None:
    token = lwa_token(accounts)
    whole = sp_get(sandbox_server.url, token, SEARCH, **PARAMS).json()["orders"]
    control(sandbox_server.url, "faults", {"operation": OPERATION, "cut": "drip"})
    assert _search(sandbox_server.url, token).json()["orders"] == whole


def test_a_stall_outlasts_the_clients_read_timeout(sandbox_server, accounts) -> None:
    token = lwa_token(accounts)
    control(sandbox_server.url, "faults", {"operation": OPERATION, "cut": "stall", "at": 0.3})
    with pytest.raises(requests.exceptions.ConnectionError):  # requests' read timeout mid-body
        _search(sandbox_server.url, token, timeout=0.5).content  # noqa: B018


def test_a_cut_needs_a_known_kind_and_share(sandbox_server) -> None:
    for spec in ({"cut": "explode"}, {"cut": "close", "at": 1.0}):
        response = requests.post(f"{sandbox_server.url}/_sandbox/faults", json=spec, timeout=10)
        assert response.status_code == 400
