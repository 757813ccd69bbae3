"""Orders API 2026-01-01 and v0 on the wire: auth, limits, time rules, pagination, PII."""

from __future__ import annotations

import pendulum
import pytest
import requests

from tests.conftest import TEST_TIME_SCALE
from tests.sandbox.wire import control, lwa_token, sp_get

SEARCH = "/orders/2026-01-01/orders"
V0 = "/orders/v0/orders"
US = "ATVPDKIKX0DER"


@pytest.fixture
def token(accounts) -> str:
    return lwa_token(accounts)


def _search_all(url: str, token: str, **params) -> tuple[list[dict], list[dict]]:
    orders, bodies = [], []
    while True:
        body = sp_get(url, token, SEARCH, **params).json()
        bodies.append(body)
        orders += body["orders"]
        token_next = body.get("pagination", {}).get("nextToken")
        if not token_next:
            return orders, bodies
        params["paginationToken"] = token_next


def test_missing_wrong_and_expired_tokens_answer_403(sandbox_server, token) -> None:
    url = sandbox_server.url
    cases = {
        None: "Access token is missing in the request header.",
        "Atza|forged": "The access token you provided is revoked, malformed or invalid.",
    }
    for value, details in cases.items():
        response = sp_get(url, value, SEARCH, createdAfter="2025-01-01T00:00:00Z")
        assert response.status_code == 403
        error = response.json()["errors"][0]
        assert (error["code"], error["details"]) == ("Unauthorized", details)
        assert "x-amzn-RequestId" in response.headers
    control(url, "clock/advance", {"seconds": 3601})
    expired = sp_get(url, token, SEARCH, createdAfter="2025-01-01T00:00:00Z")
    assert expired.status_code == 403
    assert expired.json()["errors"][0]["details"] == "The access token you provided has expired."


def test_sigv4_authorization_header_is_ignored(sandbox_server, token) -> None:
    response = requests.get(
        sandbox_server.url + SEARCH,
        params={"createdAfter": "2025-01-01T00:00:00Z"},
        headers={
            "x-amz-access-token": token,
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20261101/us-east-1/...",
        },
        timeout=10,
    )
    assert response.status_code == 200


def test_rate_limit_header_is_scaled_and_bucket_throttles(sandbox_server, token) -> None:
    url = sandbox_server.url
    control(url, "clock/scale", {"time_scale": 1.0})
    first = sp_get(url, token, SEARCH, createdAfter="2025-01-01T00:00:00Z", maxResultsPerPage=1)
    assert float(first.headers["x-amzn-RateLimit-Limit"]) == pytest.approx(0.0056)
    statuses = [
        sp_get(url, token, SEARCH, createdAfter="2025-01-01T00:00:00Z").status_code
        for _ in range(20)
    ]
    # burst 20, one already spent: the 20th request in a row finds the bucket empty
    assert statuses[:19] == [200] * 19
    assert statuses[19] == 429
    throttled = sp_get(url, token, SEARCH, createdAfter="2025-01-01T00:00:00Z")
    assert throttled.json()["errors"][0]["code"] == "QuotaExceeded"
    assert "x-amzn-RateLimit-Limit" not in throttled.headers
    control(url, "clock/scale", {"time_scale": TEST_TIME_SCALE})
    scaled = sp_get(url, token, V0, CreatedAfter="2025-01-01T00:00:00Z", MarketplaceIds=US)
    assert float(scaled.headers["x-amzn-RateLimit-Limit"]) == pytest.approx(
        0.0167 * TEST_TIME_SCALE
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"createdAfter": "2025-01-01T00:00:00Z", "lastUpdatedAfter": "2025-01-01T00:00:00Z"},
        {"createdAfter": "2025-01-01T00:00:00Z", "lastUpdatedBefore": "2025-02-01T00:00:00Z"},
        {"lastUpdatedAfter": "2025-01-01T00:00:00Z", "createdBefore": "2025-02-01T00:00:00Z"},
        {"createdAfter": "yesterday"},
        {"createdAfter": "2025-02-01T00:00:00Z", "createdBefore": "2025-01-01T00:00:00Z"},
        {"createdAfter": "2025-01-01T00:00:00Z", "maxResultsPerPage": "101"},
        {"createdAfter": "2025-01-01T00:00:00Z", "includedData": "EVERYTHING"},
        {"createdAfter": "2025-01-01T00:00:00Z", "marketplaceIds": "A1PA6795UKMFR9"},
    ],
    ids=[
        "no-after",
        "both-afters",
        "created-with-updated-before",
        "updated-with-created-before",
        "bad-date",
        "before-before-after",
        "page-too-big",
        "bad-included-data",
        "foreign-marketplace",
    ],
)
def test_search_orders_bad_parameters_answer_400(sandbox_server, token, params) -> None:
    response = sp_get(sandbox_server.url, token, SEARCH, **params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert "x-amzn-RateLimit-Limit" in response.headers


def test_before_bound_must_be_two_minutes_old(sandbox_server, token) -> None:
    now = sandbox_server.clock.now()
    too_recent = now.subtract(seconds=30).format("YYYY-MM-DDTHH:mm:ss[Z]")
    response = sp_get(
        sandbox_server.url,
        token,
        SEARCH,
        lastUpdatedAfter="2025-01-01T00:00:00Z",
        lastUpdatedBefore=too_recent,
    )
    assert response.status_code == 400
    assert "two minutes" in response.json()["errors"][0]["details"]


def test_search_echoes_before_bound_two_minutes_back(sandbox_server, token) -> None:
    body = sp_get(
        sandbox_server.url,
        token,
        SEARCH,
        lastUpdatedAfter="2026-10-01T00:00:00Z",
        maxResultsPerPage=5,
    ).json()
    echoed = pendulum.parse(body["lastUpdatedBefore"])
    lag = sandbox_server.clock.now() - echoed
    assert 120 <= lag.total_seconds() < 120 + 60


def test_pagination_walks_every_order_once_with_items(sandbox_server, token) -> None:
    orders, bodies = _search_all(
        sandbox_server.url,
        token,
        createdAfter="2024-01-01T00:00:00Z",
        maxResultsPerPage=100,
        includedData="FULFILLMENT",
    )
    ids = [o["orderId"] for o in orders]
    assert len(ids) == len(set(ids))
    seller = sandbox_server.app.world.sellers[0]
    book = sandbox_server.app.world.order_books[seller.seller_id]
    assert len(ids) == book.visible_count(pendulum.parse(bodies[0]["createdBefore"]).timestamp())
    assert len(bodies) > 1 and "pagination" not in bodies[-1]
    assert all(1 <= len(o["orderItems"]) <= 5 for o in orders)
    assert {o["fulfillment"]["fulfillmentStatus"] for o in orders} >= {"SHIPPED", "CANCELLED"}
    assert {b["createdBefore"] for b in bodies} == {bodies[0]["createdBefore"]}


def test_token_sent_with_changed_filters_is_rejected(sandbox_server, token) -> None:
    first = sp_get(
        sandbox_server.url, token, SEARCH, createdAfter="2024-01-01T00:00:00Z", maxResultsPerPage=10
    ).json()
    next_token = first["pagination"]["nextToken"]
    changed = sp_get(
        sandbox_server.url,
        token,
        SEARCH,
        createdAfter="2025-01-01T00:00:00Z",
        paginationToken=next_token,
    )
    assert changed.status_code == 400
    # maxResultsPerPage and includedData may change between pages
    allowed = sp_get(
        sandbox_server.url,
        token,
        SEARCH,
        createdAfter="2024-01-01T00:00:00Z",
        paginationToken=next_token,
        maxResultsPerPage=20,
        includedData="PROCEEDS",
    )
    assert allowed.status_code == 200
    assert len(allowed.json()["orders"]) == 20


def test_pii_only_when_asked_for(sandbox_server, token) -> None:
    plain = sp_get(
        sandbox_server.url, token, SEARCH, createdAfter="2025-01-01T00:00:00Z", maxResultsPerPage=50
    ).json()["orders"]
    assert not any("buyer" in o or "recipient" in o for o in plain)
    with_pii = sp_get(
        sandbox_server.url,
        token,
        SEARCH,
        createdAfter="2025-01-01T00:00:00Z",
        maxResultsPerPage=50,
        includedData="BUYER,RECIPIENT",
    ).json()["orders"]
    assert all("buyerEmail" in o["buyer"] for o in with_pii)
    assert any("deliveryAddress" in o.get("recipient", {}) for o in with_pii)


def test_status_moves_as_the_clock_advances(sandbox_server, token) -> None:
    url = sandbox_server.url
    week_ago = sandbox_server.clock.now().subtract(days=7)
    book = next(iter(sandbox_server.app.world.order_books.values()))
    lo = book.visible_count(week_ago.timestamp())
    hi = book.visible_count(sandbox_server.clock.timestamp())
    assert (book.status(sandbox_server.clock.timestamp(), lo, hi) < 2).any(), "precondition"
    recent = week_ago.format("YYYY-MM-DDTHH:mm:ss[Z]")
    before, _ = _search_all(url, token, createdAfter=recent, includedData="FULFILLMENT")
    control(url, "clock/advance", {"seconds": 7 * 86400})
    token = lwa_token(sandbox_server.accounts())
    after, _ = _search_all(url, token, createdAfter=recent, includedData="FULFILLMENT")
    old = {o["orderId"]: o for o in before}
    moved = [
        o
        for o in after
        if o["orderId"] in old and o["lastUpdatedTime"] != old[o["orderId"]]["lastUpdatedTime"]
    ]
    assert moved, "some orders must change status within a week"
    assert all(
        o["fulfillment"]["fulfillmentStatus"] in ("SHIPPED", "CANCELLED")
        for o in after
        if o["orderId"] in old
    )
    assert len(after) > len(before), "new orders keep arriving as time passes"


def test_get_order_2026_and_404(sandbox_server, token) -> None:
    listed = sp_get(
        sandbox_server.url, token, SEARCH, createdAfter="2025-06-01T00:00:00Z", maxResultsPerPage=1
    ).json()["orders"][0]
    found = sp_get(
        sandbox_server.url, token, f"{SEARCH}/{listed['orderId']}", includedData="PROCEEDS"
    )
    assert found.status_code == 200
    assert found.json()["order"]["orderId"] == listed["orderId"]
    assert "grandTotal" in found.json()["order"]["proceeds"]
    missing = sp_get(sandbox_server.url, token, f"{SEARCH}/111-0000000-0000000")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "NotFound"


def test_v0_get_orders_payload_and_next_token(sandbox_server, token) -> None:
    url = sandbox_server.url
    missing = sp_get(url, token, V0, CreatedAfter="2025-01-01T00:00:00Z")
    assert missing.status_code == 400
    params = {
        "LastUpdatedAfter": "2025-01-01T00:00:00Z",
        "MarketplaceIds": US,
        "MaxResultsPerPage": 5,
    }
    payload = sp_get(url, token, V0, **params).json()["payload"]
    assert len(payload["Orders"]) == 5 and payload["NextToken"]
    assert "LastUpdatedBefore" in payload
    order = payload["Orders"][0]
    assert order["MarketplaceId"] == US and order["AmazonOrderId"].count("-") == 2
    assert "BuyerInfo" not in order and "ShippingAddress" not in order
    page2 = sp_get(url, token, V0, NextToken=payload["NextToken"], **params).json()["payload"]
    assert {o["AmazonOrderId"] for o in page2["Orders"]}.isdisjoint(
        {o["AmazonOrderId"] for o in payload["Orders"]}
    )
    params["LastUpdatedAfter"] = "2025-02-01T00:00:00Z"
    assert sp_get(url, token, V0, NextToken=payload["NextToken"], **params).status_code == 400


def test_v0_order_items_paginate_and_match_2026(sandbox_server, token) -> None:
    url = sandbox_server.url
    orders = sp_get(
        url, token, SEARCH, createdAfter="2025-01-01T00:00:00Z", maxResultsPerPage=100
    ).json()["orders"]
    big = next(o for o in orders if len(o["orderItems"]) >= 4)
    path = f"{V0}/{big['orderId']}/orderItems"
    first = sp_get(url, token, path).json()["payload"]
    assert first["AmazonOrderId"] == big["orderId"] and "NextToken" in first
    second = sp_get(url, token, path, NextToken=first["NextToken"]).json()["payload"]
    v0_ids = [i["OrderItemId"] for i in first["OrderItems"] + second["OrderItems"]]
    assert v0_ids == [i["orderItemId"] for i in big["orderItems"]]
    single = sp_get(url, token, f"{V0}/{big['orderId']}").json()["payload"]
    assert single["AmazonOrderId"] == big["orderId"]


def test_restricted_data_token_unlocks_v0_pii(sandbox_server, token) -> None:
    url = sandbox_server.url
    response = requests.post(
        f"{url}/tokens/2021-03-01/restrictedDataToken",
        json={
            "restrictedResources": [
                {"method": "GET", "path": V0, "dataElements": ["buyerInfo", "shippingAddress"]}
            ]
        },
        headers={"x-amz-access-token": token},
        timeout=10,
    )
    assert response.status_code == 200
    rdt = response.json()["restrictedDataToken"]
    assert rdt.startswith("Atz.sprdt|")
    orders = sp_get(
        url, rdt, V0, CreatedAfter="2025-01-01T00:00:00Z", MarketplaceIds=US, MaxResultsPerPage=20
    ).json()["payload"]["Orders"]
    assert all("BuyerEmail" in o["BuyerInfo"] for o in orders)
    bad = requests.post(
        f"{url}/tokens/2021-03-01/restrictedDataToken",
        json={"restrictedResources": [{"method": "", "path": V0}]},
        headers={"x-amz-access-token": token},
        timeout=10,
    )
    assert bad.status_code == 400


def test_500_and_503_faults_use_amazon_envelope(sandbox_server, token) -> None:
    control(
        sandbox_server.url,
        "faults",
        {
            "faults": [
                {"operation": "orders_2026-01-01.searchOrders", "status": 500},
                {"operation": "orders_2026-01-01.searchOrders", "status": 503, "retry_after": 2},
            ]
        },
    )
    first = sp_get(sandbox_server.url, token, SEARCH, createdAfter="2025-01-01T00:00:00Z")
    second = sp_get(sandbox_server.url, token, SEARCH, createdAfter="2025-01-01T00:00:00Z")
    assert (first.status_code, first.json()["errors"][0]["code"]) == (500, "InternalFailure")
    assert second.status_code == 503 and second.headers["Retry-After"] == "2"
