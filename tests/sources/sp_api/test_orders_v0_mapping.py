"""v0 orders and items mapped to the 2026-01-01 shape (the migration guide's field map)."""

from __future__ import annotations

from sources.sp_api.orders_v0 import to_2026_order

V0_ORDER = {
    "AmazonOrderId": "902-1845936-5435065",
    "PurchaseDate": "2025-01-20T19:49:35Z",
    "LastUpdateDate": "2025-01-21T10:00:00Z",
    "OrderStatus": "Canceled",
    "FulfillmentChannel": "MFN",
    "SalesChannel": "Amazon.com",
    "MarketplaceId": "ATVPDKIKX0DER",
    "ShipmentServiceLevelCategory": "NextDay",
    "IsPrime": True,
    "SellerOrderId": "MY-1",
    "OrderTotal": {"CurrencyCode": "USD", "Amount": "25.98"},
}
V0_ITEM = {
    "ASIN": "B00551Q3CS",
    "OrderItemId": "05015851154158",
    "SellerSKU": "SKU-1",
    "Title": "Card Book",
    "QuantityOrdered": 3,
    "QuantityShipped": 1,
    "ItemPrice": {"CurrencyCode": "USD", "Amount": "10.00"},
    "ShippingPrice": {"CurrencyCode": "USD", "Amount": "4.99"},
    "ConditionId": "New",
}


def test_order_fields_map_to_the_2026_shape() -> None:
    order = to_2026_order(V0_ORDER, [V0_ITEM])
    assert order["orderId"] == "902-1845936-5435065"
    assert order["createdTime"] == "2025-01-20T19:49:35Z"
    assert order["lastUpdatedTime"] == "2025-01-21T10:00:00Z"
    assert order["salesChannel"] == {
        "channelName": "AMAZON",
        "marketplaceId": "ATVPDKIKX0DER",
        "marketplaceName": "Amazon.com",
    }
    assert order["fulfillment"]["fulfillmentStatus"] == "CANCELLED"
    assert order["fulfillment"]["fulfilledBy"] == "MERCHANT"
    assert order["fulfillment"]["fulfillmentServiceLevel"] == "NEXT_DAY"
    assert order["programs"] == ["PRIME"]
    assert order["orderAliases"] == [{"aliasId": "MY-1", "aliasType": "SELLER_ORDER_ID"}]
    assert order["proceeds"]["grandTotal"] == {"amount": "25.98", "currencyCode": "USD"}


def test_item_price_becomes_a_unit_price_and_proceeds_keep_the_total() -> None:
    item = to_2026_order(V0_ORDER, [V0_ITEM])["orderItems"][0]
    assert item["product"]["price"]["unitPrice"] == {"amount": "3.33", "currencyCode": "USD"}
    assert item["proceeds"]["breakdowns"][0]["subtotal"]["amount"] == "10.00"
    assert item["proceeds"]["proceedsTotal"]["amount"] == "14.99"
    assert item["fulfillment"] == {"quantityFulfilled": 1, "quantityUnfulfilled": 2}


def test_pending_orders_without_prices_map_without_inventing_any() -> None:
    pending = {**V0_ORDER, "OrderStatus": "Pending"}
    del pending["OrderTotal"]
    item = {k: v for k, v in V0_ITEM.items() if k not in ("ItemPrice", "ShippingPrice")}
    order = to_2026_order(pending, [item])
    assert "proceeds" not in order
    assert "price" not in order["orderItems"][0]["product"]
    assert "proceeds" not in order["orderItems"][0]
