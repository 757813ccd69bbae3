"""Orders API 2026-01-01 and v0, both served from the same seeded order books.

A search is evaluated once, at its first page, into a snapshot of order indices; its
pagination token carries that snapshot, bound to the request's filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.core.pagination import TokenBook, TokenError
from sandbox.core.routing import Request
from sandbox.seed.marketplaces import MARKETPLACES, Marketplace
from sandbox.seed.orders import (
    CANCELLED,
    PENDING,
    SERVICE_LEVELS,
    SHIPPED,
    STATUS_NAMES,
    UNSHIPPED,
    OrderBook,
)
from sandbox.seed.sellers import Seller
from sandbox.sp_api.exceptions import InvalidInputError, NotFoundError
from sandbox.sp_api.params import enum_list, int_param, iso, parse_times
from sandbox.world.orders import V0_STATUS_NAMES, OrderQuery, OrderRenderer, amount, run_query

if TYPE_CHECKING:
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

INCLUDED_DATA = (
    "BUYER",
    "RECIPIENT",
    "PROCEEDS",
    "EXPENSE",
    "PROMOTION",
    "CANCELLATION",
    "FULFILLMENT",
    "PACKAGES",
    "TAX",
    "PAYMENT",
    "FULFILLMENT_ORDERS",
)
FULFILLED_BY = ("MERCHANT", "AMAZON")
V0_STATUSES = (
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
)
TWO_MINUTES = 120.0
TOKEN_TTL = 24 * 3600.0  # searchOrders: "token expires after 24 hours"
V0_ITEMS_PAGE_SIZE = 3  # undocumented; a guess, small so that clients must follow NextToken


@lru_cache(maxsize=65536)
def money(minor: int, marketplace_id: str) -> dict[str, str]:
    """A 2026-01-01 Money object; shared between orders, so never mutate it."""
    market = MARKETPLACES[marketplace_id]
    return {"amount": amount(minor, market), "currencyCode": market.currency}


@dataclass(frozen=True)
class SearchVersion:
    """How one API version names a search's parameters."""

    times: tuple[str, str, str, str]  # created after/before, last updated after/before
    token: str
    page_size: str
    free: tuple[str, ...]  # parameters a client may change between pages


SEARCH_2026 = SearchVersion(
    ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"),
    "paginationToken",
    "maxResultsPerPage",
    ("paginationToken", "maxResultsPerPage", "includedData"),
)
SEARCH_V0 = SearchVersion(
    ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore"),
    "NextToken",
    "MaxResultsPerPage",
    ("NextToken", "MaxResultsPerPage"),
)


@dataclass(frozen=True)
class Snapshot:
    indices: np.ndarray
    at: float
    before: float
    offset: int


class OrderRenderer2026(OrderRenderer):
    """The v0 shape and the 2026-01-01 one, whose product blocks are shared between orders."""

    def __init__(
        self,
        book: OrderBook,
        indices: np.ndarray,
        at: float,
        products: list,
        product_blocks: dict[tuple[int, str, str], dict[str, Any]],
    ) -> None:
        super().__init__(book, indices, at, products)
        self.product_blocks = product_blocks

    def _product_block(self, listing: Any, product: Any, market: Marketplace) -> dict[str, Any]:
        """The item's `product` object: the same for every order of a SKU in a marketplace."""
        key = (listing.product_index, listing.sku, market.marketplace_id)
        block = self.product_blocks.get(key)
        if block is None:
            block = self.product_blocks[key] = {
                "asin": product.asin,
                "title": product.title(market.marketplace_id),
                "sellerSku": listing.sku,
                "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
                "price": {
                    "unitPrice": money(
                        listing.prices_minor[market.marketplace_id], market.marketplace_id
                    )
                },
            }
        return block

    def orders_2026(self, included: set[str]) -> list[dict[str, Any]]:
        return [self._order_2026(k, included) for k in range(len(self.indices))]

    def _order_2026(self, k: int, included: set[str]) -> dict[str, Any]:
        index, status = self.indices[k], self.status[k]
        book = self.book
        market = self.market(index)
        shipping = self.shipping[index]
        priced = status != PENDING
        items = []
        total = 0
        for position, (item, listing, product, quantity, unit) in enumerate(
            self.lines(index, market)
        ):
            line_total = unit * quantity + (shipping if position == 0 else 0)
            total += line_total
            entry: dict[str, Any] = {
                "orderItemId": book.item_id(item),
                "quantityOrdered": quantity,
                "product": self._product_block(listing, product, market),
            }
            if "FULFILLMENT" in included:
                shipped = quantity if status == SHIPPED else 0
                entry["fulfillment"] = {
                    "quantityFulfilled": shipped,
                    "quantityUnfulfilled": quantity - shipped,
                }
            if "PROCEEDS" in included and priced:
                breakdowns = [
                    {
                        "type": "ITEM",
                        "subtotal": money(unit * quantity, market.marketplace_id),
                    }
                ]
                if position == 0 and shipping:
                    breakdowns.append(
                        {
                            "type": "SHIPPING",
                            "subtotal": money(shipping, market.marketplace_id),
                        }
                    )
                entry["proceeds"] = {
                    "proceedsTotal": money(line_total, market.marketplace_id),
                    "breakdowns": breakdowns,
                }
            if "CANCELLATION" in included and status == CANCELLED:
                entry["cancellation"] = {
                    "cancellationExecution": {
                        "cancelledBy": "BUYER",
                        "cancelReason": "BUYER_CANCELLED",
                    }
                }
            items.append(entry)
        order: dict[str, Any] = {
            "orderId": book.order_id(index),
            "createdTime": iso(self.created[k]),
            "lastUpdatedTime": iso(self.updated[k]),
            "salesChannel": {
                "channelName": "AMAZON",
                "marketplaceId": market.marketplace_id,
                "marketplaceName": market.name,
            },
            "orderItems": items,
        }
        if book.prime[index]:
            order["programs"] = ["PRIME"]
        if "FULFILLMENT" in included:
            order["fulfillment"] = {
                "fulfillmentStatus": STATUS_NAMES[status],
                "fulfilledBy": "AMAZON" if book.amazon_fulfilled[index] else "MERCHANT",
                "fulfillmentServiceLevel": SERVICE_LEVELS[int(book.service_level[index])],
                "shipByWindow": {
                    "earliestDateTime": iso(self.created[k]),
                    "latestDateTime": iso(self.created[k] + 2 * 86400),
                },
            }
        if "PROCEEDS" in included and priced:
            order["proceeds"] = {"grandTotal": money(total, market.marketplace_id)}
        if "BUYER" in included or "RECIPIENT" in included:
            name, (city, state, postal), email = self.person(index, market)
            if "BUYER" in included:
                order["buyer"] = {"buyerName": name, "buyerEmail": email}
            if "RECIPIENT" in included and status in (UNSHIPPED, SHIPPED):
                order["recipient"] = {
                    "deliveryAddress": {
                        "name": name,
                        "addressLine1": f"{100 + index % 900} Sandbox Street",
                        "city": city,
                        "stateOrRegion": state,
                        "postalCode": postal,
                        "countryCode": market.country_code,
                        "addressType": "RESIDENTIAL",
                    }
                }
        return order


class OrdersApi:
    """Handlers for both versions; the registry of live searches is this object's only state."""

    def __init__(self, service: SpApiService) -> None:
        self.app = service.app
        self.tokens = TokenBook(lambda: self.app.clock.timestamp(), TOKEN_TTL)
        self.app.on_reset(self.tokens.clear)
        self._blocks_world: object = None
        self._product_blocks: dict[tuple[int, str, str], dict[str, Any]] = {}

    def _renderer(self, book: OrderBook, indices: np.ndarray, at: float) -> OrderRenderer2026:
        world = self.app.world
        if self._blocks_world is not world:
            self._blocks_world, self._product_blocks = world, {}
        return OrderRenderer2026(book, indices, at, world.catalog.products, self._product_blocks)

    def _book(self, seller: Seller) -> OrderBook:
        return self.app.world.order_books[seller.seller_id]

    def _marketplaces(self, seller: Seller, ids: list[str] | None) -> tuple[int, ...] | None:
        if ids is None:
            return None
        unknown = [m for m in ids if m not in seller.marketplace_ids]
        if unknown:
            # Amazon's answer for a marketplace the seller is not in is unconfirmed; a 400 guess
            raise InvalidInputError(f"Invalid marketplace id(s): {', '.join(unknown)}.")
        return tuple(seller.marketplace_ids.index(m) for m in ids)

    def _window(
        self, request: Request, names: tuple[str, str, str, str], now: float
    ) -> tuple[str, float, float]:
        """(mode, after, before) under the exactly-one and two-minute rules."""
        created_after, created_before, updated_after, updated_before = names
        times = parse_times(request, list(names))
        if (created_after in times) == (updated_after in times):
            raise InvalidInputError(
                f"Exactly one of {created_after} and {updated_after} must be provided."
            )
        if created_after in times:
            if updated_before in times:
                raise InvalidInputError(f"{updated_before} cannot be used with {created_after}.")
            mode, after_name, before_name = "created", created_after, created_before
        else:
            if created_before in times:
                raise InvalidInputError(f"{created_before} cannot be used with {updated_after}.")
            mode, after_name, before_name = "updated", updated_after, updated_before
        after = times[after_name]
        latest = now - TWO_MINUTES
        before = times.get(before_name, latest)
        if before_name in times:
            if before < after:
                raise InvalidInputError(f"{before_name} must be equal to or after {after_name}.")
            if before > latest:
                raise InvalidInputError(
                    f"{before_name} must be at least two minutes before the time of the request."
                )
        return mode, after, before

    def _snapshot(self, token: str | None, bound: dict[str, Any], build: Any) -> Snapshot:
        if token is None:
            return build()
        try:
            return self.tokens.redeem(token, bound)
        except TokenError as error:
            raise InvalidInputError(f"Invalid NextToken: {error}.") from None

    def _next_token(self, snapshot: Snapshot, size: int, bound: dict[str, Any]) -> str | None:
        end = snapshot.offset + size
        if end >= len(snapshot.indices):
            return None
        return self.tokens.issue(
            bound, Snapshot(snapshot.indices, snapshot.at, snapshot.before, end)
        )

    def _search(
        self,
        request: Request,
        seller: Seller,
        version: SearchVersion,
        filters: tuple[tuple[int, ...] | None, tuple[int, ...] | None, bool | None],
    ) -> tuple[Snapshot, np.ndarray, str | None, str]:
        """The page a search request asks for: (snapshot, page, next token, echo name)."""
        now = self.app.clock.timestamp()
        size = int_param(request, version.page_size, 100, 1, 100)
        # the token binds every parameter except those the model lets a client change
        bound = {k: v for k, v in request.query.items() if k not in version.free}
        bound["_seller"] = seller.seller_id

        def build() -> Snapshot:
            mode, after, before = self._window(request, version.times, now)
            query = OrderQuery(mode, after, before, *filters)
            at = self.app.world_time()
            return Snapshot(run_query(self._book(seller), query, at), at, before, 0)

        snapshot = self._snapshot(request.query.get(version.token), bound, build)
        page = snapshot.indices[snapshot.offset : snapshot.offset + size]
        echo = version.times[1] if version.times[0] in request.query else version.times[3]
        return snapshot, page, self._next_token(snapshot, size, bound), echo

    def search_orders(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        included = set(enum_list(request, "includedData", INCLUDED_DATA) or [])
        statuses = enum_list(
            request,
            "fulfillmentStatuses",
            (*STATUS_NAMES, "PENDING_AVAILABILITY", "PARTIALLY_SHIPPED", "UNFULFILLABLE"),
        )
        fulfilled_by = enum_list(request, "fulfilledBy", FULFILLED_BY)
        filters = (
            self._marketplaces(seller, request.query_list("marketplaceIds")),
            tuple(STATUS_NAMES.index(s) for s in statuses if s in STATUS_NAMES)
            if statuses
            else None,
            None
            if not fulfilled_by or len(set(fulfilled_by)) == 2
            else fulfilled_by[0] == "AMAZON",
        )
        snapshot, page, next_token, echo = self._search(request, seller, SEARCH_2026, filters)
        renderer = self._renderer(self._book(seller), page, snapshot.at)
        body: dict[str, Any] = {"orders": renderer.orders_2026(included)}
        if next_token:
            body["pagination"] = {"nextToken": next_token}
        body[echo] = iso(snapshot.before)
        return body

    def _find(self, seller: Seller, order_id: str) -> tuple[OrderBook, int]:
        book = self._book(seller)
        index = book.index_of(order_id)
        if index is None or book.created[index] > self.app.world_time():
            raise NotFoundError(f"Order {order_id} not found.")
        return book, index

    def get_order(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        included = set(enum_list(request, "includedData", INCLUDED_DATA) or [])
        book, index = self._find(seller, request.path_params["orderId"])
        renderer = self._renderer(book, np.array([index]), self.app.world_time())
        return {"order": renderer.orders_2026(included)[0]}

    def get_orders_v0(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        marketplace_ids = request.query_list("MarketplaceIds")
        if not marketplace_ids:
            raise InvalidInputError("MarketplaceIds is required.")
        statuses = enum_list(request, "OrderStatuses", V0_STATUSES)
        channels = enum_list(request, "FulfillmentChannels", ("AFN", "MFN"))
        filters = (
            self._marketplaces(seller, marketplace_ids),
            tuple(V0_STATUS_NAMES.index(s) for s in statuses if s in V0_STATUS_NAMES)
            if statuses
            else None,
            None if not channels or len(set(channels)) == 2 else channels[0] == "AFN",
        )
        snapshot, page, next_token, echo = self._search(request, seller, SEARCH_V0, filters)
        renderer = self._renderer(self._book(seller), page, snapshot.at)
        payload: dict[str, Any] = {
            "Orders": renderer.orders_v0(_data_elements(token, "/orders/v0/orders"))
        }
        if next_token:
            payload["NextToken"] = next_token
        payload[echo] = iso(snapshot.before)
        return {"payload": payload}

    def get_order_v0(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        order_id = request.path_params["orderId"]
        book, index = self._find(seller, order_id)
        renderer = self._renderer(book, np.array([index]), self.app.world_time())
        elements = _data_elements(token, f"/orders/v0/orders/{order_id}")
        return {"payload": renderer.orders_v0(elements)[0]}

    def get_order_items_v0(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        order_id = request.path_params["orderId"]
        book, index = self._find(seller, order_id)
        renderer = self._renderer(book, np.array([index]), self.app.world_time())
        items = renderer.items_v0(0)
        offset = 0
        bound = {"orderId": order_id, "_seller": seller.seller_id}
        if "NextToken" in request.query:
            try:
                offset = self.tokens.redeem(request.query["NextToken"], bound)
            except TokenError as error:
                raise InvalidInputError(f"Invalid NextToken: {error}.") from None
        payload: dict[str, Any] = {
            "AmazonOrderId": order_id,
            "OrderItems": items[offset : offset + V0_ITEMS_PAGE_SIZE],
        }
        if offset + V0_ITEMS_PAGE_SIZE < len(items):
            payload["NextToken"] = self.tokens.issue(bound, offset + V0_ITEMS_PAGE_SIZE)
        return {"payload": payload}


def _data_elements(token: AccessToken, path: str) -> set[str]:
    """PII data elements a restricted data token grants for `path` (generic or specific)."""
    granted: set[str] = set()
    for resource in token.restricted:
        generic = resource.get("path", "")
        pattern = generic.replace("{orderId}", path.rsplit("/", 1)[-1])
        if resource.get("method") == "GET" and path in (generic, pattern):
            granted.update(resource.get("dataElements") or [])
    return granted


def register(service: SpApiService) -> None:
    api = OrdersApi(service)
    base26, base0 = "/orders/2026-01-01/orders", "/orders/v0/orders"
    service.route("GET", base26, "orders_2026-01-01.searchOrders", api.search_orders)
    service.route(
        "GET", base26 + r"/(?P<orderId>[^/]+)", "orders_2026-01-01.getOrder", api.get_order
    )
    service.route("GET", base0, "ordersV0.getOrders", api.get_orders_v0)
    service.route("GET", base0 + r"/(?P<orderId>[^/]+)", "ordersV0.getOrder", api.get_order_v0)
    service.route(
        "GET",
        base0 + r"/(?P<orderId>[^/]+)/orderItems",
        "ordersV0.getOrderItems",
        api.get_order_items_v0,
    )
