"""Catalog Items on the wire: 20 identifiers a call, variation families, ranks that move,
keyword searches and Amazon's 400s and 404s."""

from __future__ import annotations

import pytest

from tests.sandbox.wire import control, lwa_token, sp_get

US, DE = "ATVPDKIKX0DER", "A1PA6795UKMFR9"
SEARCH = "/catalog/2022-04-01/items"


@pytest.fixture
def token(accounts) -> str:
    return lwa_token(accounts)


def test_twenty_identifiers_come_back_in_one_page_only_when_asked_for(
    sandbox_server, token
) -> None:
    asins = [p.asin for p in sandbox_server.app.world.catalog.products[:20]]
    query = {"identifiers": ",".join(asins), "identifiersType": "ASIN", "marketplaceIds": US}
    full = sp_get(sandbox_server.url, token, SEARCH, pageSize=20, **query).json()
    assert [i["asin"] for i in full["items"]] == asins and "pagination" not in full
    halves = sp_get(sandbox_server.url, token, SEARCH, **query).json()
    assert len(halves["items"]) == 10 and halves["numberOfResults"] == 20
    rest = sp_get(
        sandbox_server.url, token, SEARCH, pageToken=halves["pagination"]["nextToken"], **query
    ).json()
    assert [i["asin"] for i in halves["items"] + rest["items"]] == asins


def test_variation_families_and_localized_titles(sandbox_server, token) -> None:
    catalog = sandbox_server.app.world.catalog
    child = next(p for p in catalog.products if p.parent_asin)
    included = "summaries,relationships"
    item = sp_get(
        sandbox_server.url,
        token,
        f"{SEARCH}/{child.asin}",
        marketplaceIds=f"{US},{DE}",
        includedData=included,
    ).json()
    titles = {s["marketplaceId"]: s["itemName"] for s in item["summaries"]}
    assert titles == {US: child.titles[0], DE: child.titles[1]}
    assert item["relationships"][0]["relationships"][0]["parentAsins"] == [child.parent_asin]
    parent = sp_get(
        sandbox_server.url,
        token,
        f"{SEARCH}/{child.parent_asin}",
        marketplaceIds=US,
        includedData=included,
    ).json()
    assert parent["summaries"][0]["itemClassification"] == "VARIATION_PARENT"
    assert child.asin in parent["relationships"][0]["relationships"][0]["childAsins"]


def test_sales_ranks_move_day_by_day(sandbox_server, accounts) -> None:
    asin = sandbox_server.app.world.catalog.products[3].asin

    def rank() -> int:
        item = sp_get(
            sandbox_server.url,
            lwa_token(accounts),
            f"{SEARCH}/{asin}",
            marketplaceIds=US,
            includedData="salesRanks",
        ).json()
        return item["salesRanks"][0]["classificationRanks"][0]["rank"]

    ranks = [rank()]
    for _ in range(3):
        control(sandbox_server.url, "clock/advance", {"seconds": 86400})
        ranks.append(rank())
    assert len(set(ranks)) > 1


def test_keyword_search_and_ean_lookup(sandbox_server, token) -> None:
    product = sandbox_server.app.world.catalog.products[0]
    word = product.titles[1].split()[-1]  # a German noun
    found = sp_get(
        sandbox_server.url, token, SEARCH, keywords=word, marketplaceIds=DE, pageSize=20
    ).json()
    assert found["numberOfResults"] >= 1 and found["refinements"]["brands"]
    assert all(word.lower() in i["summaries"][0]["itemName"].lower() for i in found["items"])
    item = sp_get(
        sandbox_server.url,
        token,
        f"{SEARCH}/{product.asin}",
        marketplaceIds=US,
        includedData="identifiers",
    ).json()
    ean = item["identifiers"][0]["identifiers"][0]["identifier"]
    by_ean = sp_get(
        sandbox_server.url, token, SEARCH, identifiers=ean, identifiersType="EAN", marketplaceIds=US
    ).json()
    assert [i["asin"] for i in by_ean["items"]] == [product.asin]


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        (SEARCH, {"marketplaceIds": US, "identifiers": "B0X", "keywords": "x"}, 400),
        (SEARCH, {"marketplaceIds": f"{US},{DE}", "keywords": "x"}, 400),
        (SEARCH, {"marketplaceIds": US, "identifiers": ",".join(["B0X"] * 21)}, 400),
        (SEARCH, {"marketplaceIds": US, "identifiers": "B0X"}, 400),
        (SEARCH, {"marketplaceIds": "", "keywords": "x"}, 400),
        (SEARCH + "/", {"marketplaceIds": US}, 400),
        (SEARCH + "/B0NOTHERE0", {"marketplaceIds": US}, 404),
    ],
    ids=["both", "two-marketplaces", "21", "no-type", "empty-marketplace", "empty-asin", "unknown"],
)
def test_bad_requests(sandbox_server, token, path, params, status) -> None:
    response = sp_get(sandbox_server.url, token, path, **params)
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] in ("InvalidInput", "NotFound")
