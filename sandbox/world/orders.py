"""Orders as more than one service shows them: searches over the order books, and the v0
shape that SP-API's Orders v0 inherited from MWS (AIM's order report reads it too)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from sandbox.seed.marketplaces import MARKETPLACES, Marketplace
from sandbox.seed.orders import CANCELLED, PENDING, SHIPPED, UNSHIPPED, OrderBook

V0_STATUS_NAMES = ("Pending", "Unshipped", "Shipped", "Canceled")
V0_SERVICE_CATEGORIES = ("Standard", "Expedited", "NextDay")

NAMES = {
    "en": ("Jane Doe", "John Smith", "Maria Garcia", "Wei Chen", "Aisha Khan", "Tom O'Brien"),
    "de": ("Jürgen Müller", "Sophie Weiß", "Lukas Schäfer", "Anna Groß", "Mehmet Öztürk"),
    "ja": ("山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美咲"),
}
PLACES = {
    "US": (("Seattle", "WA", "98101"), ("Austin", "TX", "78701"), ("Brooklyn", "NY", "11201")),
    "CA": (("Toronto", "ON", "M5V 2T6"), ("Montréal", "QC", "H2X 1Y4")),
    "GB": (("London", "England", "SW1A 1AA"), ("Manchester", "England", "M1 1AE")),
    "DE": (("München", "Bayern", "80331"), ("Köln", "Nordrhein-Westfalen", "50667")),
    "JP": (("渋谷区", "東京都", "150-0002"), ("大阪市", "大阪府", "530-0001")),
}


def iso(ts: float) -> str:
    """Order times: `2017-01-20T19:49:35Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def amount(minor: int, market: Marketplace) -> str:
    if market.minor_digits == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{sign}{whole}.{cents:02d}"


@dataclass(frozen=True)
class OrderQuery:
    mode: str  # "created" or "updated"
    after: float
    before: float
    marketplaces: tuple[int, ...] | None
    statuses: tuple[int, ...] | None
    amazon_fulfilled: bool | None


def run_query(book: OrderBook, query: OrderQuery, at: float) -> np.ndarray:
    """Indices of matching orders, sorted by the time they are selected on, then by index."""
    if query.mode == "created":
        lo = int(np.searchsorted(book.created, query.after, side="left"))
        hi = int(np.searchsorted(book.created, min(query.before, at), side="right"))
        keys = book.created[lo:hi]
    else:
        lo, hi = book.window(query.after, query.before, at)
        keys = book.last_updated(at, lo, hi)
    mask = (keys >= query.after) & (keys <= query.before)
    if query.marketplaces is not None:
        mask &= np.isin(book.marketplace[lo:hi], query.marketplaces)
    if query.statuses is not None:
        mask &= np.isin(book.status(at, lo, hi), query.statuses)
    if query.amazon_fulfilled is not None:
        mask &= book.amazon_fulfilled[lo:hi] == query.amazon_fulfilled
    selected = np.flatnonzero(mask)
    return selected[np.lexsort((selected, keys[selected]))] + lo


def status_at(book: OrderBook, indices: np.ndarray, at: float) -> tuple[np.ndarray, np.ndarray]:
    """(status, lastUpdatedTime) of orders `indices` at `at`."""
    t1, t2 = book.t1[indices], book.t2[indices]
    status = np.where(at >= t2, book.s2[indices], np.where(at >= t1, book.s1[indices], PENDING))
    updated = np.where(at >= t2, t2, np.where(at >= t1, t1, book.created[indices]))
    return status.astype(np.int8), book.with_touches(updated, at, indices)


class OrderRenderer:
    """Turns order-book rows into the v0 shape, as of one virtual moment."""

    def __init__(self, book: OrderBook, indices: np.ndarray, at: float, products: list) -> None:
        self.book, self.at, self.products = book, at, products
        self.indices = indices.tolist()
        status, updated = status_at(book, indices, at)
        self.status, self.updated = status.tolist(), updated.tolist()
        self.created = book.created[indices].tolist()
        self.shipping = dict(zip(self.indices, book.shipping_minor(indices).tolist(), strict=True))

    def market(self, index: int) -> Marketplace:
        seller = self.book.seller
        return MARKETPLACES[seller.marketplace_ids[int(self.book.marketplace[index])]]

    def lines(self, index: int, market: Marketplace) -> list[tuple[int, Any, Any, int, int]]:
        book = self.book
        found = []
        for item in book.items(index):
            listing = book.listings[int(book.item_listing[item])]
            found.append(
                (
                    item,
                    listing,
                    self.products[listing.product_index],
                    int(book.item_quantity[item]),
                    listing.prices_minor[market.marketplace_id],
                )
            )
        return found

    def person(self, index: int, market: Marketplace) -> tuple[str, tuple[str, str, str], str]:
        """The buyer's name, (city, state, postal code) and email: fixed for an order."""
        digest = hashlib.blake2b(f"{self.book.seller.seller_id}:{index}".encode(), digest_size=8)
        number = int.from_bytes(digest.digest(), "big")
        names = NAMES.get(market.language[:2], NAMES["en"])
        places = PLACES[market.country_code]
        email = f"{number:016x}@marketplace.{market.domain.removeprefix('www.')}"
        return names[number % len(names)], places[number % len(places)], email

    def orders_v0(self, data_elements: set[str]) -> list[dict[str, Any]]:
        return [self._order_v0(k, data_elements) for k in range(len(self.indices))]

    def _order_v0(self, k: int, data_elements: set[str]) -> dict[str, Any]:
        index, status = self.indices[k], self.status[k]
        book = self.book
        market = self.market(index)
        lines = self.lines(index, market)
        units = sum(line[3] for line in lines)
        total = sum(line[3] * line[4] for line in lines) + self.shipping[index]
        level = int(book.service_level[index])
        order: dict[str, Any] = {
            "AmazonOrderId": book.order_id(index),
            "PurchaseDate": iso(self.created[k]),
            "LastUpdateDate": iso(self.updated[k]),
            "OrderStatus": V0_STATUS_NAMES[status],
            "FulfillmentChannel": "AFN" if book.amazon_fulfilled[index] else "MFN",
            "SalesChannel": market.name,
            "ShipServiceLevel": f"{V0_SERVICE_CATEGORIES[level]} {market.country_code}",
            "NumberOfItemsShipped": units if status == SHIPPED else 0,
            "NumberOfItemsUnshipped": 0 if status in (SHIPPED, CANCELLED) else units,
            "PaymentMethod": "Other",
            "PaymentMethodDetails": ["Standard"],
            "MarketplaceId": market.marketplace_id,
            "ShipmentServiceLevelCategory": V0_SERVICE_CATEGORIES[level],
            "OrderType": "StandardOrder",
            "EarliestShipDate": iso(self.created[k]),
            "LatestShipDate": iso(self.created[k] + 2 * 86400),
            "IsBusinessOrder": False,
            "IsPrime": bool(book.prime[index]),
            "IsPremiumOrder": False,
            "IsGlobalExpressEnabled": False,
            "IsReplacementOrder": False,
            "IsSoldByAB": False,
            "IsISPU": False,
            "IsAccessPointOrder": False,
            "HasRegulatedItems": False,
        }
        if status != PENDING:  # while Pending, amounts are omitted
            order["OrderTotal"] = {"CurrencyCode": market.currency, "Amount": amount(total, market)}
        if data_elements:
            name, (city, state, postal), email = self.person(index, market)
            if "buyerInfo" in data_elements:
                order["BuyerInfo"] = {"BuyerEmail": email, "BuyerName": name}
            if "shippingAddress" in data_elements and status in (UNSHIPPED, SHIPPED):
                order["ShippingAddress"] = {
                    "Name": name,
                    "AddressLine1": f"{100 + index % 900} Sandbox Street",
                    "City": city,
                    "StateOrRegion": state,
                    "PostalCode": postal,
                    "CountryCode": market.country_code,
                    "AddressType": "Residential",
                }
        return order

    def items_v0(self, k: int) -> list[dict[str, Any]]:
        index, status = self.indices[k], self.status[k]
        market = self.market(index)
        shipping = self.shipping[index]
        result = []
        for position, (item, listing, product, quantity, unit) in enumerate(
            self.lines(index, market)
        ):
            entry: dict[str, Any] = {
                "ASIN": product.asin,
                "OrderItemId": self.book.item_id(item),
                "SellerSKU": listing.sku,
                "Title": product.title(market.marketplace_id),
                "QuantityOrdered": quantity,
                "QuantityShipped": quantity if status == SHIPPED else 0,
                "ProductInfo": {"NumberOfItems": "1"},
                "IsGift": "false",
                "ConditionId": "New",
                "ConditionSubtypeId": "New",
                "IsTransparency": False,
                "SerialNumberRequired": False,
            }
            if status != PENDING:
                money = {"CurrencyCode": market.currency}
                entry["ItemPrice"] = {**money, "Amount": amount(unit * quantity, market)}
                entry["ItemTax"] = {**money, "Amount": amount(0, market)}
                entry["PromotionDiscount"] = {**money, "Amount": amount(0, market)}
                if position == 0 and shipping:
                    entry["ShippingPrice"] = {**money, "Amount": amount(shipping, market)}
            result.append(entry)
        return result
