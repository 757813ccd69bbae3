"""Orders end to end: sandbox over HTTP -> source -> dlt -> a real DuckDB file."""

from __future__ import annotations

import pytest
import requests

from tests.loading import load_sp_api
from tests.sandbox.wire import control

pytestmark = pytest.mark.e2e

ORDER_COLUMNS = "seller_id, order_id, last_updated_time, fulfillment__fulfillment_status"


def _visible_orders(sandbox_server) -> int:
    now = sandbox_server.app.world_time()
    return sum(book.visible_count(now) for book in sandbox_server.app.world.order_books.values())


def _orders(load) -> set[tuple]:
    return set(load.query(f"select {ORDER_COLUMNS} from sp_api.orders"))


def _items(load) -> set[tuple]:
    return set(
        load.query(
            "select seller_id, order_id, order_item_id, quantity_ordered, "
            "product__price__unit_price__amount from sp_api.order_items"
        )
    )


def test_two_runs_give_the_same_rows_and_no_duplicate_keys(
    sandbox_server, accounts, tmp_path
) -> None:
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    first = load_sp_api(accounts, tmp_path)
    counts = (first.count("orders"), first.count("order_items"))
    assert counts[0] == _visible_orders(sandbox_server)
    second = load_sp_api(accounts, tmp_path)
    assert (second.count("orders"), second.count("order_items")) == counts
    assert (
        second.query(
            "select count(*) from (select distinct seller_id, order_id from sp_api.orders)"
        )[0][0]
        == counts[0]
    )
    assert (
        second.query(
            "select count(*) from (select distinct seller_id, order_id, "
            "order_item_id from sp_api.order_items)"
        )[0][0]
        == counts[1]
    )
    sellers = {row[0] for row in second.query("select distinct seller_id from sp_api.orders")}
    assert sellers == {a["seller_id"] for a in accounts["accounts"]}
    assert (
        second.query("select count(*) from sp_api.orders where marketplace_id is null")[0][0] == 0
    )


def test_the_next_run_picks_up_exactly_the_changed_orders(
    sandbox_server, accounts, tmp_path
) -> None:
    first = load_sp_api(accounts, tmp_path, lag_seconds=120)
    before = {(r[0], r[1]): r for r in _orders(first)}
    marks = dict(
        first.pipeline.state["sources"]["sp_api"]["resources"]["order_pages"]["high_water"]
    )
    control(sandbox_server.url, "clock/advance", {"seconds": 3 * 86400})
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    second = load_sp_api(accounts, tmp_path, lag_seconds=120)
    after = {(r[0], r[1]): r for r in _orders(second)}
    assert len(after) == _visible_orders(sandbox_server)
    changed = {key for key, row in after.items() if before.get(key) != row}
    assert changed, "three days change statuses and bring new orders"
    load_id = second.pipeline.last_trace.last_normalize_info.loads_ids[0]
    reloaded = {
        (r[0], r[1])
        for r in second.query(
            f"select seller_id, order_id from sp_api.orders where _dlt_load_id = '{load_id}'"
        )
    }
    # the second run reads orders updated since each seller's mark minus the 120 s lag:
    # every changed order, and besides them only unchanged ones inside that lag window
    assert changed <= reloaded
    import pendulum

    for seller_id, order_id in reloaded - changed:
        updated = pendulum.parse(after[(seller_id, order_id)][2])
        assert updated >= pendulum.parse(marks[seller_id]).subtract(seconds=120)


def test_v0_and_2026_paths_load_the_same_orders(sandbox_server, accounts, tmp_path) -> None:
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    new = load_sp_api(accounts, tmp_path / "2026")
    old = load_sp_api(accounts, tmp_path / "v0", orders_api_version="v0")
    assert _orders(old) == _orders(new)
    assert _items(old) == _items(new)
    sources = {r[0] for r in old.query("select distinct source_api from sp_api.orders")}
    assert sources == {"ordersV0"}


def test_throttle_storm_and_token_expiry_mid_run_lose_nothing(
    sandbox_server, accounts, tmp_path
) -> None:
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    clean = load_sp_api(accounts, tmp_path / "clean")
    # one seller's storm, after its first page: until a page's x-amzn-RateLimit-Limit tells
    # the client the sandbox's scaled rate, a throttle waits a real-time slot (~3 minutes)
    seller = accounts["accounts"][0]["seller_id"]
    search = "orders_2026-01-01.searchOrders"
    storm = [  # in turn: five 429s, an expired token, two 503s
        {"operation": search, "seller_id": seller, "status": 429, "count": 5, "skip": 1},
        {"operation": search, "seller_id": seller, "expire_tokens": True},
        {"operation": search, "seller_id": seller, "status": 503, "count": 2},
    ]
    control(sandbox_server.url, "faults", {"faults": storm})
    requests.delete(f"{sandbox_server.url}/_sandbox/calls", timeout=10)
    stormy = load_sp_api(accounts, tmp_path / "stormy")
    statuses = requests.get(f"{sandbox_server.url}/_sandbox/calls", timeout=10).json()[
        "operations"
    ][f"sp_api.{search}"]["statuses"]
    assert (statuses["429"], statuses["403"], statuses["503"]) == (5, 1, 2)
    assert stormy.stats.snapshot()[search].throttled == 5
    assert not list(stormy.failures)
    assert _orders(stormy) == _orders(clean)
    assert _items(stormy) == _items(clean)


def test_a_failed_account_spares_the_others_and_keeps_its_mark(
    sandbox_server, accounts, tmp_path
) -> None:
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    broken = dict(accounts)
    broken["accounts"] = [dict(a) for a in accounts["accounts"]]
    broken["accounts"][1]["refresh_token"] = "Atzr|revoked"
    partial = load_sp_api(broken, tmp_path)
    failed = list(partial.failures)
    assert [f.key for f in failed] == [broken["accounts"][1]["name"]]
    assert "refresh_token" in str(failed[0].error) and "Atzr|revoked" not in str(failed[0].error)
    sellers = {r[0] for r in partial.query("select distinct seller_id from sp_api.orders")}
    assert sellers == {a["seller_id"] for i, a in enumerate(accounts["accounts"]) if i != 1}
    marks = partial.pipeline.state["sources"]["sp_api"]["resources"]["order_pages"]["high_water"]
    assert accounts["accounts"][1]["seller_id"] not in marks
    healed = load_sp_api(accounts, tmp_path)
    assert healed.count("orders") == _visible_orders(sandbox_server)


def test_pii_loads_into_separate_tables_only_when_enabled(
    sandbox_server, accounts, tmp_path
) -> None:
    plain = load_sp_api(accounts, tmp_path / "plain")
    tables = {
        r[0]
        for r in plain.query(
            "select table_name from information_schema.tables where table_schema = 'sp_api'"
        )
    }
    assert not {"order_buyers", "order_recipients"} & tables
    columns = {
        r[0]
        for r in plain.query(
            "select column_name from information_schema.columns where table_schema = 'sp_api' "
            "and table_name = 'orders'"
        )
    }
    assert not any(c.startswith(("buyer", "recipient")) for c in columns)
    with_pii = load_sp_api(accounts, tmp_path / "pii", include_pii=True)
    assert with_pii.count("order_buyers") == with_pii.count("orders")
    assert 0 < with_pii.count("order_recipients") < with_pii.count("orders")
    columns = {
        r[0]
        for r in with_pii.query(
            "select column_name from information_schema.columns where table_schema = 'sp_api' "
            "and table_name = 'orders'"
        )
    }
    assert not any(c.startswith(("buyer", "recipient")) for c in columns)
