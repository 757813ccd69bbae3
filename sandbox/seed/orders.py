"""A seller's orders as numpy columns: generated in a second for 1M orders, read lazily.

An order's status is a function of virtual time: PENDING from its creation, then UNSHIPPED,
then SHIPPED (or CANCELLED from either), so `lastUpdatedTime` moves as the clock advances.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.seed.catalog import Listing
from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.sellers import Seller

PENDING, UNSHIPPED, SHIPPED, CANCELLED = 0, 1, 2, 3
STATUS_NAMES = ("PENDING", "UNSHIPPED", "SHIPPED", "CANCELLED")
HISTORY_DAYS = 729
FUTURE_DAYS = 90
MAX_PENDING = 2 * 86400.0
MAX_SHIPPING = 5 * 86400.0
MAX_UPDATE_DELAY = MAX_PENDING + MAX_SHIPPING  # lastUpdatedTime - createdTime never exceeds this
ITEM_COUNT_WEIGHTS = (0.55, 0.25, 0.10, 0.06, 0.04)
SERVICE_LEVELS = ("STANDARD", "EXPEDITED", "NEXT_DAY")
MFN_SHIPPING_USD_CENTS = 499  # charged once per merchant-fulfilled order without Prime

_ID_SPACE = 10**14
_ID_MULTIPLIER = 48_271_654_117  # coprime with 10: a bijection on 14-digit numbers
_ID_OFFSET = 31_415_926_535_897
_ID_INVERSE = pow(_ID_MULTIPLIER, -1, _ID_SPACE)


def scramble(number: int) -> int:
    return (number * _ID_MULTIPLIER + _ID_OFFSET) % _ID_SPACE


def unscramble(value: int) -> int:
    return ((value - _ID_OFFSET) * _ID_INVERSE) % _ID_SPACE


@dataclass
class OrderBook:
    """One seller's orders, sorted by creation time; index i is the i-th order created."""

    seller: Seller
    listings: list[Listing]
    number_base: int  # global order number of index 0 (ids are unique across sellers)
    item_base: int
    created: np.ndarray  # float64 virtual epoch seconds
    marketplace: np.ndarray  # int8 index into seller.marketplace_ids
    t1: np.ndarray  # leaves PENDING
    s1: np.ndarray  # status after t1: UNSHIPPED or CANCELLED
    t2: np.ndarray  # leaves UNSHIPPED (inf when cancelled at t1)
    s2: np.ndarray  # status after t2: SHIPPED or CANCELLED
    amazon_fulfilled: np.ndarray  # bool
    prime: np.ndarray  # bool
    service_level: np.ndarray  # int8 index into SERVICE_LEVELS
    item_start: np.ndarray  # int64, len n+1
    item_listing: np.ndarray  # int32 index into listings
    item_quantity: np.ndarray  # int16
    # late updates a test made (`touch`): the moment each order was last touched, -inf if never
    touched: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.created.shape[0])

    def touch(self, indices: np.ndarray, moments: np.ndarray) -> None:
        """Amazon updated these orders at `moments` (their `lastUpdatedTime` moves there),
        and a search shows it from now on, as when an update is indexed late."""
        if self.touched is None:
            self.touched = np.full(len(self), -np.inf)
        self.touched[indices] = moments

    def forget_touches(self) -> None:
        self.touched = None

    def with_touches(self, updated: np.ndarray, now: float, rows: slice | np.ndarray) -> np.ndarray:
        """`updated` (the last updates of orders `rows` at `now`) with their touches."""
        if self.touched is None:
            return updated
        touched = self.touched[rows]
        return np.where(now >= touched, np.maximum(updated, touched), updated)

    def visible_count(self, now: float) -> int:
        """Orders created at or before `now` (later ones do not exist yet)."""
        return int(np.searchsorted(self.created, now, side="right"))

    def last_updated(self, now: float, lo: int = 0, hi: int | None = None) -> np.ndarray:
        created, t1, t2 = self.created[lo:hi], self.t1[lo:hi], self.t2[lo:hi]
        updated = np.where(now >= t2, t2, np.where(now >= t1, t1, created))
        return self.with_touches(updated, now, slice(lo, hi))

    def status(self, now: float, lo: int = 0, hi: int | None = None) -> np.ndarray:
        t1, t2 = self.t1[lo:hi], self.t2[lo:hi]
        return np.where(
            now >= t2, self.s2[lo:hi], np.where(now >= t1, self.s1[lo:hi], PENDING)
        ).astype(np.int8)

    def window(self, after: float, before: float, now: float) -> tuple[int, int]:
        """Index range of orders whose lastUpdatedTime can fall in [after, before]."""
        lo = int(np.searchsorted(self.created, after - MAX_UPDATE_DELAY, side="left"))
        hi = int(np.searchsorted(self.created, min(before, now), side="right"))
        if self.touched is not None:  # a touch moves an old order's update past MAX_UPDATE_DELAY
            late = np.flatnonzero((self.touched >= after) & (self.touched <= min(before, now)))
            lo = min(lo, int(late[0])) if len(late) else lo
        return lo, hi

    def order_id(self, index: int) -> str:
        value = scramble(self.number_base + index)
        market = MARKETPLACES[self.seller.marketplace_ids[int(self.marketplace[index])]]
        prefix = market.order_prefixes[value % len(market.order_prefixes)]
        return f"{prefix}-{value // 10**7:07d}-{value % 10**7:07d}"

    def index_of(self, order_id: str) -> int | None:
        """Inverse of `order_id`, without a lookup table."""
        parts = order_id.split("-")
        if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[1]) != 7:
            return None
        index = unscramble(int(parts[1] + parts[2])) - self.number_base
        if not 0 <= index < len(self) or self.order_id(index) != order_id:
            return None
        return index

    def item_id(self, item_index: int) -> str:
        return f"{scramble(self.item_base + item_index + 7_777_777):014d}"

    def items(self, index: int) -> range:
        return range(int(self.item_start[index]), int(self.item_start[index + 1]))

    @cached_property
    def listing_prices(self) -> np.ndarray:
        """Unit price in minor units per (listing, marketplace position)."""
        ids = self.seller.marketplace_ids
        return np.array(
            [[listing.prices_minor[m] for m in ids] for listing in self.listings], dtype=np.int64
        ).reshape(len(self.listings), len(ids))

    def shipping_minor(self, indices: np.ndarray) -> np.ndarray:
        """The order's shipping charge: only merchant-fulfilled orders without Prime pay it."""
        rates = np.array([MARKETPLACES[m].usd_rate for m in self.seller.marketplace_ids])
        scales = np.array([10 ** MARKETPLACES[m].minor_digits for m in self.seller.marketplace_ids])
        markets = self.marketplace[indices]
        local = np.round(MFN_SHIPPING_USD_CENTS / 100 * rates[markets] * scales[markets])
        free = self.amazon_fulfilled[indices] | self.prime[indices]
        return np.where(free, 0, local).astype(np.int64)

    def order_ids(self, indices: np.ndarray) -> pa.Array:
        """`order_id` of many orders at once, for documents of a million rows."""
        value = (
            (self.number_base + indices.astype(np.int64)) * _ID_MULTIPLIER + _ID_OFFSET
        ) % _ID_SPACE
        prefixes = np.empty(len(indices), dtype=object)
        markets = self.marketplace[indices]
        for position, marketplace_id in enumerate(self.seller.marketplace_ids):
            choices = np.array(MARKETPLACES[marketplace_id].order_prefixes, dtype=object)
            mask = markets == position
            prefixes[mask] = choices[value[mask] % len(choices)]
        return pc.binary_join_element_wise(
            pa.array(prefixes, pa.string()),
            _digits(value // 10**7),
            _digits(value % 10**7),
            "-",
        )

    def item_ids(self, item_indices: np.ndarray) -> pa.Array:
        """`item_id` of many items at once."""
        value = (self.item_base + item_indices.astype(np.int64) + 7_777_777) * _ID_MULTIPLIER
        return _digits((value + _ID_OFFSET) % _ID_SPACE, 14)

    def expand_items(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(owner position in `indices`, item index) of every item of the given orders."""
        starts = self.item_start[indices]
        counts = self.item_start[indices + 1] - starts
        owners = np.repeat(np.arange(len(indices)), counts)
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        return owners, np.repeat(starts, counts) + offsets


def _digits(values: np.ndarray, width: int = 7) -> pa.Array:
    return pc.utf8_lpad(pa.array(values).cast(pa.string()), width, "0")


def seed_orders(
    seed: int,
    seller_index: int,
    seller: Seller,
    listings: list[Listing],
    count: int,
    origin: float,
    number_base: int,
    item_base: int,
    history_days: int = HISTORY_DAYS,
    future_days: int = FUTURE_DAYS,
    stream: int = 2,
) -> OrderBook:
    """`count` orders over the `history_days` before `origin`, plus `future_days`' worth."""
    rng = np.random.default_rng([seed, stream, seller_index])
    history = history_days * 86400.0
    # growth: density rises linearly from 0.6 to 1.4 over the history (inverse CDF), then the
    # future continues at the final density; exactly `count` orders fall before the origin
    a, b = 0.6, 0.8
    past = (
        origin - history + history * (-a + np.sqrt(a * a + 2 * b * np.sort(rng.random(count)))) / b
    )
    future = round(count * future_days / history_days * (a + b))
    ahead = origin + future_days * 86400.0 * np.sort(rng.random(future))
    created = np.concatenate([past, ahead])
    total = count + future
    marketplace = rng.choice(
        len(seller.marketplace_ids), size=total, p=np.array(seller.marketplace_weights)
    ).astype(np.int8)
    pending = np.clip(rng.lognormal(np.log(1800.0), 1.0, total), 60.0, MAX_PENDING)
    shipping = np.clip(rng.lognormal(np.log(8 * 3600.0), 0.8, total), 600.0, MAX_SHIPPING)
    fate = rng.random(total)
    t1 = created + pending
    s1 = np.where(fate < 0.02, CANCELLED, UNSHIPPED).astype(np.int8)
    t2 = np.where(s1 == CANCELLED, np.inf, t1 + shipping)
    s2 = np.where((fate >= 0.02) & (fate < 0.04), CANCELLED, SHIPPED).astype(np.int8)
    item_counts = rng.choice(5, size=total, p=np.array(ITEM_COUNT_WEIGHTS)) + 1
    item_start = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(item_counts, out=item_start[1:])
    n_items = int(item_start[-1])
    quantity = np.where(rng.random(n_items) < 0.85, 1, rng.integers(2, 4, n_items))
    # an order is fulfilled by Amazon or by the merchant; its items come from that channel's SKUs
    fba = np.array([listing.fulfilled_by == "AMAZON" for listing in listings])
    popularity = rng.pareto(1.2, len(listings)) + 0.05
    amazon_fulfilled = rng.random(total) < fba.mean()
    item_listing = np.empty(n_items, dtype=np.int32)
    item_fba = np.repeat(amazon_fulfilled, item_counts)
    draws = rng.random(n_items)
    for channel in (True, False):
        pool = np.flatnonzero(fba == channel)
        cumulative = np.cumsum(popularity[pool])
        mask = item_fba == channel
        if not mask.any():
            continue
        picks = np.searchsorted(cumulative, draws[mask] * cumulative[-1], side="right")
        item_listing[mask] = pool[np.minimum(picks, len(pool) - 1)]
    return OrderBook(
        seller=seller,
        listings=listings,
        number_base=number_base,
        item_base=item_base,
        created=created,
        marketplace=marketplace,
        t1=t1,
        s1=s1,
        t2=t2,
        s2=s2,
        amazon_fulfilled=amazon_fulfilled,
        prime=amazon_fulfilled | (rng.random(total) < 0.2),
        service_level=rng.choice(3, size=total, p=[0.8, 0.15, 0.05]).astype(np.int8),
        item_start=item_start,
        item_listing=item_listing,
        item_quantity=quantity.astype(np.int16),
    )
