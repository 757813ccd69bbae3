"""Sales API on the wire: daily order metrics that add up to the orders themselves, in the
marketplace's days, and Amazon's interval and time zone rules."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pendulum
import pytest

from tests.sandbox.wire import control, lwa_token, pages, sp_get

US = "ATVPDKIKX0DER"
METRICS = "/sales/v1/orderMetrics"
LA = "America/Los_Angeles"


@pytest.fixture
def token(accounts) -> str:
    return lwa_token(accounts)


def _interval(first: pendulum.DateTime, days: int) -> str:
    return f"{first.isoformat()}--{first.add(days=days).isoformat()}"


def test_daily_metrics_equal_the_orders_of_each_local_day(sandbox_server, token) -> None:
    url = sandbox_server.url
    control(url, "world/freeze", {"at": "now"})
    first = pendulum.datetime(2026, 10, 1, tz=LA)
    metrics = sp_get(
        url,
        token,
        METRICS,
        marketplaceIds=US,
        interval=_interval(first, 14),
        granularity="Day",
        granularityTimeZone=LA,
    ).json()["payload"]
    assert len(metrics) == 14 and metrics[0]["interval"].startswith("2026-10-01T00:00-07:00")
    bodies = pages(
        url,
        token,
        "/orders/2026-01-01/orders",
        "pagination.nextToken",
        "paginationToken",
        createdAfter=first.in_timezone("UTC").isoformat(),
        createdBefore=first.add(days=14).in_timezone("UTC").isoformat(),
        marketplaceIds=US,
        includedData="FULFILLMENT",
    )
    expected: dict[str, list] = defaultdict(lambda: [0, 0, Decimal(0)])
    for order in (o for body in bodies for o in body["orders"]):
        if order["fulfillment"]["fulfillmentStatus"] == "CANCELLED":
            continue
        day = pendulum.parse(order["createdTime"]).in_timezone(LA).to_date_string()
        expected[day][0] += 1
        for item in order["orderItems"]:
            expected[day][1] += item["quantityOrdered"]
            unit = Decimal(item["product"]["price"]["unitPrice"]["amount"])
            expected[day][2] += unit * item["quantityOrdered"]
    found = {
        m["interval"][:10]: [m["orderCount"], m["unitCount"], Decimal(m["totalSales"]["amount"])]
        for m in metrics
        if m["orderCount"]
    }
    assert found == dict(expected) and found
    total = sp_get(
        url,
        token,
        METRICS,
        marketplaceIds=US,
        interval=_interval(first, 14),
        granularity="Total",
        granularityTimeZone=LA,
    ).json()["payload"]
    assert len(total) == 1
    assert total[0]["unitCount"] == sum(m["unitCount"] for m in metrics)
    business = sp_get(
        url,
        token,
        METRICS,
        marketplaceIds=US,
        interval=_interval(first, 14),
        granularity="Total",
        granularityTimeZone=LA,
        buyerType="B2B",
    ).json()["payload"]
    assert business[0]["orderCount"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"granularity": "Day"},
        {"granularity": "Day", "granularityTimeZone": "Asia/Tokyo"},
        {"granularity": "Day", "granularityTimeZone": LA, "asin": "B0X", "sku": "S"},
        {"granularity": "Fortnight", "granularityTimeZone": LA},
        {"granularity": "Day", "granularityTimeZone": LA, "marketplaceIds": "A1VC38T7YXB528"},
    ],
    ids=["no-zone", "misaligned-zone", "asin-and-sku", "granularity", "foreign-marketplace"],
)
def test_invalid_requests_answer_400(sandbox_server, token, params) -> None:
    query = {"marketplaceIds": US, "interval": _interval(pendulum.datetime(2026, 10, 1, tz=LA), 3)}
    response = sp_get(sandbox_server.url, token, METRICS, **{**query, **params})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"


def test_hours_only_within_thirty_days(sandbox_server, token) -> None:
    old = pendulum.datetime(2026, 9, 1, tz="UTC")
    query = {"marketplaceIds": US, "granularity": "Hour", "granularityTimeZone": "UTC"}
    response = sp_get(sandbox_server.url, token, METRICS, interval=_interval(old, 1), **query)
    assert response.status_code == 400
    recent = pendulum.datetime(2026, 10, 30, tz="UTC")
    hours = sp_get(sandbox_server.url, token, METRICS, interval=_interval(recent, 1), **query)
    assert len(hours.json()["payload"]) == 24
