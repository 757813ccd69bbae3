"""Money derived from the order books: fees on shipment, refunds, customer returns, settlements.

Every amount a seller is paid or charged is one ledger line (an order item, a component such as
Principal or Commission, an amount in minor units, a posting time), so settlement reports,
financial events and transactions all tell the same story.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.orders import MAX_UPDATE_DELAY, SHIPPED, OrderBook

DAY = 86400.0
# (amount-type, amount-description) as settlement V2 files condense them
COMPONENTS = (
    ("ItemPrice", "Principal"),
    ("ItemPrice", "Shipping"),
    ("ItemFees", "Commission"),
    ("ItemFees", "FBAPerUnitFulfillmentFee"),
    ("ItemFees", "RefundCommission"),
)
PRINCIPAL, SHIPPING, COMMISSION, FBA_FEE, REFUND_COMMISSION = range(len(COMPONENTS))
COMMISSION_RATE = 0.15
REFUND_COMMISSION_RATE = 0.20  # of the refunded commission, kept by Amazon
FBA_FEE_USD_CENTS = 322  # per unit
REFUND_RATE = 0.05  # of shipped orders
MAX_REFUND_DELAY = 30 * DAY
SETTLEMENT_ANCHOR = 1_704_067_200.0  # 2024-01-01T00:00:00Z; settlements close every 14 days
SETTLEMENT_PERIOD = 14 * DAY
SETTLEMENT_REPORT_DELAY = DAY  # the report appears a day after its period closes
DEPOSIT_DELAY = 3 * DAY


def uniform(book: OrderBook, indices: np.ndarray, salt: int) -> np.ndarray:
    """A fixed pseudo-random number in [0, 1) per order (splitmix64 of its global number)."""
    x = (np.asarray(indices, dtype=np.uint64) + np.uint64(book.number_base)) * np.uint64(
        0x9E3779B97F4A7C15
    ) + np.uint64(salt)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def refunded_at(book: OrderBook, indices: np.ndarray) -> np.ndarray:
    """When a shipped order is refunded in full (inf for the 95% that never are)."""
    t2 = book.t2[indices]
    shipped = (book.s2[indices] == SHIPPED) & np.isfinite(t2)
    chosen = shipped & (uniform(book, indices, 1) < REFUND_RATE)
    delay = (2 + 26 * uniform(book, indices, 2)) * DAY
    return np.where(chosen, t2 + delay, np.inf)


def shipped_at(book: OrderBook, indices: np.ndarray) -> np.ndarray:
    """When an order shipped (inf unless it ships)."""
    t2 = book.t2[indices]
    return np.where(book.s2[indices] == SHIPPED, t2, np.inf)


@dataclass(frozen=True)
class Ledger:
    """Ledger lines sorted by (posted, order, refund, item, component)."""

    posted: np.ndarray  # float64 virtual epoch seconds
    order: np.ndarray  # int64 order index
    item: np.ndarray  # int64 item index
    refund: np.ndarray  # bool: a refund line, else a shipment line
    component: np.ndarray  # int8 index into COMPONENTS
    amount: np.ndarray  # int64 minor units, signed as the seller sees it

    def __len__(self) -> int:
        return int(self.posted.shape[0])

    def take(self, mask: np.ndarray) -> Ledger:
        return Ledger(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def _lines(book: OrderBook, orders: np.ndarray, posted: np.ndarray, refund: bool) -> Ledger:
    """Shipment (or refund) lines of `orders`, each posted at `posted`."""
    owners, items = book.expand_items(orders)
    order_of_item = orders[owners]
    markets = book.marketplace[order_of_item]
    quantity = book.item_quantity[items].astype(np.int64)
    principal = book.listing_prices[book.item_listing[items], markets] * quantity
    commission = np.round(principal * COMMISSION_RATE).astype(np.int64)
    first = np.r_[True, owners[1:] != owners[:-1]] if len(owners) else owners.astype(bool)
    shipping = np.where(first, book.shipping_minor(order_of_item), 0)
    fba = np.where(book.amazon_fulfilled[order_of_item], _fba_fee(book, markets) * quantity, 0)
    sign = -1 if refund else 1
    blocks = [
        (PRINCIPAL, sign * principal, np.ones(len(items), bool)),
        (SHIPPING, sign * shipping, shipping > 0),
        (COMMISSION, -sign * commission, np.ones(len(items), bool)),
    ]
    if refund:
        kept = np.round(commission * REFUND_COMMISSION_RATE).astype(np.int64)
        blocks.append((REFUND_COMMISSION, -kept, np.ones(len(items), bool)))
    else:
        blocks.append((FBA_FEE, -fba, fba > 0))
    parts = []
    for component, amount, keep in blocks:
        parts.append(
            (
                posted[owners][keep],
                order_of_item[keep],
                items[keep],
                np.full(int(keep.sum()), component, np.int8),
                amount[keep],
            )
        )
    columns = [np.concatenate(column) for column in zip(*parts, strict=True)]
    return Ledger(
        columns[0], columns[1], columns[2], np.full(len(columns[0]), refund), columns[3], columns[4]
    )


def _fba_fee(book: OrderBook, markets: np.ndarray) -> np.ndarray:
    ids = book.seller.marketplace_ids
    per_market = np.array(
        [
            round(
                FBA_FEE_USD_CENTS
                / 100
                * MARKETPLACES[m].usd_rate
                * 10 ** MARKETPLACES[m].minor_digits
            )
            for m in ids
        ],
        dtype=np.int64,
    )
    return per_market[markets]


def ledger(
    book: OrderBook, after: float, before: float, as_of: float, marketplace: int | None = None
) -> Ledger:
    """Lines posted in [after, before) and no later than `as_of`, optionally of one marketplace."""
    limit = min(before, as_of + 1e-9)
    lo = int(np.searchsorted(book.created, after - MAX_UPDATE_DELAY - MAX_REFUND_DELAY, "left"))
    hi = int(np.searchsorted(book.created, limit, "right"))
    indices = np.arange(lo, hi, dtype=np.int64)
    if marketplace is not None:
        indices = indices[book.marketplace[indices] == marketplace]
    parts = []
    for refund, times in ((False, shipped_at(book, indices)), (True, refunded_at(book, indices))):
        chosen = (times >= after) & (times < limit)
        parts.append(_lines(book, indices[chosen], times[chosen], refund))
    merged = Ledger(
        *(np.concatenate([getattr(part, f) for part in parts]) for f in Ledger.__dataclass_fields__)
    )
    order = np.lexsort((merged.component, merged.item, merged.refund, merged.order, merged.posted))
    return merged.take(order)


def period_of(moment: float) -> int:
    """The settlement period a moment falls in."""
    return int((moment - SETTLEMENT_ANCHOR) // SETTLEMENT_PERIOD)


def period_bounds(period: int) -> tuple[float, float]:
    start = SETTLEMENT_ANCHOR + period * SETTLEMENT_PERIOD
    return start, start + SETTLEMENT_PERIOD


def settlement_id(seller_id: str, marketplace_id: str, period: int) -> str:
    """An 11-digit settlement id, fixed for (seller, marketplace, period)."""
    digest = hashlib.blake2b(f"{seller_id}:{marketplace_id}:{period}".encode(), digest_size=8)
    return str(10_000_000_000 + int.from_bytes(digest.digest(), "big") % 89_999_999_999)
