"""Orders, items, units and sales per time bucket, from an order book at one moment: what
the Sales API's order metrics and Data Kiosk's sales and traffic both report.

Cancelled orders are left out of both (Amazon does not say; a guess that keeps them equal to
the `daily_sales` mart).
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from sandbox.seed.orders import CANCELLED, SHIPPED, OrderBook


@dataclass(frozen=True)
class Figures:
    """One value per bucket in each column."""

    orders: np.ndarray
    items: np.ndarray
    units: np.ndarray
    sales_minor: np.ndarray
    shipped_orders: np.ndarray
    shipped_units: np.ndarray


def unit_prices(book: OrderBook, marketplace_id: str) -> np.ndarray:
    """Each listing's unit price in a marketplace, in minor units (the price orders carry)."""
    return np.array([listing.prices_minor[marketplace_id] for listing in book.listings])


def figures(
    book: OrderBook,
    marketplace_id: str,
    boundaries: np.ndarray,
    at: float,
    amazon_fulfilled: bool | None = None,
    listings: np.ndarray | None = None,
) -> Figures:
    """Figures for buckets [boundaries[i], boundaries[i+1]) of purchase time, as of `at`.

    `listings` (a boolean mask over the book's listings) keeps only their items, and the
    orders that hold at least one of them.
    """
    buckets = len(boundaries) - 1
    m = book.seller.marketplace_ids.index(marketplace_id)
    lo = int(np.searchsorted(book.created, boundaries[0], side="left"))
    hi = int(np.searchsorted(book.created, min(boundaries[-1], np.nextafter(at, np.inf))))
    status = book.status(at, lo, hi)
    mask = (book.marketplace[lo:hi] == m) & (status != CANCELLED)
    if amazon_fulfilled is not None:
        mask &= book.amazon_fulfilled[lo:hi] == amazon_fulfilled
    selected = np.flatnonzero(mask) + lo
    order_bucket = np.searchsorted(boundaries, book.created[selected], side="right") - 1
    shipped = status[selected - lo] == SHIPPED
    counts = book.item_start[selected + 1] - book.item_start[selected]
    firsts = np.repeat(book.item_start[selected], counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    items = firsts + within
    item_listing = book.item_listing[items]
    quantity = book.item_quantity[items].astype(np.int64)
    item_bucket = np.repeat(order_bucket, counts)
    item_shipped = np.repeat(shipped, counts)
    keep = np.ones(len(items), dtype=bool) if listings is None else listings[item_listing]
    owner = np.repeat(np.arange(len(selected)), counts)
    holds = np.bincount(owner[keep], minlength=len(selected)) > 0
    prices = unit_prices(book, marketplace_id)[item_listing]

    def per_bucket(where: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(
            item_bucket[where],
            weights=None if weights is None else weights[where],
            minlength=buckets,
        )[:buckets]

    def orders_per_bucket(where: np.ndarray) -> np.ndarray:
        return np.bincount(order_bucket[where], minlength=buckets)[:buckets]

    return Figures(
        orders=orders_per_bucket(holds),
        items=per_bucket(keep),
        units=per_bucket(keep, quantity).astype(np.int64),
        sales_minor=per_bucket(keep, quantity * prices).astype(np.int64),
        shipped_orders=orders_per_bucket(holds & shipped),
        shipped_units=per_bucket(keep & item_shipped, quantity).astype(np.int64),
    )


def _shift(moment: datetime, unit: str, count: int) -> datetime:
    """`count` calendar units later, on the wall clock of the moment's zone (hours in UTC)."""
    if unit == "hours":
        return (moment.astimezone(UTC) + timedelta(hours=count)).astimezone(moment.tzinfo)
    if unit in ("days", "weeks"):
        return moment + timedelta(days=count * (7 if unit == "weeks" else 1))
    months = moment.month - 1 + count * (12 if unit == "years" else 1)
    year, month = moment.year + months // 12, months % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def edges(start: datetime, end: datetime, unit: str | None) -> list[datetime]:
    """Bucket edges from `start` to `end` every calendar `unit` (None: one bucket)."""
    found = [start]
    if unit is not None:
        count = 1
        while (moment := _shift(start, unit, count)) < end:
            found.append(moment)
            count += 1
    return [*found, end]
