"""Report documents more than one service serves, rendered from the seeded world: the
all-orders flat files, the listings reports, FBA inventory and V2 settlements, and which
settlement reports Amazon has made by a given moment.

Documents come in chunks of UTF-8 text, so that a million-row document never sits in memory;
each service encodes them in its own charset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pendulum
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.seed import ledger as money
from sandbox.seed.marketplaces import MARKETPLACES, Marketplace
from sandbox.seed.orders import PENDING, OrderBook
from sandbox.seed.sellers import Seller
from sandbox.seed.world import World
from sandbox.world.flat_files import (
    amounts,
    blank,
    code,
    header,
    iso_dates,
    iso_times,
    pick,
    rows_tsv,
    tsv,
    unit,
)
from sandbox.world.orders import PLACES, V0_SERVICE_CATEGORIES, amount, status_at

ORDERS_PER_CHUNK = 20_000

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
# the active listings report: the same columns but status (Airbyte's schema for it) [obs]
ACTIVE_LISTING_COLUMNS = LISTING_COLUMNS[:-1]
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
    """How a report type is answered: rows to count and a document to render."""

    count: Callable[[Scope], int]
    render: Callable[[Scope], Iterator[bytes]]  # UTF-8 text in chunks
    media: str  # "flat", "json" or "xml"
    requestable: bool = True
    needs_window: bool = True


@dataclass(frozen=True)
class SettlementReport:
    """A settlement report Amazon makes on its own: one marketplace's closed period."""

    report_id: str
    settlement_id: str
    marketplace_id: str
    start: float
    end: float
    created: float


def settlement_reports(seller: Seller, now: float, retention: float) -> list[SettlementReport]:
    """The seller's settlement reports made in the `retention` seconds up to `now`: one per
    marketplace every 14 days, a day after the period closes."""
    found = []
    first = money.period_of(now - retention - money.SETTLEMENT_REPORT_DELAY)
    for period in range(first, money.period_of(now) + 1):
        start, end = money.period_bounds(period)
        created = end + money.SETTLEMENT_REPORT_DELAY
        if not now - retention <= created <= now:
            continue
        for marketplace_id in seller.marketplace_ids:
            settlement = money.settlement_id(seller.seller_id, marketplace_id, period)
            report_id = str(40_000_000_000 + int(settlement) % 9_999_999_999)
            found.append(
                SettlementReport(report_id, settlement, marketplace_id, start, end, created)
            )
    return found


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
        keys = status_at(book, idx, scope.as_of)[1]
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


def order_columns(scope: Scope, idx: np.ndarray, skus: SellerListings) -> dict[str, pa.Array]:
    """The orders flat file's columns, one row per item of the orders `idx`."""
    book = scope.book
    status, updated = status_at(book, idx, scope.as_of)
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
        "order-status": pick(FLAT_STATUS, status[owners]),
        "fulfillment-channel": pick(("Merchant", "Amazon"), book.amazon_fulfilled[idx][owners]),
        "sales-channel": pick([m.name for m in markets], item_market),
        "order-channel": blank(rows),
        "ship-service-level": pick(V0_SERVICE_CATEGORIES, book.service_level[idx][owners]),
        "product-name": skus.title(listing, item_market),
        "sku": skus.sku.take(pa.array(listing)),
        "asin": skus.asin.take(pa.array(listing)),
        "item-status": pick(ITEM_STATUS, status[owners]),
        "quantity": pa.array(quantity).cast(pa.string()),
        "currency": pc.if_else(priced, pick([m.currency for m in markets], item_market), None),
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
        "is-business-order": pick(("false",), np.zeros(rows, np.int64)),
        "purchase-order-number": blank(rows),
        "price-designation": blank(rows),
        "signature-confirmation-recommended": pick(("false",), np.zeros(rows, np.int64)),
    }


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
        pick([p[0] for p in flat], choice),
        pick([p[1] for p in flat], choice),
        pick([p[2] for p in flat], choice),
        pick(countries, choice),
    )


def active(seller_id: str, sku: str) -> bool:
    return unit(seller_id, sku, "status") >= 0.05  # one listing in twenty is inactive


def render_listings(
    columns: tuple[str, ...], active_only: bool = False
) -> Callable[[Scope], Iterator[bytes]]:
    """A listings report: every listing with its status, or the active ones only."""

    def render(scope: Scope) -> Iterator[bytes]:
        return rows_tsv(columns, _listing_rows(scope, active_only))

    return render


def _listing_rows(scope: Scope, active_only: bool) -> list[dict[str, str]]:
    market = scope.market(scope.markets[0])
    skus = SellerListings(scope.world, scope.seller)
    rows = []
    for listing, product in zip(skus.listings, skus.products, strict=True):
        seller_id, fba = scope.seller.seller_id, listing.fulfilled_by == "AMAZON"
        is_active = active(seller_id, listing.sku)
        if active_only and not is_active:
            continue
        opened = scope.world.origin - (30 + 600 * unit(seller_id, listing.sku, "opened")) * 86400
        rows.append(
            {
                "item-name": product.title(market.marketplace_id),
                "listing-id": code("", 10, seller_id, listing.sku, market.marketplace_id),
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
                "status": "Active" if is_active else "Inactive",
            }
        )
    return rows


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
                "fnsku": code("X00", 7, scope.seller.seller_id, listing.sku),
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
    return rows_tsv(INVENTORY_COLUMNS, rows)


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
            code("", 12, book.seller.seller_id, o, r)
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
            "transaction-type": pick(("Order", "Refund"), lines.refund),
            "order-id": book.order_ids(lines.order),
            "merchant-order-id": blank(rows),
            "adjustment-id": pc.if_else(refund, event_ids, None),
            "shipment-id": pc.if_else(refund, None, event_ids),
            "marketplace-name": pa.array(np.full(rows, market.name)),
            "amount-type": pick([c[0] for c in money.COMPONENTS], lines.component),
            "amount-description": pick([c[1] for c in money.COMPONENTS], lines.component),
            "amount": amounts(lines.amount, digits),
            "fulfillment-id": pick(("MFN", "AFN"), book.amazon_fulfilled[lines.order]),
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


def count_listings(fba_only: bool = False, active_only: bool = False) -> Callable[[Scope], int]:
    def count(scope: Scope) -> int:
        seller_id = scope.seller.seller_id
        return sum(
            1
            for item in scope.world.catalog.listings[seller_id]
            if (item.fulfilled_by == "AMAZON" or not fba_only)
            and (active(seller_id, item.sku) or not active_only)
        )

    return count


ALL_ORDERS_BY_UPDATE = DocumentType(count_order_items("updated"), render_orders("updated"), "flat")
ALL_ORDERS_BY_DATE = DocumentType(count_order_items("created"), render_orders("created"), "flat")
ALL_LISTINGS = DocumentType(
    count_listings(), render_listings(LISTING_COLUMNS), "flat", needs_window=False
)
ACTIVE_LISTINGS = DocumentType(
    count_listings(active_only=True),
    render_listings(ACTIVE_LISTING_COLUMNS, active_only=True),
    "flat",
    needs_window=False,
)
FBA_INVENTORY = DocumentType(
    count_listings(fba_only=True), render_inventory, "flat", needs_window=False
)
# "Settlement reports cannot be requested or scheduled. They are automatically scheduled"
V2_SETTLEMENT = DocumentType(lambda scope: 1, render_settlement, "flat", requestable=False)
