"""Vendor Orders API v1 (retail procurement): the North America account's purchase orders,
searched by creation or change time within the API's seven-day window."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.core.pagination import TokenBook, TokenError
from sandbox.core.routing import Request
from sandbox.seed.sellers import Seller
from sandbox.seed.vendor import FULFILLMENT_CENTERS, STATES, PurchaseOrders
from sandbox.sp_api.catalog import ean
from sandbox.sp_api.exceptions import InvalidInputError, NotFoundError, UnauthorizedError
from sandbox.sp_api.params import int_param, iso, parse_times

if TYPE_CHECKING:
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

WINDOW = 7 * 86400.0  # "The date range must not exceed 7 days"
HISTORY = 180 * 86400.0  # "available to pull data from the past 6 months"
TOKEN_TTL = 24 * 3600.0
BUYER = "AMZN1"


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


class VendorApi:
    def __init__(self, service: SpApiService) -> None:
        self.app = service.app
        self.tokens = TokenBook(lambda: self.app.clock.timestamp(), TOKEN_TTL)
        self.app.on_reset(self.tokens.clear)

    def _book(self, seller: Seller) -> PurchaseOrders:
        book = self.app.world.vendors.get(seller.seller_id)
        if book is None:  # Amazon's answer to a seller's token is not documented: a 403 guess
            raise UnauthorizedError("The selling partner is not a vendor.")
        return book

    def render(self, book: PurchaseOrders, index: int, at: float, details: bool) -> dict:
        order: dict[str, Any] = {
            "purchaseOrderNumber": book.numbers[index],
            "purchaseOrderState": book.state(index, at),
        }
        if not details:
            return order
        products = self.app.world.catalog.products
        created = float(book.created[index])
        changed = bool(book.changed[index] <= at)
        items = []
        for position, item in enumerate(range(book.item_start[index], book.item_start[index + 1])):
            product = products[int(book.item_product[item])]
            quantity = int(book.item_quantity[item])
            if changed and position == 0 and quantity > 6:  # Amazon cut the first line
                quantity -= 6
            cost = {"amount": _cents(int(book.item_cost_cents[item])), "currencyCode": "USD"}
            items.append(
                {
                    "itemSequenceNumber": str(position + 1),
                    "amazonProductIdentifier": product.asin,
                    "vendorProductIdentifier": ean(product.asin),
                    "orderedQuantity": {
                        "amount": quantity,
                        "unitOfMeasure": "Eaches",
                        "unitSize": 1,
                    },
                    "isBackOrderAllowed": False,
                    "netCost": cost,
                    "listPrice": cost,
                }
            )
        details_: dict[str, Any] = {
            "purchaseOrderDate": iso(created),
            "purchaseOrderStateChangedDate": iso(book.state_changed(index, at)),
            "purchaseOrderType": "RegularOrder",
            "paymentMethod": "Invoice",
            "buyingParty": {"partyId": BUYER},
            "sellingParty": {"partyId": book.vendor_code},
            "shipToParty": {"partyId": FULFILLMENT_CENTERS[int(book.ship_to[index])]},
            "billToParty": {"partyId": BUYER},
            "shipWindow": f"{iso(created + 86400)}--{iso(created + 7 * 86400)}",
            "items": items,
        }
        if changed:
            details_["purchaseOrderChangedDate"] = iso(float(book.changed[index]))
        order["orderDetails"] = details_
        return order

    def _window(self, request: Request, kind: str, now: float) -> tuple[float, float] | None:
        after_name, before_name = f"{kind}After", f"{kind}Before"
        times = parse_times(request, [after_name, before_name])
        if not times:
            return None
        after = times.get(after_name, times.get(before_name, now) - WINDOW)
        before = times.get(before_name, min(after + WINDOW, now))
        if before < after:
            raise InvalidInputError(f"{before_name} must be after {after_name}.")
        if before - after > WINDOW:
            raise InvalidInputError("The date range must not exceed 7 days.")
        if after < now - HISTORY:
            raise InvalidInputError(f"{after_name} must be within the past 6 months.")
        return after, before

    def _select(self, request: Request, book: PurchaseOrders, at: float) -> np.ndarray:
        now = self.app.clock.timestamp()
        query = request.query
        created = self._window(request, "created", now)
        changed = self._window(request, "changed", now)
        if created is None and changed is None:
            created = (now - WINDOW, now)
        mask = book.created <= at
        if created is not None:
            mask &= (book.created >= created[0]) & (book.created < created[1])
        if changed is not None:
            mask &= (book.changed >= changed[0]) & (book.changed < changed[1])
        if query.get("isPOChanged") == "true":
            mask &= book.changed <= at
        if query.get("poItemState") == "Cancelled":  # no seeded order has cancelled items
            mask &= False
        vendor_code = query.get("orderingVendorCode")
        if vendor_code is not None and vendor_code != book.vendor_code:
            mask &= False
        selected = np.flatnonzero(mask)
        state = query.get("purchaseOrderState")
        if state is not None:
            if state not in STATES:
                raise InvalidInputError(f"Invalid purchaseOrderState: {state}.")
            selected = selected[[book.state(int(i), at) == state for i in selected]]
        order = query.get("sortOrder", "ASC")  # the default order is not documented: a guess
        if order not in ("ASC", "DESC"):
            raise InvalidInputError(f"Invalid sortOrder: {order}.")
        return selected[::-1] if order == "DESC" else selected

    def get_purchase_orders(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        book = self._book(seller)
        limit = int_param(request, "limit", 100, 1, 100)
        details = request.query.get("includeDetails", "true") != "false"
        bound = {k: v for k, v in request.query.items() if k != "nextToken"}
        bound["_seller"] = seller.seller_id
        if "nextToken" in request.query:
            try:
                selected, offset, at = self.tokens.redeem(request.query["nextToken"], bound)
            except TokenError as error:
                raise InvalidInputError(f"Invalid nextToken: {error}.") from None
        else:
            at = self.app.world_time()
            selected, offset = self._select(request, book, at), 0
        page = selected[offset : offset + limit]
        payload: dict[str, Any] = {"orders": [self.render(book, int(i), at, details) for i in page]}
        if offset + limit < len(selected):
            payload["pagination"] = {
                "nextToken": self.tokens.issue(bound, (selected, offset + limit, at))
            }
        return {"payload": payload}

    def get_purchase_order(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        book = self._book(seller)
        number = request.path_params["purchaseOrderNumber"]
        at = self.app.world_time()
        index = book.index_of(number)
        if index is None or book.created[index] > at:
            raise NotFoundError(f"Purchase order {number} not found.")
        return {"payload": self.render(book, index, at, details=True)}


def register(service: SpApiService) -> None:
    api = VendorApi(service)
    base = "/vendor/orders/v1/purchaseOrders"
    service.route("GET", base, "vendorOrders.getPurchaseOrders", api.get_purchase_orders)
    service.route(
        "GET",
        base + r"/(?P<purchaseOrderNumber>[^/]*)",
        "vendorOrders.getPurchaseOrder",
        api.get_purchase_order,
    )
