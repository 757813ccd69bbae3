"""Vendor Orders on the wire: the North America account's purchase orders in seven-day
windows of the last six months, pages, states that move, and sellers refused."""

from __future__ import annotations

import pendulum
import pytest

from tests.sandbox.wire import control, lwa_token, pages, sp_get

ORDERS = "/vendor/orders/v1/purchaseOrders"


@pytest.fixture
def token(accounts) -> str:
    return lwa_token(accounts, 0)


def test_a_window_pages_through_every_order_created_in_it(sandbox_server, token) -> None:
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    after, before = pendulum.datetime(2026, 10, 10), pendulum.datetime(2026, 10, 17)
    bodies = pages(
        sandbox_server.url,
        token,
        ORDERS,
        "payload.pagination.nextToken",
        "nextToken",
        createdAfter=after.isoformat(),
        createdBefore=before.isoformat(),
        limit=5,
    )
    numbers = [o["purchaseOrderNumber"] for body in bodies for o in body["payload"]["orders"]]
    book = next(iter(sandbox_server.app.world.vendors.values()))
    expected = [
        book.numbers[i]
        for i in range(len(book))
        if after.timestamp() <= book.created[i] < before.timestamp()
    ]
    assert numbers == expected and len(bodies) > 2
    details = bodies[0]["payload"]["orders"][0]["orderDetails"]
    assert details["sellingParty"]["partyId"] == book.vendor_code and details["items"]


def test_states_move_with_the_clock(sandbox_server, accounts) -> None:
    url = sandbox_server.url
    book = next(iter(sandbox_server.app.world.vendors.values()))
    now = sandbox_server.clock.timestamp()
    fresh = next(i for i in range(len(book)) if book.created[i] <= now < book.acknowledged[i])
    number = book.numbers[fresh]
    first = sp_get(url, lwa_token(accounts), f"{ORDERS}/{number}").json()["payload"]
    assert first["purchaseOrderState"] == "New"
    control(url, "clock/advance", {"seconds": 3 * 86400})
    later = sp_get(url, lwa_token(accounts), f"{ORDERS}/{number}").json()["payload"]
    assert later["purchaseOrderState"] == "Acknowledged"
    assert (
        later["orderDetails"]["purchaseOrderStateChangedDate"]
        > first["orderDetails"]["purchaseOrderStateChangedDate"]
    )


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"createdAfter": "2026-10-01T00:00:00Z", "createdBefore": "2026-10-09T00:00:00Z"}, 400),
        ({"createdAfter": "2026-03-01T00:00:00Z", "createdBefore": "2026-03-05T00:00:00Z"}, 400),
        ({"createdBefore": "2019-09-2100:00:00"}, 400),
        ({"includeDetails": "false", "createdAfter": "2026-10-20T00:00:00Z"}, 200),
    ],
    ids=["eight-days", "seven-months-back", "bad-date", "numbers-only"],
)
def test_window_rules(sandbox_server, token, params, status) -> None:
    response = sp_get(sandbox_server.url, token, ORDERS, **params)
    assert response.status_code == status
    if status == 200:
        orders = response.json()["payload"]["orders"]
        assert orders and all(
            set(o) == {"purchaseOrderNumber", "purchaseOrderState"} for o in orders
        )


def test_sellers_that_are_not_vendors_are_refused(sandbox_server, accounts) -> None:
    response = sp_get(sandbox_server.url, lwa_token(accounts, 1), ORDERS)
    assert response.status_code == 403
    missing = sp_get(sandbox_server.url, lwa_token(accounts, 0), f"{ORDERS}/NOSUCHPO")
    assert missing.status_code == 404
