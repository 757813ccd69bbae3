"""The /_sandbox/ control plane: accounts, clock, call log, faults, reset, seed."""

from __future__ import annotations

import requests

import sandbox
from tests.conftest import TEST_ORDERS, WORLD_ORIGIN
from tests.sandbox.wire import control, lwa_token, sp_get

SEARCH = "/orders/2026-01-01/orders"


def test_accounts_list_three_sellers_with_credentials(sandbox_server) -> None:
    body = requests.get(f"{sandbox_server.url}/_sandbox/accounts", timeout=10).json()
    regions = {a["region"]: a for a in body["accounts"]}
    assert set(regions) == {"na", "eu", "fe"}
    assert regions["na"]["marketplace_ids"] == ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
    assert regions["eu"]["marketplace_ids"] == ["A1F83G8C2ARO7P", "A1PA6795UKMFR9"]
    assert all(a["refresh_token"].startswith("Atzr|") for a in body["accounts"])
    assert body["lwa"]["token_url"] == f"{sandbox_server.url}/auth/o2/token"


def test_clock_advances_and_reset_returns_to_start(sandbox_server) -> None:
    before = requests.get(f"{sandbox_server.url}/_sandbox/clock", timeout=10).json()
    after = control(sandbox_server.url, "clock/advance", {"seconds": 86400})
    assert after["timestamp"] - before["timestamp"] >= 86400
    reset = control(sandbox_server.url, "reset")
    assert reset["timestamp"] < before["timestamp"] + 3600
    assert reset["start"] == WORLD_ORIGIN.isoformat()


def test_scale_changes_speed_without_jumping(sandbox_server) -> None:
    before = control(sandbox_server.url, "clock/scale", {"time_scale": 1.0})
    after = requests.get(f"{sandbox_server.url}/_sandbox/clock", timeout=10).json()
    assert after["time_scale"] == 1.0
    assert 0 <= after["timestamp"] - before["timestamp"] < 5


def test_call_log_counts_operations_and_throttles(sandbox_server, accounts) -> None:
    token = lwa_token(accounts)
    control(
        sandbox_server.url,
        "faults",
        {"operation": "orders_2026-01-01.searchOrders", "status": 429, "count": 2},
    )
    statuses = [
        sp_get(sandbox_server.url, token, SEARCH, createdAfter="2025-01-01T00:00:00Z").status_code
        for _ in range(3)
    ]
    assert statuses == [429, 429, 200]
    calls = requests.get(f"{sandbox_server.url}/_sandbox/calls", timeout=10).json()
    search = calls["operations"]["sp_api.orders_2026-01-01.searchOrders"]
    assert search == {"calls": 3, "throttled": 2, "statuses": {"429": 2, "200": 1}}
    assert calls["operations"]["lwa.token"]["calls"] == 1
    detail = requests.get(f"{sandbox_server.url}/_sandbox/calls?detail=1", timeout=10).json()
    assert [c["status"] for c in detail["calls"]][-3:] == [429, 429, 200]


def test_disconnect_fault_drops_the_connection(sandbox_server, accounts) -> None:
    token = lwa_token(accounts)
    control(sandbox_server.url, "faults", {"disconnect": True, "operation": "*"})
    try:
        sp_get(sandbox_server.url, token, SEARCH, createdAfter="2025-01-01T00:00:00Z")
        raised = False
    except requests.ConnectionError:
        raised = True
    assert raised


def test_bad_fault_spec_is_a_400(sandbox_server) -> None:
    response = requests.post(
        f"{sandbox_server.url}/_sandbox/faults", json={"colour": "red"}, timeout=10
    )
    assert response.status_code == 400


def test_seed_rebuilds_a_deterministic_world(sandbox_server) -> None:
    first = control(sandbox_server.url, "seed", {"seed": 7, "orders": 500})
    second = control(sandbox_server.url, "seed", {"seed": 7, "orders": 500})
    assert first["sellers"] == second["sellers"]
    assert sum(s["visible_orders"] for s in first["sellers"]) == 500
    restored = control(sandbox_server.url, "seed", {"seed": 42, "orders": TEST_ORDERS})
    assert restored["orders_total"] == TEST_ORDERS


def test_world_of_a_million_orders_has_every_order_and_unique_ids() -> None:
    from sandbox.seed.world import build_world

    world = build_world(1, 1_000_000, WORLD_ORIGIN.timestamp())
    books = list(world.order_books.values())
    assert sum(book.visible_count(WORLD_ORIGIN.timestamp()) for book in books) == 1_000_000
    sample = [book.order_id(i) for book in books for i in range(0, len(book), 997)]
    assert len(set(sample)) == len(sample)
    assert all(world.find_order(order_id) is not None for order_id in sample[:50])


def test_an_agency_world_adds_sellers_without_changing_the_first_three() -> None:
    from sandbox.seed.legacy import legacy
    from sandbox.seed.world import build_world

    three = build_world(42, 3000, WORLD_ORIGIN.timestamp())
    agency = build_world(42, 500 * 20, WORLD_ORIGIN.timestamp(), sellers=500)
    assert [s.seller_id for s in agency.sellers[:3]] == [s.seller_id for s in three.sellers]
    assert [s.region for s in agency.sellers[:6]] == ["na", "eu", "fe"] * 2
    for field in ("seller_id", "refresh_token", "name"):
        assert len({getattr(s, field) for s in agency.sellers}) == 500
    logins = legacy(agency).logins.values()
    assert len({login.mws_auth_token for login in logins}) == 500
    assert len({login.aim_email for login in logins}) == 500
    assert all(len(agency.order_books[s.seller_id]) > 0 for s in agency.sellers)


def test_each_agency_seller_has_its_own_token_and_orders() -> None:
    with sandbox.start(
        orders=600, sellers=6, start=WORLD_ORIGIN, origin=WORLD_ORIGIN, frozen=True
    ) as running:
        accounts = running.accounts()
        assert len(accounts["accounts"]) == 6
        sixth = accounts["accounts"][5]
        body = sp_get(
            running.url,
            lwa_token(accounts, 5),
            SEARCH,
            createdAfter="2024-01-01T00:00:00Z",
            marketplaceIds=sixth["marketplace_ids"][0],
        ).json()
        book = running.app.world.order_books[sixth["seller_id"]]
        found = {order["orderId"] for order in body["orders"]}
        assert found and all(book.index_of(order_id) is not None for order_id in found)
