"""Report documents only SP-API serves, rendered from the seeded world: returns (a flat
file), Sales and Traffic (JSON) and XML orders; the flat files it shares with MWS are
`sandbox/world/reports.py`. `DOCUMENT_TYPES` maps every report type SP-API answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
import pendulum
import pyarrow as pa
from lxml import etree

from sandbox.seed import ledger as money
from sandbox.seed.marketplaces import Marketplace
from sandbox.seed.orders import CANCELLED, OrderBook
from sandbox.world.flat_files import code, iso_times, rows_tsv, unit
from sandbox.world.orders import status_at
from sandbox.world.reports import (
    ALL_LISTINGS,
    ALL_ORDERS_BY_DATE,
    ALL_ORDERS_BY_UPDATE,
    FBA_INVENTORY,
    ORDERS_PER_CHUNK,
    V2_SETTLEMENT,
    DocumentType,
    Scope,
    SellerListings,
    count_order_items,
    order_columns,
    order_indices,
)

ORDERS_BY_UPDATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
ORDERS_BY_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
XML_ORDERS = "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
INVENTORY = "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"
RETURNS = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
SALES_TRAFFIC = "GET_SALES_AND_TRAFFIC_REPORT"
SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
TWO_YEARS = 730 * money.DAY

RETURN_COLUMNS = (
    "return-date",
    "order-id",
    "sku",
    "asin",
    "fnsku",
    "product-name",
    "quantity",
    "fulfillment-center-id",
    "detailed-disposition",
    "reason",
    "status",
    "license-plate-number",
    "customer-comments",
)
RETURN_REASONS = ("UNWANTED_ITEM", "DEFECTIVE", "NOT_AS_DESCRIBED", "APPAREL_TOO_SMALL")
DISPOSITIONS = ("SELLABLE", "CUSTOMER_DAMAGED", "DEFECTIVE")
CENTERS = {"na": ("PHX7", "SDF8", "ONT8"), "eu": ("LTN4", "FRA3", "MUC3"), "fe": ("NRT1", "KIX2")}
COMMENTS = {
    "en": ("Did not fit", "Arrived damaged", ""),
    "de": ("Größe passt nicht", "Beschädigt angekommen – schade", ""),  # noqa: RUF001 - in cp1252, not Latin-1
    "ja": ("サイズが合わない", "破損して届いた", ""),
}


def _returned(scope: Scope) -> tuple[np.ndarray, np.ndarray]:
    """(order index, return time) of FBA orders returned in the window, by return time."""
    book = scope.book
    limit = min(scope.end, scope.as_of)
    lo = int(np.searchsorted(book.created, scope.start - money.MAX_REFUND_DELAY - 7 * 86400))
    hi = int(np.searchsorted(book.created, limit, "right"))
    idx = np.arange(lo, hi, dtype=np.int64)
    idx = idx[book.amazon_fulfilled[idx] & np.isin(book.marketplace[idx], scope.markets)]
    returned = money.refunded_at(book, idx) - 4 * 3600  # the refund follows the return
    chosen = (returned >= scope.start) & (returned < limit)
    order = np.argsort(returned[chosen], kind="stable")
    return idx[chosen][order], returned[chosen][order]


def count_returns(scope: Scope) -> int:
    idx, _ = _returned(scope)
    return int((scope.book.item_start[idx + 1] - scope.book.item_start[idx]).sum())


def render_returns(scope: Scope) -> Iterator[bytes]:
    book, seller = scope.book, scope.seller
    skus = SellerListings(scope.world, seller)
    idx, when = _returned(scope)
    ids = book.order_ids(idx).to_pylist()
    rows = []
    for order_id, index, moment in zip(ids, idx.tolist(), when.tolist(), strict=True):
        market = scope.market(int(book.marketplace[index]))
        comments = COMMENTS.get(market.language[:2], COMMENTS["en"])
        for item in book.items(index):
            listing = skus.listings[int(book.item_listing[item])]
            product = scope.world.catalog.products[listing.product_index]
            u = unit(seller.seller_id, item, "return")
            rows.append(
                {
                    "return-date": iso_times(np.array([moment]))[0].as_py(),
                    "order-id": order_id,
                    "sku": listing.sku,
                    "asin": product.asin,
                    "fnsku": code("X00", 7, seller.seller_id, listing.sku),
                    "product-name": product.title(market.marketplace_id),
                    "quantity": str(int(book.item_quantity[item])),
                    "fulfillment-center-id": CENTERS[seller.region][int(u * 10) % 2],
                    "detailed-disposition": DISPOSITIONS[int(u * 3)],
                    "reason": RETURN_REASONS[int(u * 4)],
                    "status": "Unit returned to inventory",
                    "license-plate-number": code("LPN", 9, seller.seller_id, item),
                    "customer-comments": comments[int(u * 7) % 3],
                }
            )
    return rows_tsv(RETURN_COLUMNS, rows)


def _days(scope: Scope) -> list[pendulum.DateTime]:
    """Sales and Traffic days: the dates of dataStartTime and dataEndTime, both included."""
    first = pendulum.from_timestamp(scope.start, tz="UTC").date()
    last = pendulum.from_timestamp(scope.end, tz="UTC").date()
    tz = scope.market(scope.markets[0]).timezone
    return [
        pendulum.datetime(d.year, d.month, d.day, tz=tz)
        for d in (first.add(days=n) for n in range((last - first).days + 1))
    ]


def _money(minor: int, market: Marketplace) -> dict[str, Any]:
    return {"amount": minor / 10**market.minor_digits, "currencyCode": market.currency}


def _sold(scope: Scope, start: float, end: float) -> dict[str, np.ndarray]:
    """Items ordered in [start, end) in the scope's marketplace, not cancelled."""
    book, position = scope.book, scope.markets[0]
    lo = int(np.searchsorted(book.created, start, "left"))
    hi = int(np.searchsorted(book.created, min(end, scope.as_of), "left"))
    idx = np.arange(lo, hi, dtype=np.int64)
    idx = idx[book.marketplace[idx] == position]
    idx = idx[status_at(book, idx, scope.as_of)[0] != CANCELLED]
    owners, items = book.expand_items(idx)
    listing = book.item_listing[items]
    quantity = book.item_quantity[items].astype(np.int64)
    return {
        "order": idx[owners],
        "listing": listing,
        "quantity": quantity,
        "sales": book.listing_prices[listing, position] * quantity,
    }


def _traffic(units: int, *key: object) -> dict[str, Any]:
    browser = units * 6 + int(30 * unit(*key, "browser"))
    mobile = units * 3 + int(20 * unit(*key, "mobile"))
    sessions = browser + mobile
    return {
        "browserSessions": browser,
        "mobileAppSessions": mobile,
        "sessions": sessions,
        "browserPageViews": int(browser * 1.6),
        "mobileAppPageViews": int(mobile * 1.4),
        "pageViews": int(browser * 1.6) + int(mobile * 1.4),
        "buyBoxPercentage": round(90 + 10 * unit(*key, "buybox"), 2),
        "unitSessionPercentage": round(100 * units / sessions, 2) if sessions else 0.0,
    }


def render_sales_traffic(scope: Scope) -> Iterator[bytes]:
    market = scope.market(scope.markets[0])
    book, seller = scope.book, scope.seller
    skus = SellerListings(scope.world, seller)
    granularity = scope.options.get("asinGranularity", "PARENT")
    days = _days(scope)
    by_date = []
    for day in days:
        start, end = day.timestamp(), day.add(days=1).timestamp()
        sold = _sold(scope, start, end)
        units, sales = int(sold["quantity"].sum()), int(sold["sales"].sum())
        items = len(sold["quantity"])
        lo = int(np.searchsorted(book.created, start - money.MAX_REFUND_DELAY - 8 * 86400))
        hi = int(np.searchsorted(book.created, min(end, scope.as_of), "left"))
        near = np.arange(lo, hi, dtype=np.int64)
        near = near[book.marketplace[near] == scope.markets[0]]
        refunds = money.refunded_at(book, near)
        shipped = money.shipped_at(book, near)
        refunded = near[(refunds >= start) & (refunds < min(end, scope.as_of))]
        shipped_orders = near[(shipped >= start) & (shipped < min(end, scope.as_of))]
        shipped_items = _sold_items(book, shipped_orders, scope.markets[0])
        refunded_units = int(_sold_items(book, refunded, scope.markets[0])[0].sum())
        traffic = _traffic(units, seller.seller_id, market.marketplace_id, day.date())
        by_date.append(
            {
                "date": day.to_date_string(),
                "salesByDate": {
                    "orderedProductSales": _money(sales, market),
                    "unitsOrdered": units,
                    "totalOrderItems": items,
                    "averageSalesPerOrderItem": _money(sales // items if items else 0, market),
                    "averageUnitsPerOrderItem": round(units / items, 2) if items else 0.0,
                    "averageSellingPrice": _money(sales // units if units else 0, market),
                    "unitsRefunded": refunded_units,
                    "refundRate": round(100 * refunded_units / units, 2) if units else 0.0,
                    "claimsGranted": 0,
                    "claimsAmount": _money(0, market),
                    "shippedProductSales": _money(int(shipped_items[1].sum()), market),
                    "unitsShipped": int(shipped_items[0].sum()),
                    "ordersShipped": len(shipped_orders),
                },
                "trafficByDate": {
                    **traffic,
                    "orderItemSessionPercentage": round(100 * items / traffic["sessions"], 2)
                    if traffic["sessions"]
                    else 0.0,
                    "averageOfferCount": 1 + int(5 * unit(seller.seller_id, day.date(), "offers")),
                    "averageParentItems": len(skus.listings),
                    "feedbackReceived": int(units * 0.1),
                    "negativeFeedbackReceived": 0,
                    "receivedNegativeFeedbackRate": 0.0,
                },
            }
        )
    sold = _sold(scope, days[0].timestamp(), days[-1].add(days=1).timestamp())
    groups: dict[tuple[str, str, str | None], list[int]] = {}
    for listing, quantity, sales in zip(
        sold["listing"].tolist(), sold["quantity"].tolist(), sold["sales"].tolist(), strict=True
    ):
        product = skus.products[listing]
        child = product.asin
        key = {
            "PARENT": (skus.parent[listing], None, None),
            "CHILD": (skus.parent[listing], child, None),
            "SKU": (skus.parent[listing], child, skus.listings[listing].sku),
        }[granularity]
        entry = groups.setdefault(key, [0, 0, 0])  # type: ignore[arg-type]
        entry[0] += quantity
        entry[1] += sales
        entry[2] += 1
    by_asin = []
    for (parent, child, sku), (units, sales, items) in sorted(groups.items(), key=str):
        row: dict[str, Any] = {"parentAsin": parent}
        if child is not None:
            row["childAsin"] = child
        if sku is not None:
            row["sku"] = sku
        traffic = _traffic(units, seller.seller_id, parent, child, sku)
        row["salesByAsin"] = {
            "unitsOrdered": units,
            "orderedProductSales": _money(sales, market),
            "totalOrderItems": items,
        }
        row["trafficByAsin"] = {
            **traffic,
            "browserSessionPercentage": round(unit(parent, "bsp"), 2),
            "mobileAppSessionPercentage": round(unit(parent, "msp"), 2),
            "sessionPercentage": round(unit(parent, "sp"), 2),
            "browserPageViewsPercentage": round(unit(parent, "bpp"), 2),
            "mobileAppPageViewsPercentage": round(unit(parent, "mpp"), 2),
            "pageViewsPercentage": round(unit(parent, "pp"), 2),
        }
        by_asin.append(row)
    yield orjson.dumps(
        {
            "reportSpecification": {
                "reportType": SALES_TRAFFIC,
                "reportOptions": {
                    "dateGranularity": scope.options.get("dateGranularity", "DAY"),
                    "asinGranularity": granularity,
                },
                "dataStartTime": days[0].to_date_string(),
                "dataEndTime": days[-1].to_date_string(),
                "marketplaceIds": [market.marketplace_id],
            },
            "salesAndTrafficByDate": by_date,
            "salesAndTrafficByAsin": by_asin,
        }
    )


def _sold_items(
    book: OrderBook, orders: np.ndarray, position: int
) -> tuple[np.ndarray, np.ndarray]:
    """(units, sales in minor units) per item of `orders`."""
    _, items = book.expand_items(orders)
    quantity = book.item_quantity[items].astype(np.int64)
    return quantity, book.listing_prices[book.item_listing[items], position] * quantity


def count_days(scope: Scope) -> int:
    # Sales and Traffic starting more than two years back is cancelled, as the reference says
    return 0 if scope.start < scope.as_of - TWO_YEARS else len(_days(scope))


def render_xml_orders(scope: Scope) -> Iterator[bytes]:
    """AmazonEnvelope/Message/Order with its OrderItems, written incrementally by lxml."""
    indices = order_indices(scope, "updated")
    skus = SellerListings(scope.world, scope.seller)
    buffer = _Buffer()
    with etree.xmlfile(buffer, encoding="UTF-8") as document:
        document.write_declaration()
        with document.element("AmazonEnvelope"):
            header_element = etree.Element("Header")
            etree.SubElement(header_element, "DocumentVersion").text = "1.00"
            document.write(header_element)
            document.write(_text_element("MessageType", "AllOrdersReport"))
            for lo in range(0, len(indices), ORDERS_PER_CHUNK):
                columns = order_columns(scope, indices[lo : lo + ORDERS_PER_CHUNK], skus)
                rows = pa.table(columns).to_pylist()
                for message, order_rows in enumerate(_group_rows(rows), start=lo + 1):
                    document.write(_xml_order(message, order_rows))
                    if buffer.size() > 1 << 20:
                        yield buffer.take()
    yield buffer.take()


class _Buffer:
    """A write-only file whose contents are handed out in chunks."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._parts.append(bytes(data))

    def size(self) -> int:
        return sum(len(part) for part in self._parts)

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def _group_rows(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    group: list[dict[str, Any]] = []
    for row in rows:
        if group and group[0]["amazon-order-id"] != row["amazon-order-id"]:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


def _text_element(tag: str, text: str | None, **attributes: str) -> etree._Element:
    element = etree.Element(tag, **attributes)
    element.text = text
    return element


def _xml_order(message: int, rows: list[dict[str, Any]]) -> etree._Element:
    first = rows[0]
    envelope = etree.Element("Message")
    envelope.append(_text_element("MessageID", str(message)))
    order = etree.SubElement(envelope, "Order")
    for tag, column in (
        ("AmazonOrderID", "amazon-order-id"),
        ("PurchaseDate", "purchase-date"),
        ("LastUpdatedDate", "last-updated-date"),
        ("OrderStatus", "order-status"),
        ("SalesChannel", "sales-channel"),
    ):
        order.append(_text_element(tag, first[column]))
    fulfillment = etree.SubElement(order, "FulfillmentData")
    fulfillment.append(_text_element("FulfillmentChannel", first["fulfillment-channel"]))
    fulfillment.append(_text_element("ShipServiceLevel", first["ship-service-level"]))
    address = etree.SubElement(fulfillment, "Address")
    for tag, column in (
        ("City", "ship-city"),
        ("State", "ship-state"),
        ("PostalCode", "ship-postal-code"),
        ("Country", "ship-country"),
    ):
        address.append(_text_element(tag, first[column]))
    for row in rows:
        item = etree.SubElement(order, "OrderItem")
        for tag, column in (
            ("ASIN", "asin"),
            ("SKU", "sku"),
            ("ItemStatus", "item-status"),
            ("ProductName", "product-name"),
            ("Quantity", "quantity"),
        ):
            item.append(_text_element(tag, row[column]))
        if row["item-price"] is not None:
            price = etree.SubElement(etree.SubElement(item, "ItemPrice"), "Component")
            price.append(_text_element("Type", "Principal"))
            price.append(_text_element("Amount", row["item-price"], currency=row["currency"]))
    return envelope


DOCUMENT_TYPES: dict[str, DocumentType] = {
    ORDERS_BY_UPDATE: ALL_ORDERS_BY_UPDATE,
    ORDERS_BY_DATE: ALL_ORDERS_BY_DATE,
    XML_ORDERS: DocumentType(count_order_items("updated"), render_xml_orders, "xml"),
    LISTINGS: ALL_LISTINGS,
    INVENTORY: FBA_INVENTORY,
    RETURNS: DocumentType(count_returns, render_returns, "flat"),
    SALES_TRAFFIC: DocumentType(count_days, render_sales_traffic, "json"),
    SETTLEMENT: V2_SETTLEMENT,
}
