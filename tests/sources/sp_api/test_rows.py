"""Listings and catalog items as rows of one marketplace, and what makes a listing version."""

from __future__ import annotations

import json

from sources.sp_api.catalog import catalog_row
from sources.sp_api.listings import snapshot_row, version

US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
ITEM = {
    "sku": "SKU-1",
    "summaries": [
        {"marketplaceId": US, "asin": "B01", "status": ["BUYABLE"], "itemName": "Mug"},
        {"marketplaceId": CA, "asin": "B01", "status": [], "itemName": "Mug"},
    ],
    "offers": [
        {
            "marketplaceId": US,
            "offerType": "B2B",
            "price": {"amount": "8.00", "currencyCode": "USD"},
        },
        {
            "marketplaceId": US,
            "offerType": "B2C",
            "price": {"amount": "9.99", "currencyCode": "USD"},
        },
        {
            "marketplaceId": CA,
            "offerType": "B2C",
            "price": {"amount": "12.99", "currencyCode": "CAD"},
        },
    ],
    "fulfillmentAvailability": [{"fulfillmentChannelCode": "AMAZON_NA", "quantity": 4}],
    "issues": [{"code": "1", "severity": "WARNING", "marketplaceIds": [CA]}],
    "attributes": {"brand": [{"value": "Acme"}]},
}


def test_a_listing_row_holds_one_marketplaces_summary_price_and_issues() -> None:
    row = snapshot_row(ITEM, CA)
    assert row["status"] == [] and row["price"] == {"amount": "12.99", "currencyCode": "CAD"}
    assert row["quantity"] == 4 and row["fulfillmentChannels"] == ["AMAZON_NA"]
    assert len(row["issues"]) == 1 and "marketplaceId" not in row
    us = snapshot_row(ITEM, US)
    assert us["price"]["amount"] == "9.99" and us["issues"] == []  # B2C, and CA's issue is not here
    assert json.loads(us["attributes"]) == ITEM["attributes"]


def test_a_version_changes_with_any_loaded_field_only() -> None:
    row = snapshot_row(ITEM, US)
    same = version("A1", US, snapshot_row(json.loads(json.dumps(ITEM)), US))
    assert version("A1", US, row) == same
    cheaper = json.loads(json.dumps(ITEM))
    cheaper["offers"][1]["price"]["amount"] = "8.99"
    assert version("A1", US, snapshot_row(cheaper, US)) != same
    assert version("A2", US, row) != same


def test_a_catalog_row_keeps_the_marketplaces_entry_of_each_section() -> None:
    item = {
        "asin": "B01",
        "summaries": [
            {"marketplaceId": CA, "itemName": "Tasse"},
            {"marketplaceId": US, "itemName": "Mug"},
        ],
        "salesRanks": [{"marketplaceId": US, "classificationRanks": [{"rank": 5}]}],
        "attributes": {"item_name": [{"value": "Mug", "marketplace_id": US}]},
    }
    row = catalog_row(item, US)
    assert row["summaries"] == {"itemName": "Mug"}
    assert row["salesRanks"] == {"classificationRanks": [{"rank": 5}]}
    assert json.loads(row["attributes"]) == item["attributes"]
    assert "salesRanks" not in catalog_row(item, CA)
