"""What the legacy services add to the seeded world: their credentials, and the order history
from before the Orders API's two-year reach (MWS and AIM served it; SP-API cannot).

Derived from the world on first use and kept while the world lives, so reseeding renews it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from sandbox.seed.orders import HISTORY_DAYS, OrderBook, seed_orders
from sandbox.seed.sellers import _derive, seller_label
from sandbox.seed.world import World

ARCHIVE_DAYS = 5110  # fourteen years of history before the Orders API's horizon
ARCHIVE_SHARE = 0.1  # archive orders per order of the two live years
ARCHIVE_NUMBER_BASE = 10**13  # archive order and item numbers never meet the live ones
ARCHIVE_ITEM_BASE = 5 * 10**13
_HEX = "0123456789abcdef"
_LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class SellerLogins:
    """One seller's legacy identities: an MWS authorization and an AIM (Seller Central) login."""

    mws_auth_token: str
    aim_email: str
    aim_password: str


@dataclass
class Legacy:
    mws_access_key_id: str
    mws_secret_key: str
    paapi_access_key_id: str
    paapi_secret_key: str
    paapi_subscription_id: str  # pre-2005 identity, still honoured
    associate_tag: str
    logins: dict[str, SellerLogins]  # seller id -> logins
    archive: dict[str, OrderBook] = field(default_factory=dict)  # seller id -> old orders

    def books(self, world: World, seller_id: str) -> tuple[OrderBook, OrderBook]:
        """A seller's archive and live orders, oldest first: what MWS and AIM could see."""
        return self.archive[seller_id], world.order_books[seller_id]


def _build(world: World) -> Legacy:
    seed = world.seed
    labels = {s.seller_id: seller_label(s.region, n) for n, s in enumerate(world.sellers)}
    logins = {
        seller_id: SellerLogins(
            mws_auth_token="amzn.mws." + _derive(seed, f"mws:{label}", 32, _HEX),
            aim_email=f"seller-{label.replace(':', '-')}@sandbox.example",
            aim_password=_derive(seed, f"aim:{label}", 16, _LOWER),
        )
        for seller_id, label in labels.items()
    }
    legacy = Legacy(
        mws_access_key_id="AKIA" + _derive(seed, "mws-key", 16),
        mws_secret_key=_derive(seed, "mws-secret", 40, _LOWER),
        paapi_access_key_id="AKIA" + _derive(seed, "paapi-key", 16),
        paapi_secret_key=_derive(seed, "paapi-secret", 40, _LOWER),
        paapi_subscription_id=_derive(seed, "paapi-subscription", 20),
        associate_tag="sandbox-20",
        logins=logins,
    )
    horizon = world.origin - (HISTORY_DAYS + 2) * 86400.0
    number_base, item_base = ARCHIVE_NUMBER_BASE, ARCHIVE_ITEM_BASE
    for index, seller in enumerate(world.sellers):
        live = world.order_books[seller.seller_id]
        count = max(1, round(ARCHIVE_SHARE * int(np.searchsorted(live.created, world.origin))))
        book = seed_orders(
            seed,
            index,
            seller,
            world.catalog.listings[seller.seller_id],
            count,
            horizon,
            number_base,
            item_base,
            history_days=ARCHIVE_DAYS,
            future_days=0,
            stream=7,
        )
        legacy.archive[seller.seller_id] = book
        number_base += len(book)
        item_base += int(book.item_start[-1])
    return legacy


_lock = threading.Lock()
_cached: tuple[World, Legacy] | None = None


def legacy(world: World) -> Legacy:
    """The legacy additions of `world`, built once per world."""
    global _cached
    with _lock:
        if _cached is None or _cached[0] is not world:
            _cached = (world, _build(world))
        return _cached[1]
