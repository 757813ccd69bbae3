"""Marketplace discovery, FBA inventory, order metrics and Data Kiosk end to end, and a
re-run of every named resource that loads nothing new."""

from __future__ import annotations

import pytest
import requests

from sources.sp_api.settings import NAMED_RESOURCES
from tests.loading import load_sp_api
from tests.sandbox.wire import control

pytestmark = pytest.mark.e2e


def _thaw_and_advance(url: str, seconds: float) -> None:
    requests.delete(f"{url}/_sandbox/world/freeze", timeout=10).raise_for_status()
    control(url, "clock/advance", {"seconds": seconds})
    control(url, "world/freeze", {"at": "now"})


def _state(load, resource: str) -> dict:
    return load.pipeline.state["sources"]["sp_api"]["resources"][resource]


def test_accounts_without_marketplaces_use_those_they_take_part_in(
    sandbox_server, accounts, tmp_path
) -> None:
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    bare = {**accounts, "accounts": [{**a, "marketplace_ids": []} for a in accounts["accounts"]]}
    load = load_sp_api(
        bare,
        tmp_path,
        resources=["marketplace_participations", "orders", "order_items", "order_metrics"],
    )
    participations = load.query(
        "select marketplace_id, participation__is_participating "
        "from sp_api.marketplace_participations order by 1"
    )
    assert ("A1AM78C64UM0Y8", False) in participations and len(participations) == 6
    now = sandbox_server.app.world_time()
    visible = sum(b.visible_count(now) for b in sandbox_server.app.world.order_books.values())
    assert load.count("orders") == visible
    metrics = {m for (m,) in load.query("select distinct marketplace_id from sp_api.order_metrics")}
    assert metrics == {m for a in accounts["accounts"] for m in a["marketplace_ids"]}
    assert load.stats.snapshot()["sellers.getMarketplaceParticipations"].calls == 3


def test_inventory_keeps_each_change_and_then_asks_only_for_changes(
    sandbox_server, accounts, tmp_path
) -> None:
    url = sandbox_server.url
    control(url, "world/freeze", {"at": "now"})
    first = load_sp_api(accounts, tmp_path, resources=["inventory_summaries"])
    world = sandbox_server.app.world
    fba = sum(
        len(s.marketplace_ids)
        * sum(
            1 for listing in world.catalog.listings[s.seller_id] if listing.fulfilled_by == "AMAZON"
        )
        for s in world.sellers
    )
    assert first.count("inventory_summaries") == fba
    marks = dict(_state(first, "inventory_summaries")["high_water"])
    assert len(marks) == 5
    _thaw_and_advance(url, 2 * 86400)
    second = load_sp_api(accounts, tmp_path, resources=["inventory_summaries"])
    reloaded = second.pipeline.last_trace.last_normalize_info.row_counts["inventory_summaries"]
    added = second.count("inventory_summaries") - fba
    assert 0 < added <= reloaded < fba  # only what changed since the marks (less the lag)
    assert all(_state(second, "inventory_summaries")["high_water"][k] > v for k, v in marks.items())
    skus = second.query(
        "select count(*) from (select distinct seller_id, marketplace_id, seller_sku "
        "from sp_api.inventory_summaries)"
    )
    assert skus == [(fba,)]


def test_daily_resources_continue_where_they_stopped(sandbox_server, accounts, tmp_path) -> None:
    url = sandbox_server.url
    control(url, "world/freeze", {"at": "now"})
    resources = ["order_metrics", "sales_and_traffic"]
    first = load_sp_api(accounts, tmp_path, resources=resources)
    days = first.count("order_metrics")
    spans = first.query(
        "select count(*), date_diff('day', min(day)::date, max(day)::date) + 1 "
        "from sp_api.order_metrics group by seller_id, marketplace_id"
    )
    assert len(spans) == 5 and all(n == span > 700 for n, span in spans)  # every day, once
    kiosk = first.stats.snapshot()
    assert kiosk["dataKiosk_2023-11-15.createQuery"].calls > 5  # the longest results continued
    assert first.query(
        "select count(*) from sp_api.sales_and_traffic t join sp_api.order_metrics m "
        "on t.seller_id = m.seller_id and t.marketplace_id = m.marketplace_id "
        "and t.start_date = m.day where t.sales__units_ordered <> m.unit_count"
    ) == [(0,)]
    through = dict(_state(first, "order_metrics")["through"])
    _thaw_and_advance(url, 3 * 86400)
    second = load_sp_api(accounts, tmp_path, resources=resources)
    counts = second.pipeline.last_trace.last_normalize_info.row_counts
    # per marketplace: seven lag days, the last completed day, then the first run's today
    # (partial then) and the three days since, the last of them today
    assert counts["order_metrics"] == 5 * (7 + 1 + 1 + 3)
    assert second.count("order_metrics") == days + 5 * 3
    assert all(_state(second, "order_metrics")["through"][k] > v for k, v in through.items())
    assert 0 < counts.get("sales_and_traffic", 0) <= 5 * (7 + 1 + 3)


def test_a_rerun_of_every_named_resource_loads_nothing_new(sandbox_server, accounts, tmp_path):
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    first = load_sp_api(accounts, tmp_path)
    tables = [t for t in NAMED_RESOURCES]
    counts = {t: first.count(t) for t in tables}
    assert all(counts.values()), counts
    second = load_sp_api(accounts, tmp_path)
    assert {t: second.count(t) for t in tables} == counts
    assert not list(second.failures)
    assert "catalogItems_2022-04-01.searchCatalogItems" not in second.stats.snapshot()
    assert second.query(
        "select count(*) from sp_api.listings_items where _dlt_valid_to is not null"
    ) == [(0,)]
