"""The whole seeded world: one LWA app, the sellers, the catalog and every seller's orders."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.seed.catalog import Catalog, seed_catalog
from sandbox.seed.orders import OrderBook, seed_orders
from sandbox.seed.sellers import LwaApp, Seller, seed_app, seed_sellers
from sandbox.seed.stock import Stock, seed_stock
from sandbox.seed.vendor import PurchaseOrders, seed_purchase_orders

DEFAULT_ORDERS = 5_000
DEFAULT_SELLERS = 3


@dataclass
class World:
    seed: int
    orders_total: int
    origin: float  # virtual epoch seconds at which the world was seeded
    app: LwaApp
    sellers: list[Seller]
    catalog: Catalog
    order_books: dict[str, OrderBook]  # seller id -> orders
    stock: dict[str, Stock] = field(default_factory=dict)  # seller id -> listings over time
    vendors: dict[str, PurchaseOrders] = field(default_factory=dict)  # seller id -> vendor POs

    def seller(self, seller_id: str) -> Seller:
        return next(s for s in self.sellers if s.seller_id == seller_id)

    def find_order(self, order_id: str) -> tuple[OrderBook, int] | None:
        for book in self.order_books.values():
            index = book.index_of(order_id)
            if index is not None:
                return book, index
        return None


def build_world(
    seed: int,
    orders_total: int,
    origin: float,
    products: int | None = None,
    sellers: int = DEFAULT_SELLERS,
) -> World:
    """Deterministic for a given (seed, orders_total, origin, products, sellers); by default
    the catalog grows with the orders."""
    accounts = seed_sellers(seed, sellers)
    n_products = products or int(min(5000, max(120, orders_total // 400)))
    catalog = seed_catalog(seed, n_products, accounts)
    books: dict[str, OrderBook] = {}
    number_base = item_base = 0
    for index, seller in enumerate(accounts):
        count = round(orders_total * seller.order_share)
        book = seed_orders(
            seed,
            index,
            seller,
            catalog.listings[seller.seller_id],
            count,
            origin,
            number_base,
            item_base,
        )
        books[seller.seller_id] = book
        number_base += len(book)
        item_base += int(book.item_start[-1])
    stock = {
        seller.seller_id: seed_stock(
            seed, index, seller.seller_id, catalog.listings[seller.seller_id], origin
        )
        for index, seller in enumerate(accounts)
    }
    vendor = accounts[0]  # the North America account is also a vendor (see seed/vendor.py)
    vendors = {vendor.seller_id: seed_purchase_orders(seed, "SBXV1", catalog.products, origin)}
    return World(
        seed, orders_total, origin, seed_app(seed), accounts, catalog, books, stock, vendors
    )
