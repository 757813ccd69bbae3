"""Sellers and Listings Items on the wire: participations, every SKU, the 1,000-result page
limit, and prices, quantities and statuses that move with the clock."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import BIG_CATALOG_PRODUCTS
from tests.sandbox.wire import control, lwa_token, pages, sp_get

US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
INCLUDED = "summaries,offers,fulfillmentAvailability,issues"


def _search(url: str, token: str, seller_id: str, **params) -> list[dict]:
    path = f"/listings/2021-08-01/items/{seller_id}"
    bodies = pages(url, token, path, "pagination.nextToken", "pageToken", pageSize=20, **params)
    return [item for body in bodies for item in body["items"]]


@pytest.fixture
def na(accounts) -> tuple[str, str]:
    return lwa_token(accounts, 0), accounts["accounts"][0]["seller_id"]


def test_participations_name_the_sellers_marketplaces_and_one_it_does_not_sell_in(
    sandbox_server, na
) -> None:
    token, _ = na
    response = sp_get(sandbox_server.url, token, "/sellers/v1/marketplaceParticipations")
    assert response.headers["x-amzn-RateLimit-Limit"] == repr(round(0.016 * 3600, 9))
    found = {
        p["marketplace"]["id"]: p["participation"]["isParticipating"]
        for p in response.json()["payload"]
    }
    assert found == {US: True, CA: True, "A1AM78C64UM0Y8": False}


def test_search_pages_through_every_sku_of_the_seller(sandbox_server, na) -> None:
    token, seller_id = na
    items = _search(sandbox_server.url, token, seller_id, marketplaceIds=US, includedData=INCLUDED)
    expected = {listing.sku for listing in sandbox_server.app.world.catalog.listings[seller_id]}
    assert [i["sku"] for i in items] and {i["sku"] for i in items} == expected
    assert len(items) == len(expected)  # no SKU twice across pages
    first = sp_get(
        sandbox_server.url, token, f"/listings/2021-08-01/items/{seller_id}", marketplaceIds=US
    ).json()
    assert first["numberOfResults"] == len(expected) and len(first["items"]) == 10
    second = sp_get(
        sandbox_server.url,
        token,
        f"/listings/2021-08-01/items/{seller_id}",
        marketplaceIds=US,
        pageToken=first["pagination"]["nextToken"],
    ).json()
    back = sp_get(
        sandbox_server.url,
        token,
        f"/listings/2021-08-01/items/{seller_id}",
        marketplaceIds=US,
        pageToken=second["pagination"]["previousToken"],
    ).json()
    assert [i["sku"] for i in back["items"]] == [i["sku"] for i in first["items"]]


def test_prices_quantities_and_statuses_move_with_the_clock_unless_frozen(
    sandbox_server, accounts
) -> None:
    url = sandbox_server.url
    seller_id = accounts["accounts"][0]["seller_id"]

    def state() -> dict[str, tuple]:
        token = lwa_token(accounts, 0)  # a fresh one: the clock jumps past their lifetime
        items = _search(url, token, seller_id, marketplaceIds=US, includedData=INCLUDED)
        return {
            i["sku"]: (
                i["offers"][0]["price"]["amount"],
                i["fulfillmentAvailability"][0]["quantity"],
                tuple(i["summaries"][0]["status"]),
                i["summaries"][0]["lastUpdatedDate"],
            )
            for i in items
        }

    control(url, "world/freeze", {"at": "now"})
    before = state()
    assert all(("BUYABLE" in s[2]) == (s[1] > 0) for s in before.values())
    control(url, "clock/advance", {"seconds": 20 * 86400})
    assert state() == before
    requests.delete(f"{url}/_sandbox/world/freeze", timeout=10).raise_for_status()
    after = state()
    prices = [sku for sku in before if before[sku][0] != after[sku][0]]
    quantities = [sku for sku in before if before[sku][1] != after[sku][1]]
    assert prices and quantities
    assert all(after[sku][3] > before[sku][3] for sku in set(prices) | set(quantities))
    assert all(("BUYABLE" in s[2]) == (s[1] > 0) for s in after.values())


def test_a_search_pages_through_at_most_1000_listings(big_catalog_sandbox) -> None:
    accounts = big_catalog_sandbox.accounts()
    token, seller_id = lwa_token(accounts, 0), accounts["accounts"][0]["seller_id"]
    listings = big_catalog_sandbox.app.world.catalog.listings[seller_id]
    assert len(listings) > 1000 and BIG_CATALOG_PRODUCTS > 1000
    items = _search(big_catalog_sandbox.url, token, seller_id, marketplaceIds=US)
    assert len(items) == 1000
    first = sp_get(
        big_catalog_sandbox.url, token, f"/listings/2021-08-01/items/{seller_id}", marketplaceIds=US
    ).json()
    assert first["numberOfResults"] == len(listings)


@pytest.mark.parametrize(
    ("path_seller", "params", "status"),
    [
        ("other", {"marketplaceIds": US}, 403),
        ("own", {"marketplaceIds": "A1PA6795UKMFR9"}, 400),
        ("own", {"marketplaceIds": US, "identifiers": ",".join(["X"] * 21)}, 400),
        ("own", {"marketplaceIds": US, "identifiers": "X"}, 400),
        ("own", {"marketplaceIds": US, "pageSize": 21}, 400),
        ("own", {"marketplaceIds": US, "sortBy": "price"}, 400),
    ],
    ids=["other-seller", "foreign-marketplace", "21-identifiers", "no-type", "page-21", "sort"],
)
def test_bad_searches_answer_in_amazons_envelope(sandbox_server, na, path_seller, params, status):
    token, seller_id = na
    seller = seller_id if path_seller == "own" else "A0THERSELLER"
    response = sp_get(sandbox_server.url, token, f"/listings/2021-08-01/items/{seller}", **params)
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] in ("InvalidInput", "Unauthorized")


def test_single_listing_by_sku_and_identifier_search(sandbox_server, na) -> None:
    token, seller_id = na
    listing = sandbox_server.app.world.catalog.listings[seller_id][5]
    item = sp_get(
        sandbox_server.url,
        token,
        f"/listings/2021-08-01/items/{seller_id}/{listing.sku}",
        marketplaceIds=f"{US},{CA}",
        includedData="summaries,offers",
    ).json()
    assert item["sku"] == listing.sku
    assert [s["marketplaceId"] for s in item["summaries"]] == [US, CA]
    asin = item["summaries"][0]["asin"]
    found = sp_get(
        sandbox_server.url,
        token,
        f"/listings/2021-08-01/items/{seller_id}",
        marketplaceIds=US,
        identifiers=asin,
        identifiersType="ASIN",
    ).json()
    assert [i["sku"] for i in found["items"]] == [listing.sku]
    missing = sp_get(
        sandbox_server.url, token, f"/listings/2021-08-01/items/{seller_id}/NOPE", marketplaceIds=US
    )
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NotFound"
