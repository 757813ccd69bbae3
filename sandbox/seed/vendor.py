"""Retail purchase orders that Amazon sends a vendor, with states that move with virtual time.

The sandbox's documented choice: the North America account is also a vendor (one vendor
code), so vendor operations answer for its token; the other sellers are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.seed.catalog import Product

DAY = 86400.0
PER_DAY = 3.0
HISTORY_DAYS, FUTURE_DAYS = 729, 90
FULFILLMENT_CENTERS = ("PHX6", "ONT8", "BFI4", "MDW2", "EWR4")
NEW, ACKNOWLEDGED, CLOSED = "New", "Acknowledged", "Closed"
STATES = (NEW, ACKNOWLEDGED, CLOSED)
_PO_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass
class PurchaseOrders:
    """One vendor's purchase orders, sorted by creation; index i is the i-th created."""

    vendor_code: str
    numbers: list[str]
    created: np.ndarray  # virtual epoch seconds
    acknowledged: np.ndarray  # New -> Acknowledged
    closed: np.ndarray  # Acknowledged -> Closed
    changed: np.ndarray  # Amazon changed the order (quantities), or inf
    ship_to: np.ndarray  # index into FULFILLMENT_CENTERS
    item_start: np.ndarray  # len n+1
    item_product: np.ndarray  # index into catalog products
    item_quantity: np.ndarray
    item_cost_cents: np.ndarray  # USD

    def __len__(self) -> int:
        return len(self.numbers)

    def state(self, index: int, at: float) -> str:
        if at >= self.closed[index]:
            return CLOSED
        return ACKNOWLEDGED if at >= self.acknowledged[index] else NEW

    def state_changed(self, index: int, at: float) -> float:
        times = (self.created[index], self.acknowledged[index], self.closed[index])
        return float(max(t for t in times if t <= at))

    def index_of(self, number: str) -> int | None:
        try:
            return self.numbers.index(number)
        except ValueError:
            return None


def seed_purchase_orders(
    seed: int, vendor_code: str, products: list[Product], origin: float
) -> PurchaseOrders:
    rng = np.random.default_rng([seed, 4])
    count = round((HISTORY_DAYS + FUTURE_DAYS) * PER_DAY)
    created = np.sort(origin - HISTORY_DAYS * DAY + rng.random(count) * (count / PER_DAY) * DAY)
    created = np.floor(created)
    acknowledged = created + rng.uniform(0.2, 2.0, count) * DAY
    changed = np.where(
        rng.random(count) < 0.15, created + rng.uniform(0.1, 1.5, count) * DAY, np.inf
    )
    item_counts = rng.integers(1, 6, count)
    item_start = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(item_counts, out=item_start[1:])
    n_items = int(item_start[-1])
    item_product = rng.integers(0, len(products), n_items)
    costs = np.array([p.usd_price_cents for p in products]) * 0.55
    numbers, used = [], set()
    while len(numbers) < count:
        number = "".join(_PO_CHARS[i] for i in rng.integers(0, len(_PO_CHARS), 8))
        if number not in used:
            used.add(number)
            numbers.append(number)
    return PurchaseOrders(
        vendor_code=vendor_code,
        numbers=numbers,
        created=created,
        acknowledged=np.floor(acknowledged),
        closed=np.floor(acknowledged + rng.uniform(8, 20, count) * DAY),
        changed=np.floor(changed),
        ship_to=rng.integers(0, len(FULFILLMENT_CENTERS), count),
        item_start=item_start,
        item_product=item_product,
        item_quantity=rng.integers(1, 20, n_items) * 6,
        item_cost_cents=np.round(costs[item_product]).astype(np.int64),
    )
