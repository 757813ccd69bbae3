"""Faults that answer in an operation's place: a given body, a rate header in Amazon's rate, and
one seller's access tokens expired."""

from __future__ import annotations

import requests

from tests.sandbox.wire import control, lwa_token, sp_get

SEARCH = "/orders/2026-01-01/orders"
OPERATION = "orders_2026-01-01.searchOrders"
PARAMS = {"createdAfter": "2025-01-01T00:00:00Z", "marketplaceIds": "ATVPDKIKX0DER"}


def test_a_body_fault_answers_its_body_once(sandbox_server, accounts) -> None:
    token = lwa_token(accounts)
    control(sandbox_server.url, "faults", {"operation": OPERATION, "body": '{"orders": NaN}'})
    given = sp_get(sandbox_server.url, token, SEARCH, **PARAMS)
    assert (given.status_code, given.content) == (200, b'{"orders": NaN}')
    assert given.headers["Content-Type"] == "application/json"
    assert sp_get(sandbox_server.url, token, SEARCH, **PARAMS).json()["orders"]


def test_a_throttle_tells_retry_after_as_given_and_the_rate_at_the_time_scale(
    sandbox_server, accounts
) -> None:
    token = lwa_token(accounts)
    spec = {"operation": OPERATION, "status": 429, "retry_after": 2, "rate_limit": 0.5}
    control(sandbox_server.url, "faults", spec)
    throttled = sp_get(sandbox_server.url, token, SEARCH, **PARAMS)
    assert throttled.status_code == 429 and throttled.json()["errors"][0]["code"] == "QuotaExceeded"
    assert throttled.headers["Retry-After"] == "2"
    scale = sandbox_server.app.clock.time_scale
    assert float(throttled.headers["x-amzn-RateLimit-Limit"]) == 0.5 * scale


def test_an_expiry_fault_naming_a_seller_expires_only_that_sellers_tokens(
    sandbox_server, accounts
) -> None:
    na, eu = lwa_token(accounts, 0), lwa_token(accounts, 1)
    seller = accounts["accounts"][0]["seller_id"]
    fault = {"operation": OPERATION, "seller_id": seller, "expire_tokens": True}
    control(sandbox_server.url, "faults", {"faults": [fault]})
    expired = sp_get(sandbox_server.url, na, SEARCH, **PARAMS)
    assert expired.status_code == 403 and "has expired" in expired.text
    assert sp_get(sandbox_server.url, na, SEARCH, **PARAMS).status_code == 403  # it stays so
    eu_params = {**PARAMS, "marketplaceIds": accounts["accounts"][1]["marketplace_ids"][0]}
    assert sp_get(sandbox_server.url, eu, SEARCH, **eu_params).status_code == 200


def test_a_fault_needs_something_to_answer(sandbox_server) -> None:
    response = requests.post(
        f"{sandbox_server.url}/_sandbox/faults", json={"operation": OPERATION}, timeout=10
    )
    assert response.status_code == 400
