"""Orders API v0 (deprecated, until Amazon removes it): getOrders plus getOrderItems per
order, mapped to the 2026-01-01 shape per Amazon's migration guide."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal, InvalidOperation
from typing import Any

from dlt.common import jsonpath
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from sources.sp_api.client import SpApiClient
from sources.sp_api.exceptions import ConfigurationError
from sources.sp_api.order_sync import (
    GET_ORDERS_V0,
    OrderBatch,
    OrdersSettings,
    advance,
    batched,
    iso,
    window_start,
)
from sources.sp_api.paginators import EchoCursorPaginator
from sources.sp_api.sellers import marketplace_ids
from sources.sp_api.settings import PAGE_SIZE

GET_ORDERS_PATH = "/orders/v0/orders"
ORDERS_SELECTOR = jsonpath.compile_path("payload.Orders")
ITEMS_SELECTOR = jsonpath.compile_path("payload.OrderItems")
ITEM_WORKERS = 8  # getOrderItems calls in flight per account; the bucket still paces them
STATUS = {
    "PendingAvailability": "PENDING_AVAILABILITY",
    "Pending": "PENDING",
    "Unshipped": "UNSHIPPED",
    "PartiallyShipped": "PARTIALLY_SHIPPED",
    "Shipped": "SHIPPED",
    "InvoiceUnconfirmed": "SHIPPED",
    "Canceled": "CANCELLED",
    "Unfulfillable": "UNFULFILLABLE",
}
FULFILLED_BY = {"AFN": "AMAZON", "MFN": "MERCHANT"}
SERVICE_LEVEL = {
    "NextDay": "NEXT_DAY",
    "SecondDay": "SECOND_DAY",
    "SameDay": "SAME_DAY",
    "FreeEconomy": "FREE_ECONOMY",
}


def _money(value: dict[str, Any] | None) -> dict[str, str] | None:
    if not value or value.get("Amount") is None:
        return None
    return {"amount": str(value["Amount"]), "currencyCode": value.get("CurrencyCode", "")}


def _unit_price(total: dict[str, Any] | None, quantity: int) -> dict[str, str] | None:
    """v0 ItemPrice is unit price x quantity; 2026-01-01 carries the unit price."""
    money = _money(total)
    if money is None or quantity <= 0:
        return money
    try:
        amount = Decimal(money["amount"])
    except InvalidOperation:
        return money
    unit = (amount / quantity).quantize(amount)
    return {"amount": str(unit), "currencyCode": money["currencyCode"]}


def to_2026_item(item: dict[str, Any]) -> dict[str, Any]:
    quantity = int(item.get("QuantityOrdered") or 0)
    shipped = int(item.get("QuantityShipped") or 0)
    product: dict[str, Any] = {
        "asin": item.get("ASIN"),
        "title": item.get("Title"),
        "sellerSku": item.get("SellerSKU"),
        "condition": {
            "conditionType": str(item.get("ConditionId") or "").upper() or None,
            "conditionSubtype": str(item.get("ConditionSubtypeId") or "").upper() or None,
        },
    }
    unit = _unit_price(item.get("ItemPrice"), quantity)
    if unit:
        product["price"] = {"unitPrice": unit}
    mapped: dict[str, Any] = {
        "orderItemId": item["OrderItemId"],
        "quantityOrdered": quantity,
        "product": product,
        "fulfillment": {"quantityFulfilled": shipped, "quantityUnfulfilled": quantity - shipped},
    }
    breakdowns = [
        {"type": kind, "subtotal": money}
        for kind, money in (
            ("ITEM", _money(item.get("ItemPrice"))),
            ("SHIPPING", _money(item.get("ShippingPrice"))),
        )
        if money
    ]
    if breakdowns:
        total = sum(Decimal(b["subtotal"]["amount"]) for b in breakdowns)
        mapped["proceeds"] = {
            "proceedsTotal": {
                "amount": str(total),
                "currencyCode": breakdowns[0]["subtotal"]["currencyCode"],
            },
            "breakdowns": breakdowns,
        }
    return mapped


def to_2026_order(order: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """A v0 Order and its OrderItems as a 2026-01-01 Order (GetOrderItems -> orderItems)."""
    channel = str(order.get("SalesChannel") or "")
    level = order.get("ShipmentServiceLevelCategory")
    mapped: dict[str, Any] = {
        "orderId": order["AmazonOrderId"],
        "createdTime": order.get("PurchaseDate"),
        "lastUpdatedTime": order.get("LastUpdateDate"),
        "salesChannel": {
            "channelName": "AMAZON" if channel.startswith("Amazon") else "NON_AMAZON",
            "marketplaceId": order.get("MarketplaceId"),
            "marketplaceName": channel or None,
        },
        "orderItems": [to_2026_item(item) for item in items],
        "fulfillment": {
            "fulfillmentStatus": STATUS.get(order.get("OrderStatus", ""), order.get("OrderStatus")),
            "fulfilledBy": FULFILLED_BY.get(order.get("FulfillmentChannel", "")),
            "fulfillmentServiceLevel": SERVICE_LEVEL.get(level, str(level or "").upper() or None),
            "shipByWindow": {
                "earliestDateTime": order.get("EarliestShipDate"),
                "latestDateTime": order.get("LatestShipDate"),
            },
        },
    }
    programs = [
        name
        for flag, name in (("IsPrime", "PRIME"), ("IsBusinessOrder", "BUSINESS"))
        if order.get(flag)
    ]
    if programs:
        mapped["programs"] = programs
    if order.get("SellerOrderId"):
        mapped["orderAliases"] = [
            {"aliasId": order["SellerOrderId"], "aliasType": "SELLER_ORDER_ID"}
        ]
    total = _money(order.get("OrderTotal"))
    if total:
        mapped["proceeds"] = {"grandTotal": total}
    return mapped


def _items(client: SpApiClient, order_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.paginate(
        f"{GET_ORDERS_PATH}/{order_id}/orderItems",
        ("OrderItemId",),
        paginator=JSONResponseCursorPaginator("payload.NextToken", "NextToken"),
        data_selector=ITEMS_SELECTOR,
    ):
        items.extend(page)
    return items


def get_orders_v0(
    client: SpApiClient, settings: OrdersSettings, state: dict[str, str], splits: dict[str, str]
) -> Iterator[OrderBatch]:
    """getOrders pages; each page's items are fetched concurrently within the burst."""
    account = client.account
    marketplaces = marketplace_ids(client)
    if not marketplaces:
        raise ConfigurationError(
            f"{account.config_key}.marketplace_ids is required with orders_api_version = 'v0' "
            "when the account takes part in no marketplace"
        )
    params = {
        "LastUpdatedAfter": iso(
            window_start(settings, state.get(account.seller_id), client, splits)
        ),
        "MarketplaceIds": ",".join(marketplaces),
        "MaxResultsPerPage": PAGE_SIZE,
    }
    paginator = EchoCursorPaginator("payload.NextToken", "NextToken", "payload.LastUpdatedBefore")
    with ThreadPoolExecutor(max_workers=ITEM_WORKERS, thread_name_prefix="v0-items") as pool:

        def pages() -> Iterator[list[dict[str, Any]]]:
            for page in client.paginate(
                GET_ORDERS_PATH,
                ("AmazonOrderId",),
                params=params,
                paginator=paginator,
                data_selector=ORDERS_SELECTOR,
            ):
                ids = [order["AmazonOrderId"] for order in page]
                items = pool.map(lambda order_id: _items(client, order_id), ids)
                yield [to_2026_order(order, its) for order, its in zip(page, items, strict=True)]

        yield from batched(account, GET_ORDERS_V0, pages())
    advance(state, account.seller_id, paginator.echo)
