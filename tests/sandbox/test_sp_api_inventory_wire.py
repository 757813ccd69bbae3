"""FBA Inventory on the wire: summaries of Amazon-fulfilled SKUs that agree with the listings,
changes since a time, and next tokens that expire after 30 (real) seconds."""

from __future__ import annotations

import pendulum

from tests.sandbox.wire import control, lwa_token, pages, sp_get

US = "ATVPDKIKX0DER"
SUMMARIES = "/fba/inventory/v1/summaries"
QUERY = {"granularityType": "Marketplace", "granularityId": US, "marketplaceIds": US}


def _summaries(url: str, token: str, **params) -> list[dict]:
    bodies = pages(url, token, SUMMARIES, "pagination.nextToken", "nextToken", **QUERY, **params)
    return [s for body in bodies for s in body["payload"]["inventorySummaries"]]


def test_summaries_cover_the_fba_listings_with_their_quantities(sandbox_server, accounts) -> None:
    token, seller_id = lwa_token(accounts), accounts["accounts"][0]["seller_id"]
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    summaries = _summaries(sandbox_server.url, token, details="true")
    listings = sandbox_server.app.world.catalog.listings[seller_id]
    assert {s["sellerSku"] for s in summaries} == {
        listing.sku for listing in listings if listing.fulfilled_by == "AMAZON"
    }
    listed = {
        item["sku"]: item["fulfillmentAvailability"][0]["quantity"]
        for body in pages(
            sandbox_server.url,
            token,
            f"/listings/2021-08-01/items/{seller_id}",
            "pagination.nextToken",
            "pageToken",
            marketplaceIds=US,
            includedData="fulfillmentAvailability",
            pageSize=20,
        )
        for item in body["items"]
    }
    for summary in summaries:
        details = summary["inventoryDetails"]
        assert details["fulfillableQuantity"] == listed[summary["sellerSku"]]
        assert summary["totalQuantity"] >= details["fulfillableQuantity"]
    plain = sp_get(sandbox_server.url, token, SUMMARIES, **QUERY).json()
    assert "inventoryDetails" not in plain["payload"]["inventorySummaries"][0]


def test_start_date_time_returns_only_what_changed_since(sandbox_server, accounts) -> None:
    url = sandbox_server.url
    everything = _summaries(url, lwa_token(accounts))
    control(url, "clock/advance", {"seconds": 2 * 86400})
    since = sandbox_server.clock.now().subtract(days=1)
    changed = _summaries(url, lwa_token(accounts), startDateTime=since.isoformat())
    assert 0 < len(changed) < len(everything)
    assert all(pendulum.parse(s["lastUpdatedTime"]) > since for s in changed)
    too_old = sandbox_server.clock.now().subtract(days=600).isoformat()
    response = sp_get(url, lwa_token(accounts), SUMMARIES, startDateTime=too_old, **QUERY)
    assert response.status_code == 400


def test_next_tokens_expire_after_thirty_seconds_at_any_time_scale(big_catalog_sandbox) -> None:
    url = big_catalog_sandbox.url
    accounts = big_catalog_sandbox.accounts()
    first = sp_get(url, lwa_token(accounts), SUMMARIES, **QUERY).json()
    assert len(first["payload"]["inventorySummaries"]) == 50
    next_token = first["pagination"]["nextToken"]
    control(url, "clock/advance", {"seconds": 25})
    fresh = sp_get(url, lwa_token(accounts), SUMMARIES, nextToken=next_token, **QUERY)
    assert fresh.status_code == 200
    control(url, "clock/advance", {"seconds": 10})
    stale = sp_get(url, lwa_token(accounts), SUMMARIES, nextToken=next_token, **QUERY)
    assert stale.status_code == 400 and "expired" in stale.json()["errors"][0]["details"]
