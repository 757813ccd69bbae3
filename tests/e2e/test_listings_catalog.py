"""Listings history and the catalog end to end: sandbox over HTTP -> source -> dlt -> DuckDB."""

from __future__ import annotations

import math

import pytest
import requests

from tests.loading import load_sp_api
from tests.sandbox.wire import control

pytestmark = pytest.mark.e2e

LISTINGS = ["listings_items"]
CATALOG = ["listings_items", "catalog_items"]


def _listed(sandbox_server) -> int:
    world = sandbox_server.app.world
    return sum(
        len(world.catalog.listings[s.seller_id]) * len(s.marketplace_ids) for s in world.sellers
    )


def _current(load) -> dict[tuple, tuple]:
    return {
        row[:3]: row[3:]
        for row in load.query(
            "select seller_id, marketplace_id, sku, quantity, price__amount, status, "
            "_dlt_valid_from, row_hash from sp_api.listings_items where _dlt_valid_to is null"
        )
    }


def test_each_change_is_a_version_and_a_frozen_rerun_adds_none(sandbox_server, accounts, tmp_path):
    url = sandbox_server.url
    control(url, "world/freeze", {"at": "now"})
    first = load_sp_api(accounts, tmp_path, resources=LISTINGS)
    before = _current(first)
    assert len(before) == first.count("listings_items") == _listed(sandbox_server)
    again = load_sp_api(accounts, tmp_path, resources=LISTINGS)
    assert _current(again) == before and again.count("listings_items") == len(before)
    requests.delete(f"{url}/_sandbox/world/freeze", timeout=10).raise_for_status()
    control(url, "clock/advance", {"seconds": 86400})
    control(url, "world/freeze", {"at": "now"})
    later = load_sp_api(accounts, tmp_path, resources=LISTINGS)
    after = _current(later)
    assert set(after) == set(before)
    changed = [key for key in before if before[key][4] != after[key][4]]
    moved = [key for key in before if before[key][:3] != after[key][:3]]
    assert moved and set(moved) <= set(changed) and len(changed) < len(before)
    assert later.count("listings_items") == len(before) + len(changed)
    shift = after[changed[0]][3] - before[changed[0]][3]
    # a version starts at the server time that saw it: a day on, give or take how long each
    # run took since the server told its time
    assert abs(shift.total_seconds() - 86400) < 60
    world = sandbox_server.app.world
    at = sandbox_server.app.world_time()
    for seller in world.sellers:
        quantities = world.stock[seller.seller_id].quantity(at)
        for index, listing in enumerate(world.catalog.listings[seller.seller_id]):
            key = (seller.seller_id, seller.marketplace_ids[0], listing.sku)
            assert after[key][0] == quantities[index]


def test_a_marketplace_that_fails_keeps_its_listings_current(sandbox_server, accounts, tmp_path):
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    first = load_sp_api(accounts, tmp_path, resources=LISTINGS)
    eu = accounts["accounts"][1]["seller_id"]
    control(
        sandbox_server.url,
        "faults",
        {
            "operation": "listingsItems_2021-08-01.searchListingsItems",
            "seller_id": eu,
            "status": 500,
            "count": 50,
            "skip": 2,  # the first pages succeed: the marketplace is read only in part
        },
    )
    second = load_sp_api(accounts, tmp_path, resources=LISTINGS, max_attempts=2)
    assert [(f.resource, f.key) for f in second.failures] == [
        ("listings_items", "Sandbox Handel EU")
    ]
    assert _current(second) == _current(first)
    assert second.count("listings_items") == first.count("listings_items")


def test_the_catalog_describes_each_asin_once_and_only_when_old(sandbox_server, accounts, tmp_path):
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    first = load_sp_api(accounts, tmp_path, resources=CATALOG)
    listed = first.query(
        "select marketplace_id, count(distinct asin) from sp_api.listings_items group by 1"
    )
    assert first.count("catalog_items") == sum(n for _, n in listed)
    calls = first.stats.snapshot()
    batches = sum(math.ceil(n / 20) for _, n in listed)
    singles = sum(1 for _, n in listed if n % 20 == 1)
    assert calls["catalogItems_2022-04-01.searchCatalogItems"].calls == batches - singles
    assert calls.get("catalogItems_2022-04-01.getCatalogItem") is None or singles
    missing = first.query(
        "select count(*) from sp_api.listings_items l left join sp_api.catalog_items c "
        "using (marketplace_id, asin) where c.asin is null"
    )
    assert missing == [(0,)]
    described = {asin for (asin,) in first.query("select asin from sp_api.catalog_items")}
    extra = next(
        p.asin for p in sandbox_server.app.world.catalog.products if p.asin not in described
    )
    fresh = load_sp_api(accounts, tmp_path, resources=CATALOG, catalog_asins=[extra])
    operations = fresh.stats.snapshot()
    assert "catalogItems_2022-04-01.searchCatalogItems" not in operations  # nothing is old
    marketplaces = len(fresh.query("select distinct marketplace_id from sp_api.catalog_items"))
    assert operations["catalogItems_2022-04-01.getCatalogItem"].calls == marketplaces == 5
    assert fresh.query(f"select count(*) from sp_api.catalog_items where asin = '{extra}'") == [
        (marketplaces,)
    ]
    before = fresh.query("select max(refreshed_at) from sp_api.catalog_items")[0][0]
    aged = load_sp_api(
        accounts, tmp_path, resources=CATALOG, catalog_max_age_days=0, catalog_asins=[extra]
    )
    assert aged.stats.snapshot()["catalogItems_2022-04-01.searchCatalogItems"].calls >= batches
    assert aged.query("select min(refreshed_at) from sp_api.catalog_items")[0][0] > before
    assert aged.count("catalog_items") == fresh.count("catalog_items")


def test_more_than_1000_listings_are_read_in_creation_windows(big_catalog_sandbox, tmp_path):
    accounts = big_catalog_sandbox.accounts()
    accounts = {**accounts, "accounts": accounts["accounts"][:1]}
    control(big_catalog_sandbox.url, "world/freeze", {"at": "now"})
    load = load_sp_api(accounts, tmp_path, resources=LISTINGS)
    seller = accounts["accounts"][0]
    listings = big_catalog_sandbox.app.world.catalog.listings[seller["seller_id"]]
    assert len(listings) > 1000
    assert load.count("listings_items") == len(listings) * len(seller["marketplace_ids"])
    assert load.query(
        "select count(*) from (select distinct marketplace_id, sku from sp_api.listings_items)"
    ) == [(load.count("listings_items"),)]
