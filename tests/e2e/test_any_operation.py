"""Any operation, the new-and-updated poller and raw requests end to end, sharing the named
resources' auth, pacing and retries."""

from __future__ import annotations

import json

import pendulum
import pytest
import requests

from tests.loading import load_sp_api
from tests.sandbox.wire import control

pytestmark = pytest.mark.e2e

VENDOR_POLL = {
    "api": "vendorOrders",
    "operation": "getPurchaseOrders",
    "timestamp_param": "createdAfter",
    "accounts": ["Sandbox Outfitters NA"],
}
POLL_TABLE = "vendor_orders_get_purchase_orders"


def _created_between(sandbox_server, start: float, end: float) -> set[str]:
    """Purchase orders created in [start, end) that the (frozen) world has by now."""
    book = sandbox_server.app.world.vendors[sandbox_server.app.world.sellers[0].seller_id]
    end = min(end, sandbox_server.app.world_time())
    return {book.numbers[i] for i in range(len(book)) if start <= book.created[i] < end}


def _mark(load, table: str, seller_id: str) -> pendulum.DateTime:
    state = load.pipeline.state["sources"]["sp_api"]["resources"][table]
    return pendulum.parse(state["high_water"][seller_id])  # type: ignore[return-value]


def test_the_poller_loads_new_purchase_orders_once(sandbox_server, accounts, tmp_path) -> None:
    url, seller_id = sandbox_server.url, accounts["accounts"][0]["seller_id"]
    control(url, "world/freeze", {"at": "now"})
    first = load_sp_api(accounts, tmp_path, resources=[], polls=[VENDOR_POLL])
    mark = _mark(first, POLL_TABLE, seller_id)
    loaded = {n for (n,) in first.query(f"select purchase_order_number from sp_api.{POLL_TABLE}")}
    now = sandbox_server.clock.timestamp()
    assert loaded == _created_between(sandbox_server, now - 180 * 86400 + 3600, mark.timestamp())
    assert first.stats.snapshot()["vendorOrders.getPurchaseOrders"].calls >= 26  # 7-day windows
    # the world stood still while the clock ran on: the next window starts at the mark, which
    # a frozen world's orders never reach, so the clock moves on before the next run
    requests.delete(f"{url}/_sandbox/world/freeze", timeout=10).raise_for_status()
    control(url, "clock/advance", {"seconds": 10 * 86400})
    control(url, "world/freeze", {"at": "now"})
    later = load_sp_api(accounts, tmp_path, resources=[], polls=[VENDOR_POLL])
    numbers = [n for (n,) in later.query(f"select purchase_order_number from sp_api.{POLL_TABLE}")]
    assert len(numbers) == len(set(numbers)) > len(loaded)  # new ones, none twice
    newest = _mark(later, POLL_TABLE, seller_id)
    assert set(numbers) - loaded == _created_between(
        sandbox_server, mark.timestamp(), newest.timestamp()
    )
    again = load_sp_api(accounts, tmp_path, resources=[], polls=[VENDOR_POLL])
    assert again.count(POLL_TABLE) == len(numbers)


def test_the_poller_emits_pages(sandbox_server, accounts, tmp_path) -> None:
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    poll = {**VENDOR_POLL, "emit": "pages", "params": {"limit": 10}, "table_name": "po_pages"}
    load = load_sp_api(accounts, tmp_path, resources=[], polls=[poll])
    rows = load.query("select item_count, items from sp_api.po_pages")
    assert rows and all(count == len(json.loads(items)) <= 10 for count, items in rows)
    mark = _mark(load, "po_pages", accounts["accounts"][0]["seller_id"])
    now = sandbox_server.clock.timestamp()
    assert sum(c for c, _ in rows) == len(
        _created_between(sandbox_server, now - 180 * 86400 + 3600, mark.timestamp())
    )


def test_any_operation_loads_its_items_per_account(sandbox_server, accounts, tmp_path) -> None:
    operations = [
        {
            "api": "catalogItems_2022-04-01",
            "operation": "searchCatalogItems",
            "params": {"keywords": ["premium"], "pageSize": 5},
            "table_name": "premium_items",
        },
        {"api": "sellers", "operation": "getAccount", "accounts": ["Sandbox Outfitters NA"]},
    ]
    load = load_sp_api(accounts, tmp_path, resources=[], operations=operations)
    per_marketplace = dict(
        load.query("select marketplace_id, count(*) from sp_api.premium_items group by 1")
    )
    english = {"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1F83G8C2ARO7P"}
    assert set(per_marketplace) == english  # the German and Japanese titles say it otherwise
    assert load.stats.snapshot()["catalogItems_2022-04-01.searchCatalogItems"].calls > 5  # pages
    account = load.query("select seller_id, business_type from sp_api.sellers_get_account")
    assert account == [(accounts["accounts"][0]["seller_id"], "PRIVATE_LIMITED")]
    again = load_sp_api(accounts, tmp_path, resources=[], operations=operations)
    assert again.count("premium_items") == sum(per_marketplace.values())


def test_a_model_operation_outside_the_seeded_world_is_named_and_paced_by_its_plan(
    sandbox_server, accounts, tmp_path
) -> None:
    """Product Pricing answers its models' static examples; its 429 is counted under its own
    name and retried at its own plan, not as `unknown.unknown`."""
    pricing = "productPricingV0.getPricing"
    fault = {"operation": pricing, "status": 429, "count": 1}
    control(sandbox_server.url, "faults", {"faults": [fault]})
    operation = {
        "api": "productPricingV0",
        "operation": "getPricing",
        "params": {"MarketplaceId": "ATVPDKIKX0DER", "ItemType": "Asin", "Asins": ["B00V5DG6IQ"]},
        "accounts": ["Sandbox Outfitters NA"],
    }
    load = load_sp_api(accounts, tmp_path, resources=[], operations=[operation])
    stats = load.stats.snapshot()
    assert "unknown.unknown" not in stats
    assert (stats[pricing].calls, stats[pricing].throttled) == (2, 1)
    asins = load.query("select asin from sp_api.product_pricing_v0_get_pricing order by 1")
    assert asins == [("B00551Q3CS",), ("B00V5DG6IQ",)]  # the example's payload


def test_raw_requests_load_status_headers_and_body(sandbox_server, accounts, tmp_path) -> None:
    raw = [
        {"method": "GET", "path": "/sellers/v1/marketplaceParticipations"},
        {"method": "GET", "path": "/no/such/resource", "allow_404": True},
    ]
    load = load_sp_api(accounts, tmp_path, resources=[], raw_requests=raw)
    rows = load.query(
        "select seller_id, path, status_code, headers, body from sp_api.raw_responses"
    )
    assert len(rows) == 6
    for _, path, status, headers, body in rows:
        assert status == (200 if path.startswith("/sellers") else 404)
        assert "x-amz-access-token" not in headers.lower()
        if status == 200:
            assert json.loads(body)["payload"] and "x-amzn-RequestId" in json.loads(headers)
    strict = load_sp_api(
        accounts,
        tmp_path / "strict",
        resources=[],
        raw_requests=[{"method": "GET", "path": "/no/such"}],
    )
    assert {f.error.status for f in strict.failures} == {404}
