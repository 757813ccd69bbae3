"""Report documents rendered from the seeded world: flat files (TSV), Sales and Traffic (JSON)
and XML orders, in chunks of UTF-8 text, so that a million-row document never sits in memory.

Flat files carry no quoting: Amazon's are tab-separated with one header row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pendulum
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from sandbox.seed import ledger as money
from sandbox.seed.marketplaces import MARKETPLACES, Marketplace
from sandbox.seed.orders import CANCELLED, PENDING, OrderBook
from sandbox.seed.sellers import Seller
from sandbox.seed.world import World
from sandbox.sp_api.orders import PLACES, V0_SERVICE_CATEGORIES, amount

ORDERS_BY_UPDATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
ORDERS_BY_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
XML_ORDERS = "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
INVENTORY = "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"
RETURNS = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
SALES_TRAFFIC = "GET_SALES_AND_TRAFFIC_REPORT"
SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"

ORDERS_PER_CHUNK = 20_000
TWO_YEARS = 730 * money.DAY

ORDER_COLUMNS = (
    "amazon-order-id",
    "merchant-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "order-channel",
    "ship-service-level",
    "product-name",
    "sku",
    "asin",
    "item-status",
    "quantity",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "promotion-ids",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
    "signature-confirmation-recommended",
)
LISTING_COLUMNS = (
    "item-name",
    "item-description",
    "listing-id",
    "seller-sku",
    "price",
    "quantity",
    "open-date",
    "image-url",
    "item-is-marketplace",
    "product-id-type",
    "zshop-shipping-fee",
    "item-note",
    "item-condition",
    "zshop-category1",
    "zshop-browse-path",
    "zshop-storefront-feature",
    "asin1",
    "asin2",
    "asin3",
    "will-ship-internationally",
    "expedited-shipping",
    "zshop-boldface",
    "product-id",
    "bid-for-featured-placement",
    "add-delete",
    "pending-quantity",
    "fulfillment-channel",
    "merchant-shipping-group",
    "status",
)
INVENTORY_COLUMNS = (
    "sku",
    "fnsku",
    "asin",
    "product-name",
    "condition",
    "your-price",
    "mfn-listing-exists",
    "mfn-fulfillable-quantity",
    "afn-listing-exists",
    "afn-warehouse-quantity",
    "afn-fulfillable-quantity",
    "afn-unsellable-quantity",
    "afn-reserved-quantity",
    "afn-total-quantity",
    "per-unit-volume",
    "afn-inbound-working-quantity",
    "afn-inbound-shipped-quantity",
    "afn-inbound-receiving-quantity",
    "afn-researching-quantity",
    "afn-reserved-future-supply",
    "afn-future-supply-buyable",
)
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
SETTLEMENT_COLUMNS = (
    "settlement-id",
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
    "transaction-type",
    "order-id",
    "merchant-order-id",
    "adjustment-id",
    "shipment-id",
    "marketplace-name",
    "amount-type",
    "amount-description",
    "amount",
    "fulfillment-id",
    "posted-date",
    "posted-date-time",
    "order-item-code",
    "merchant-order-item-id",
    "merchant-adjustment-item-id",
    "sku",
    "quantity-purchased",
    "promotion-id",
)
FLAT_STATUS = ("Pending", "Unshipped", "Shipped", "Cancelled")
ITEM_STATUS = ("Unshipped", "Unshipped", "Shipped", "Cancelled")
RETURN_REASONS = ("UNWANTED_ITEM", "DEFECTIVE", "NOT_AS_DESCRIBED", "APPAREL_TOO_SMALL")
DISPOSITIONS = ("SELLABLE", "CUSTOMER_DAMAGED", "DEFECTIVE")
CENTERS = {"na": ("PHX7", "SDF8", "ONT8"), "eu": ("LTN4", "FRA3", "MUC3"), "fe": ("NRT1", "KIX2")}
COMMENTS = {
    "en": ("Did not fit", "Arrived damaged", ""),
    "de": ("Größe passt nicht", "Beschädigt angekommen – schade", ""),  # noqa: RUF001 - in cp1252, not Latin-1
    "ja": ("サイズが合わない", "破損して届いた", ""),
}


@dataclass(frozen=True)
class Scope:
    """What one report covers: a seller's marketplaces, a data window, the moment it reads."""

    world: World
    seller: Seller
    markets: tuple[int, ...]  # positions in seller.marketplace_ids
    start: float
    end: float
    as_of: float
    options: dict[str, str] = field(default_factory=dict)

    @property
    def book(self) -> OrderBook:
        return self.world.order_books[self.seller.seller_id]

    def market(self, position: int) -> Marketplace:
        return MARKETPLACES[self.seller.marketplace_ids[position]]


@dataclass(frozen=True)
class DocumentType:
    """How the sandbox answers one report type: rows to count and a document to render."""

    report_type: str
    count: Callable[[Scope], int]
    render: Callable[[Scope], Iterator[bytes]]  # UTF-8 text in chunks
    media: str  # "flat", "json" or "xml"
    requestable: bool = True
    needs_window: bool = True


def tsv(columns: dict[str, Any]) -> bytes:
    """Rows of equal-length string columns as tab-separated lines (nulls are empty)."""
    arrays = [
        pc.fill_null(values if isinstance(values, pa.Array) else pa.array(values, pa.string()), "")
        for values in columns.values()
    ]
    if not len(arrays[0]):
        return b""
    rows = pc.binary_join_element_wise(*arrays, "\t")
    rows = pc.binary_join_element_wise(rows, pa.scalar(""), "\n")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset :]
    return rows.buffers()[2].to_pybytes()[offsets[0] : offsets[len(rows)]]


def header(names: tuple[str, ...]) -> bytes:
    return ("\t".join(names) + "\n").encode()


def amounts(minor: np.ndarray, digits: np.ndarray | int) -> pa.Array:
    """Minor units as decimal text ("12.34", "-0.50", "1234" for yen)."""
    minor = np.asarray(minor, dtype=np.int64)
    digits = np.broadcast_to(np.asarray(digits), minor.shape)
    whole = pa.array(np.abs(minor) // 100).cast(pa.string())
    cents = pc.utf8_lpad(pa.array(np.abs(minor) % 100).cast(pa.string()), 2, "0")
    decimal = pc.binary_join_element_wise(whole, cents, ".")
    sign = pa.array(np.where(minor < 0, "-", ""))
    text = pc.if_else(pa.array(digits == 0), pa.array(np.abs(minor)).cast(pa.string()), decimal)
    return pc.binary_join_element_wise(sign, text, "")


def iso_times(epochs: np.ndarray, separator: str = "T", suffix: str = "+00:00") -> pa.Array:
    """`2026-10-03T10:11:12+00:00` (or another separator and zone suffix), vectorized: Arrow's
    cast to text is 15x faster than strftime."""
    seconds = pa.array(np.floor(np.asarray(epochs)).astype(np.int64), pa.timestamp("s"))
    text = seconds.cast(pa.string())
    if separator != " ":
        text = pc.utf8_replace_slice(text, 10, 11, separator)
    return pc.binary_join_element_wise(text, suffix, "")


def iso_dates(epochs: np.ndarray) -> pa.Array:
    return pc.utf8_slice_codeunits(iso_times(epochs, " ", ""), 0, 10)


def _status_at(book: OrderBook, idx: np.ndarray, at: float) -> tuple[np.ndarray, np.ndarray]:
    """(status, lastUpdatedTime) of orders `idx` at `at`."""
    t1, t2 = book.t1[idx], book.t2[idx]
    status = np.where(at >= t2, book.s2[idx], np.where(at >= t1, book.s1[idx], PENDING))
    updated = np.where(at >= t2, t2, np.where(at >= t1, t1, book.created[idx]))
    return status.astype(np.int8), updated


def order_indices(scope: Scope, by: str) -> np.ndarray:
    """Orders of the scope's marketplaces created (or last updated) in [start, end)."""
    book, end = scope.book, min(scope.end, scope.as_of)
    if by == "created":
        lo = int(np.searchsorted(book.created, scope.start, "left"))
        hi = int(np.searchsorted(book.created, end, "left"))
        idx = np.arange(lo, hi, dtype=np.int64)
        keys = book.created[idx]
    else:
        lo, hi = book.window(scope.start, end, scope.as_of)
        idx = np.arange(lo, hi, dtype=np.int64)
        idx = idx[book.created[idx] <= scope.as_of]
        keys = _status_at(book, idx, scope.as_of)[1]
        chosen = (keys >= scope.start) & (keys < end)
        idx, keys = idx[chosen], keys[chosen]
    mine = np.isin(book.marketplace[idx], scope.markets)
    idx, keys = idx[mine], keys[mine]
    return idx[np.lexsort((idx, keys))]


def count_order_items(by: str) -> Callable[[Scope], int]:
    def count(scope: Scope) -> int:
        idx = order_indices(scope, by)
        return int((scope.book.item_start[idx + 1] - scope.book.item_start[idx]).sum())

    return count


class SellerListings:
    """A seller's listings as arrays: what every document about SKUs takes rows from."""

    def __init__(self, world: World, seller: Seller) -> None:
        listings = world.catalog.listings[seller.seller_id]
        products = [world.catalog.products[item.product_index] for item in listings]
        self.sku = pa.array([item.sku for item in listings])
        self.asin = pa.array([product.asin for product in products])
        self.parent = [product.parent_asin or product.asin for product in products]
        self.fba = np.array([item.fulfilled_by == "AMAZON" for item in listings])
        self.listings, self.products = listings, products
        self.titles = pa.array(
            [product.title(m) for product in products for m in seller.marketplace_ids]
        )
        self.width = len(seller.marketplace_ids)

    def title(self, listing: np.ndarray, market: np.ndarray) -> pa.Array:
        return self.titles.take(pa.array(listing.astype(np.int64) * self.width + market))


def render_orders(by: str) -> Callable[[Scope], Iterator[bytes]]:
    def render(scope: Scope) -> Iterator[bytes]:
        yield header(ORDER_COLUMNS)
        indices = order_indices(scope, by)
        skus = SellerListings(scope.world, scope.seller)
        for lo in range(0, len(indices), ORDERS_PER_CHUNK):
            yield tsv(order_columns(scope, indices[lo : lo + ORDERS_PER_CHUNK], skus))

    return render


def blank(length: int) -> pa.Array:
    return pa.nulls(length, pa.string())


def order_columns(scope: Scope, idx: np.ndarray, skus: SellerListings) -> dict[str, pa.Array]:
    """The orders flat file's columns, one row per item of the orders `idx`."""
    book = scope.book
    status, updated = _status_at(book, idx, scope.as_of)
    owners, items = book.expand_items(idx)
    rows = len(items)
    take = pa.array(owners)
    markets = [scope.market(m) for m in range(len(scope.seller.marketplace_ids))]
    item_market = book.marketplace[idx][owners]
    listing = book.item_listing[items]
    quantity = book.item_quantity[items].astype(np.int64)
    digits = np.array([market.minor_digits for market in markets])[item_market]
    priced = pa.array(status[owners] != PENDING)
    first = np.r_[True, owners[1:] != owners[:-1]] if rows else np.zeros(0, bool)
    shipping = np.where(first, book.shipping_minor(idx)[owners], 0)
    zero = pc.if_else(priced, amounts(np.zeros(rows, np.int64), digits), None)
    city, state, postal, country = _ship_to(scope, idx, markets)
    return {
        "amazon-order-id": book.order_ids(idx).take(take),
        "merchant-order-id": blank(rows),
        "purchase-date": iso_times(book.created[idx]).take(take),
        "last-updated-date": iso_times(updated).take(take),
        "order-status": _pick(FLAT_STATUS, status[owners]),
        "fulfillment-channel": _pick(("Merchant", "Amazon"), book.amazon_fulfilled[idx][owners]),
        "sales-channel": _pick([m.name for m in markets], item_market),
        "order-channel": blank(rows),
        "ship-service-level": _pick(V0_SERVICE_CATEGORIES, book.service_level[idx][owners]),
        "product-name": skus.title(listing, item_market),
        "sku": skus.sku.take(pa.array(listing)),
        "asin": skus.asin.take(pa.array(listing)),
        "item-status": _pick(ITEM_STATUS, status[owners]),
        "quantity": pa.array(quantity).cast(pa.string()),
        "currency": pc.if_else(priced, _pick([m.currency for m in markets], item_market), None),
        "item-price": pc.if_else(
            priced, amounts(book.listing_prices[listing, item_market] * quantity, digits), None
        ),
        "item-tax": zero,
        "shipping-price": pc.if_else(priced, amounts(shipping, digits), None),
        "shipping-tax": zero,
        "gift-wrap-price": zero,
        "gift-wrap-tax": zero,
        "item-promotion-discount": zero,
        "ship-promotion-discount": zero,
        "ship-city": city.take(take),
        "ship-state": state.take(take),
        "ship-postal-code": postal.take(take),
        "ship-country": country.take(take),
        "promotion-ids": blank(rows),
        "is-business-order": _pick(("false",), np.zeros(rows, np.int64)),
        "purchase-order-number": blank(rows),
        "price-designation": blank(rows),
        "signature-confirmation-recommended": _pick(("false",), np.zeros(rows, np.int64)),
    }


def _pick(options: tuple[str, ...] | list[str], codes: np.ndarray) -> pa.Array:
    """`options[code]` for every code."""
    return pa.array(list(options), pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))


def _ship_to(
    scope: Scope, idx: np.ndarray, markets: list[Marketplace]
) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """City, state, postal code and country per order, from its marketplace's places."""
    book = scope.book
    position = book.marketplace[idx]
    u = money.uniform(book, idx, 7)
    places = [PLACES[market.country_code] for market in markets]
    offsets = np.cumsum([0] + [len(p) for p in places])[:-1]
    counts = np.array([len(p) for p in places])
    choice = offsets[position] + (u * counts[position]).astype(np.int64)
    flat = [place for group in places for place in group]
    countries = [
        market.country_code for market, group in zip(markets, places, strict=True) for _ in group
    ]
    return (
        _pick([p[0] for p in flat], choice),
        _pick([p[1] for p in flat], choice),
        _pick([p[2] for p in flat], choice),
        _pick(countries, choice),
    )


def unit(*parts: object) -> float:
    """A fixed pseudo-random number in [0, 1) for anything nameable."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _code(prefix: str, length: int, *parts: object) -> str:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return prefix + digest[:length].upper()


def _rows_tsv(names: tuple[str, ...], rows: list[dict[str, str]]) -> Iterator[bytes]:
    yield header(names)
    if rows:
        yield tsv({name: [row.get(name) for row in rows] for name in names})


def render_listings(scope: Scope) -> Iterator[bytes]:
    market = scope.market(scope.markets[0])
    skus = SellerListings(scope.world, scope.seller)
    rows = []
    for listing, product in zip(skus.listings, skus.products, strict=True):
        seller_id, fba = scope.seller.seller_id, listing.fulfilled_by == "AMAZON"
        opened = scope.world.origin - (30 + 600 * unit(seller_id, listing.sku, "opened")) * 86400
        rows.append(
            {
                "item-name": product.title(market.marketplace_id),
                "listing-id": _code("", 10, seller_id, listing.sku, market.marketplace_id),
                "seller-sku": listing.sku,
                "price": amount(listing.prices_minor[market.marketplace_id], market),
                "quantity": "" if fba else str(int(50 * unit(seller_id, listing.sku, "stock"))),
                # local time with the zone's abbreviation, as Seller Central writes it
                "open-date": pendulum.from_timestamp(opened, tz=market.timezone).format(
                    "YYYY-MM-DD HH:mm:ss zz"
                ),
                "item-is-marketplace": "y",
                "product-id-type": "1",
                "item-condition": "11",
                "asin1": product.asin,
                "product-id": product.asin,
                "pending-quantity": "0",
                "fulfillment-channel": f"AMAZON_{scope.seller.region.upper()}"
                if fba
                else "DEFAULT",
                "merchant-shipping-group": "Migrated Template",
                "status": "Inactive" if unit(seller_id, listing.sku, "status") < 0.05 else "Active",
            }
        )
    return _rows_tsv(LISTING_COLUMNS, rows)


def render_inventory(scope: Scope) -> Iterator[bytes]:
    market = scope.market(scope.markets[0])
    skus = SellerListings(scope.world, scope.seller)
    day = int(scope.as_of // 86400)
    rows = []
    for listing, product in zip(skus.listings, skus.products, strict=True):
        if listing.fulfilled_by != "AMAZON":
            continue
        key = (scope.seller.seller_id, listing.sku, market.marketplace_id, day)
        fulfillable = int(200 * unit(*key, "fulfillable"))
        unsellable, reserved = int(5 * unit(*key, "unsellable")), int(12 * unit(*key, "reserved"))
        inbound = int(40 * unit(*key, "inbound"))
        warehouse = fulfillable + unsellable + reserved
        rows.append(
            {
                "sku": listing.sku,
                "fnsku": _code("X00", 7, scope.seller.seller_id, listing.sku),
                "asin": product.asin,
                "product-name": product.title(market.marketplace_id),
                "condition": "New",
                "your-price": amount(listing.prices_minor[market.marketplace_id], market),
                "mfn-listing-exists": "No",
                "afn-listing-exists": "Yes",
                "afn-warehouse-quantity": str(warehouse),
                "afn-fulfillable-quantity": str(fulfillable),
                "afn-unsellable-quantity": str(unsellable),
                "afn-reserved-quantity": str(reserved),
                "afn-total-quantity": str(warehouse + inbound),
                "per-unit-volume": f"{0.05 + unit(listing.sku, 'volume'):.2f}",
                "afn-inbound-working-quantity": "0",
                "afn-inbound-shipped-quantity": str(inbound),
                "afn-inbound-receiving-quantity": "0",
                "afn-researching-quantity": "0",
                "afn-reserved-future-supply": "0",
                "afn-future-supply-buyable": "0",
            }
        )
    return _rows_tsv(INVENTORY_COLUMNS, rows)


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
                    "fnsku": _code("X00", 7, seller.seller_id, listing.sku),
                    "product-name": product.title(market.marketplace_id),
                    "quantity": str(int(book.item_quantity[item])),
                    "fulfillment-center-id": CENTERS[seller.region][int(u * 10) % 2],
                    "detailed-disposition": DISPOSITIONS[int(u * 3)],
                    "reason": RETURN_REASONS[int(u * 4)],
                    "status": "Unit returned to inventory",
                    "license-plate-number": _code("LPN", 9, seller.seller_id, item),
                    "customer-comments": comments[int(u * 7) % 3],
                }
            )
    return _rows_tsv(RETURN_COLUMNS, rows)


def _utc(moment: float, pattern: str = "YYYY-MM-DD HH:mm:ss [UTC]") -> str:
    return pendulum.from_timestamp(moment, tz="UTC").format(pattern)


def render_settlement(scope: Scope) -> Iterator[bytes]:
    """Summary row (totals, dates), then one row per amount, as V2 settlement files are laid out."""
    book, position = scope.book, scope.markets[0]
    market = scope.market(position)
    lines = money.ledger(book, scope.start, scope.end, scope.as_of, position)
    settlement = scope.options["settlement_id"]
    digits = market.minor_digits
    yield header(SETTLEMENT_COLUMNS)
    yield tsv(
        {
            "settlement-id": [settlement],
            "settlement-start-date": [_utc(scope.start)],
            "settlement-end-date": [_utc(scope.end)],
            "deposit-date": [_utc(scope.end + money.DEPOSIT_DELAY)],
            "total-amount": [amount(int(lines.amount.sum()), market)],
            "currency": [market.currency],
            **{name: [None] for name in SETTLEMENT_COLUMNS[6:]},
        }
    )
    if not len(lines):
        return
    rows = len(lines)
    item_ids = book.item_ids(lines.item)
    principal = lines.component == money.PRINCIPAL
    refund = pa.array(lines.refund)
    event_ids = pa.array(
        [
            _code("", 12, book.seller.seller_id, o, r)
            for o, r in zip(lines.order, lines.refund, strict=True)
        ]
    )
    yield tsv(
        {
            "settlement-id": pa.array(np.full(rows, settlement)),
            "settlement-start-date": blank(rows),
            "settlement-end-date": blank(rows),
            "deposit-date": blank(rows),
            "total-amount": blank(rows),
            "currency": blank(rows),
            "transaction-type": _pick(("Order", "Refund"), lines.refund),
            "order-id": book.order_ids(lines.order),
            "merchant-order-id": blank(rows),
            "adjustment-id": pc.if_else(refund, event_ids, None),
            "shipment-id": pc.if_else(refund, None, event_ids),
            "marketplace-name": pa.array(np.full(rows, market.name)),
            "amount-type": _pick([c[0] for c in money.COMPONENTS], lines.component),
            "amount-description": _pick([c[1] for c in money.COMPONENTS], lines.component),
            "amount": amounts(lines.amount, digits),
            "fulfillment-id": _pick(("MFN", "AFN"), book.amazon_fulfilled[lines.order]),
            "posted-date": iso_dates(lines.posted),
            "posted-date-time": iso_times(lines.posted, " ", " UTC"),
            "order-item-code": item_ids,
            "merchant-order-item-id": blank(rows),
            "merchant-adjustment-item-id": blank(rows),
            "sku": SellerListings(scope.world, scope.seller).sku.take(
                pa.array(book.item_listing[lines.item].astype(np.int64))
            ),
            "quantity-purchased": pc.if_else(
                pa.array(principal),
                pa.array(book.item_quantity[lines.item].astype(np.int64)).cast(pa.string()),
                None,
            ),
            "promotion-id": blank(rows),
        }
    )


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
    idx = idx[_status_at(book, idx, scope.as_of)[0] != CANCELLED]
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


def count_listings(fba_only: bool) -> Callable[[Scope], int]:
    def count(scope: Scope) -> int:
        listings = scope.world.catalog.listings[scope.seller.seller_id]
        return sum(1 for item in listings if item.fulfilled_by == "AMAZON" or not fba_only)

    return count


DOCUMENT_TYPES: dict[str, DocumentType] = {
    kind.report_type: kind
    for kind in (
        DocumentType(
            ORDERS_BY_UPDATE, count_order_items("updated"), render_orders("updated"), "flat"
        ),
        DocumentType(
            ORDERS_BY_DATE, count_order_items("created"), render_orders("created"), "flat"
        ),
        DocumentType(XML_ORDERS, count_order_items("updated"), render_xml_orders, "xml"),
        DocumentType(LISTINGS, count_listings(False), render_listings, "flat", needs_window=False),
        DocumentType(INVENTORY, count_listings(True), render_inventory, "flat", needs_window=False),
        DocumentType(RETURNS, count_returns, render_returns, "flat"),
        DocumentType(SALES_TRAFFIC, count_days, render_sales_traffic, "json"),
        DocumentType(SETTLEMENT, lambda scope: 1, render_settlement, "flat", requestable=False),
    )
}
