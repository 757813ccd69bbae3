"""MWS Orders 2013-09-01: ListOrders, GetOrder, ListOrderItems and their ByNextToken pages.

Served from the same order books as SP-API, plus the archive before SP-API's two-year
reach; an order renders as the v0 shape SP-API inherited from MWS, in XML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.core.pagination import TokenBook
from sandbox.core.routing import Response
from sandbox.mws import tokens
from sandbox.mws.exceptions import ORDERS_NS, InvalidParameterValueError, MissingParameterError
from sandbox.mws.wire import MwsCall, iso, respond
from sandbox.seed.legacy import legacy
from sandbox.seed.orders import OrderBook
from sandbox.world.orders import V0_STATUS_NAMES, OrderQuery, OrderRenderer, run_query

if TYPE_CHECKING:
    from sandbox.app import App

PAGE_SIZE = 100
ITEMS_PAGE_SIZE = 3  # undocumented; a guess, small so that clients must follow NextToken
GET_ORDER_MAX = 50
TWO_MINUTES = 120.0  # the latest CreatedBefore/LastUpdatedBefore: two minutes before the call
PII = {"buyerInfo", "shippingAddress"}  # MWS served buyer and address without extra tokens
_NOT_IN_MWS = (
    "IsReplacementOrder",
    "IsSoldByAB",
    "IsISPU",
    "IsAccessPointOrder",
    "HasRegulatedItems",
)
_NOT_IN_MWS_ITEMS = ("ProductInfo", "IsTransparency", "SerialNumberRequired")


@dataclass(frozen=True)
class Listing:
    """A ListOrders result, evaluated at its first page: (book, index) pairs, oldest first."""

    books: tuple[OrderBook, ...]
    which: np.ndarray
    indices: np.ndarray
    at: float
    before: float
    echo: str
    size: int


def _order(order: dict[str, Any]) -> dict[str, Any]:
    for name in _NOT_IN_MWS:
        order.pop(name, None)
    order["PaymentMethodDetails"] = {"PaymentMethodDetail": order["PaymentMethodDetails"]}
    buyer = order.pop("BuyerInfo", None) or {}
    address = order.pop("ShippingAddress", None)
    order.update(buyer)
    if address:
        order["ShippingAddress"] = address
    return order


def _item(item: dict[str, Any]) -> dict[str, Any]:
    for name in _NOT_IN_MWS_ITEMS:
        item.pop(name, None)
    return item


class MwsOrders:
    def __init__(self, app: App) -> None:
        self.app = app
        self.tokens = TokenBook(app.clock.timestamp, tokens.TOKEN_TTL)
        app.on_reset(self.tokens.clear)

    def handlers(self) -> dict[str, Any]:
        return {
            "ListOrders": self.list_orders,
            "ListOrdersByNextToken": self.list_orders_by_next_token,
            "GetOrder": self.get_order,
            "ListOrderItems": self.list_order_items,
            "ListOrderItemsByNextToken": self.list_order_items_by_next_token,
        }

    def _books(self, call: MwsCall) -> tuple[OrderBook, ...]:
        return legacy(self.app.world).books(self.app.world, call.seller.seller_id)

    def _render(self, listing: Listing, start: int, stop: int) -> list[dict[str, Any]]:
        rendered = []
        which, indices = listing.which[start:stop], listing.indices[start:stop]
        for number, book in enumerate(listing.books):
            chosen = indices[which == number]
            if len(chosen):
                renderer = OrderRenderer(book, chosen, listing.at, self.app.world.catalog.products)
                rendered += [_order(o) for o in renderer.orders_v0(PII)]
        return rendered

    def _page(self, call: MwsCall, listing: Listing, offset: int, result: str) -> Response:
        stop = offset + listing.size
        body: dict[str, Any] = {}
        if stop < len(listing.indices):
            body["NextToken"] = tokens.issue(
                self.tokens, "ListOrders", call.seller.seller_id, (listing, stop)
            )
        body[listing.echo] = iso(listing.before)
        body["Orders"] = {"Order": self._render(listing, offset, stop)}
        return _respond(result, body)

    def list_orders(self, call: MwsCall) -> Response:
        marketplaces = call.list_param("MarketplaceId.Id")
        if not marketplaces:
            raise MissingParameterError(message="MarketplaceId.Id.1 is required.")
        unknown = [m for m in marketplaces if m not in call.seller.marketplace_ids]
        if unknown:
            raise InvalidParameterValueError(
                message=f"Invalid MarketplaceId value(s): {', '.join(unknown)}."
            )
        size = call.int_param("MaxResultsPerPage", PAGE_SIZE, 1, PAGE_SIZE)
        mode, after, before, echo = _window(call, self.app.clock.timestamp())
        statuses = call.list_param("OrderStatus.Status")
        channels = call.list_param("FulfillmentChannel.Channel")
        query = OrderQuery(
            mode,
            after,
            before,
            tuple(call.seller.marketplace_ids.index(m) for m in marketplaces),
            tuple(V0_STATUS_NAMES.index(s) for s in statuses if s in V0_STATUS_NAMES)
            if statuses
            else None,
            None if len(set(channels)) != 1 else channels[0] == "AFN",
        )
        books = self._books(call)
        found = [run_query(book, query, call.now) for book in books]
        listing = Listing(
            books,
            np.concatenate([np.full(len(f), n) for n, f in enumerate(found)]),
            np.concatenate(found),
            call.now,
            before,
            echo,
            size,
        )
        return self._page(call, listing, 0, "ListOrders")

    def list_orders_by_next_token(self, call: MwsCall) -> Response:
        listing, offset = tokens.redeem(
            self.tokens, "ListOrders", call.seller.seller_id, call.params.get("NextToken")
        )
        return self._page(call, listing, offset, "ListOrdersByNextToken")

    def _find(self, call: MwsCall, order_id: str) -> tuple[OrderBook, int] | None:
        for book in self._books(call):
            index = book.index_of(order_id)
            if index is not None and book.created[index] <= call.now:
                return book, index
        return None

    def get_order(self, call: MwsCall) -> Response:
        ids = call.list_param("AmazonOrderId.Id")
        if not ids or len(ids) > GET_ORDER_MAX:
            raise InvalidParameterValueError(message="Provide 1 to 50 AmazonOrderId.Id.N values.")
        rendered = []
        for order_id in ids:
            found = self._find(call, order_id)
            if found is not None:
                renderer = OrderRenderer(
                    found[0], np.array([found[1]]), call.now, self.app.world.catalog.products
                )
                rendered += [_order(o) for o in renderer.orders_v0(PII)]
        return _respond("GetOrder", {"Orders": {"Order": rendered}})

    def _items_page(self, call: MwsCall, order_id: str, offset: int, result: str) -> Response:
        found = self._find(call, order_id)
        if found is None:
            raise InvalidParameterValueError(message=f"Invalid AmazonOrderId: {order_id}.")
        renderer = OrderRenderer(
            found[0], np.array([found[1]]), call.now, self.app.world.catalog.products
        )
        items = renderer.items_v0(0)
        body: dict[str, Any] = {}
        stop = offset + ITEMS_PAGE_SIZE
        if stop < len(items):
            body["NextToken"] = tokens.issue(
                self.tokens, "ListOrderItems", call.seller.seller_id, (order_id, stop)
            )
        body["AmazonOrderId"] = order_id
        body["OrderItems"] = {"OrderItem": [_item(i) for i in items[offset:stop]]}
        return _respond(result, body)

    def list_order_items(self, call: MwsCall) -> Response:
        order_id = call.params.get("AmazonOrderId")
        if not order_id:
            raise MissingParameterError(message="AmazonOrderId is required.")
        return self._items_page(call, order_id, 0, "ListOrderItems")

    def list_order_items_by_next_token(self, call: MwsCall) -> Response:
        order_id, offset = tokens.redeem(
            self.tokens, "ListOrderItems", call.seller.seller_id, call.params.get("NextToken")
        )
        return self._items_page(call, order_id, offset, "ListOrderItemsByNextToken")


def _respond(action: str, result: dict[str, Any]) -> Response:
    return respond(action, result, ORDERS_NS)


def _window(call: MwsCall, now: float) -> tuple[str, float, float, str]:
    """(mode, after, before, echoed element) under MWS's exactly-one and two-minute rules."""
    names = ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore")
    times = {name: t for name in names if (t := call.time_param(name)) is not None}
    if ("CreatedAfter" in times) == ("LastUpdatedAfter" in times):
        raise InvalidParameterValueError(
            message="CreatedAfter or LastUpdatedAfter must be specified"
        )
    mode = "created" if "CreatedAfter" in times else "updated"
    after_name, before_name = (
        ("CreatedAfter", "CreatedBefore")
        if mode == "created"
        else ("LastUpdatedAfter", "LastUpdatedBefore")
    )
    latest = now - TWO_MINUTES
    before = times.get(before_name, latest)
    if before > latest:
        raise InvalidParameterValueError(
            message=f"{before_name} must be at least two minutes before the request."
        )
    if before < times[after_name]:
        raise InvalidParameterValueError(message=f"{before_name} must follow {after_name}.")
    return mode, times[after_name], before, before_name
