"""How each listing's quantity, price and status move with virtual time.

Every value is piecewise constant and changes at listing-specific steps, so that a client
loading twice, days apart, sees new versions, and a frozen world never changes. A listing's
quantity drains by a fixed amount per step and is restocked every `cycle` steps; FBA listings
report it as FBA inventory too. Prices step through a cycle of factors around the listing's
base price (the one orders carry, which stays fixed: a sandbox simplification).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from sandbox.seed.catalog import Listing

DAY = 86400.0
PRICE_FACTORS = np.array([1.0, 0.95, 1.05, 0.9, 1.1, 0.98])  # neighbours always differ
_FNSKU_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class Stock:
    """One seller's listings over time, as numpy columns indexed like its listings."""

    created: np.ndarray  # listing creation, virtual epoch seconds
    phase: np.ndarray  # the moment quantity step 0 starts (before any order)
    step: np.ndarray  # seconds between quantity changes
    level: np.ndarray  # units after a restock
    drain: np.ndarray  # units sold per step (until none are left)
    cycle: np.ndarray  # steps between restocks
    price_phase: np.ndarray
    price_step: np.ndarray
    price_offset: np.ndarray  # where in PRICE_FACTORS each listing starts
    fnskus: list[str]

    def _steps(self, at: float) -> tuple[np.ndarray, np.ndarray]:
        n = np.floor((at - self.phase) / self.step).astype(np.int64)
        return n, n % self.cycle

    def quantity(self, at: float) -> np.ndarray:
        _, k = self._steps(at)
        return np.maximum(self.level - self.drain * k, 0)

    def quantity_changed(self, at: float) -> np.ndarray:
        """When each listing's quantity took its current value (a sold-out listing stays at
        zero from the step it ran out until the restock)."""
        n, k = self._steps(at)
        empty_from = -(-self.level // self.drain)  # ceil: the step at which nothing is left
        settled = np.where(k >= empty_from, n - k + empty_from, n)
        return self.phase + settled * self.step

    def inbound(self, at: float) -> np.ndarray:
        """Units shipped to Amazon for the next restock: on their way in the last two steps."""
        _, k = self._steps(at)
        return np.where(k >= self.cycle - 2, self.level, 0)

    def price_factor(self, at: float) -> np.ndarray:
        m = np.floor((at - self.price_phase) / self.price_step).astype(np.int64)
        return PRICE_FACTORS[(m + self.price_offset) % len(PRICE_FACTORS)]

    def price_changed(self, at: float) -> np.ndarray:
        m = np.floor((at - self.price_phase) / self.price_step)
        return self.price_phase + m * self.price_step

    def last_updated(self, at: float) -> np.ndarray:
        """A listing's last change of quantity or price (never before its creation)."""
        return np.maximum(
            np.maximum(self.quantity_changed(at), self.price_changed(at)), self.created
        )


def price_minor(base_minor: int, factor: float, minor_digits: int) -> int:
    """A base price moved by a factor, ending in 9 like the seeded prices."""
    price = round(base_minor * factor)
    return price // 10 * 10 + 9 if minor_digits == 2 else price


def fnsku(seller_id: str, sku: str) -> str:
    digest = hashlib.blake2b(f"{seller_id}:{sku}".encode(), digest_size=7).digest()
    return "X00" + "".join(_FNSKU_CHARS[b % len(_FNSKU_CHARS)] for b in digest)


def seed_stock(
    seed: int, seller_index: int, seller_id: str, listings: list[Listing], origin: float
) -> Stock:
    """Schedules that start before the two years of order history and run on forever."""
    rng = np.random.default_rng([seed, 3, seller_index])
    n = len(listings)
    history_start = origin - 730 * DAY
    step = rng.choice([0.5, 1.0, 2.0, 3.0, 5.0], size=n) * DAY
    drain = rng.integers(1, 8, size=n)
    cycle = rng.integers(6, 20, size=n)
    return Stock(
        created=history_start - rng.uniform(1, 400, size=n) * DAY,
        phase=history_start - rng.uniform(0, 1, size=n) * step - 30 * DAY,
        step=step,
        level=drain * rng.integers(4, 22, size=n),
        drain=drain,
        cycle=cycle,
        price_phase=history_start - rng.uniform(0, 30, size=n) * DAY,
        price_step=rng.integers(4, 30, size=n) * DAY,
        price_offset=rng.integers(0, len(PRICE_FACTORS), size=n),
        fnskus=[fnsku(seller_id, listing.sku) for listing in listings],
    )
