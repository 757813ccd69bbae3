"""Finances v0 (event groups, events) and Finances 2024-06-19 (transactions), derived from the
same ledger lines as the settlement reports, under the models' time rules: dates more than two
minutes old, ranges of at most 180 days (longer ones answer nothing).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.core.pagination import TokenBook, TokenError
from sandbox.core.routing import Request
from sandbox.seed import ledger as money
from sandbox.seed.marketplaces import MARKETPLACES, Marketplace
from sandbox.seed.orders import OrderBook
from sandbox.seed.sellers import Seller
from sandbox.sp_api.exceptions import InvalidInputError
from sandbox.sp_api.params import int_param, parse_times

if TYPE_CHECKING:
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

TWO_MINUTES = 120.0
MAX_RANGE = 180 * 86400.0
TOKEN_TTL = 24 * 3600.0  # undocumented; a guess (searchOrders tokens last 24 hours)
TRANSACTIONS_PAGE = 50  # listTransactions has no page size parameter; a guess
EVENT_LISTS = ("ShipmentEventList", "RefundEventList")


def posted_time(moment: float) -> str:
    """Finances answer times like `2020-02-07T14:38:42.128Z`."""
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment))
        + f".{int(moment * 1000) % 1000:03d}Z"
    )


def _digest(*parts: object, length: int = 16) -> str:
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()[:length]


def currency(
    minor: int, market: Marketplace, code: str = "CurrencyCode", value: str = "CurrencyAmount"
) -> dict[str, Any]:
    """v0 `Currency` (and 2024-06-19's, with lower-case keys): the amount is a JSON number."""
    return {code: market.currency, value: minor / 10**market.minor_digits}


def group_id(seller_id: str, marketplace_id: str, period: int) -> str:
    return _digest("group", seller_id, marketplace_id, period, length=32)


@dataclass(frozen=True)
class Events:
    """A ledger cut into events: lines [bounds[i], bounds[i + 1]) are one event."""

    lines: money.Ledger
    bounds: np.ndarray

    def __len__(self) -> int:
        return len(self.bounds) - 1


def events(lines: money.Ledger) -> Events:
    """One event per (posted, order, shipment or refund), in ledger order."""
    if not len(lines):
        return Events(lines, np.zeros(1, np.int64))
    change = (
        (np.diff(lines.posted) != 0) | (np.diff(lines.order) != 0) | (np.diff(lines.refund) != 0)
    )
    starts = np.r_[0, np.flatnonzero(change) + 1]
    return Events(lines, np.r_[starts, len(lines)].astype(np.int64))


class EventRenderer:
    """Renders events of one seller in either Finances shape."""

    def __init__(self, world: Any, seller: Seller) -> None:
        self.world, self.seller = world, seller
        self.book: OrderBook = world.order_books[seller.seller_id]
        listings = world.catalog.listings[seller.seller_id]
        self.skus = [listing.sku for listing in listings]
        self.products = [world.catalog.products[listing.product_index] for listing in listings]

    def _market(self, order: int) -> Marketplace:
        return MARKETPLACES[self.seller.marketplace_ids[int(self.book.marketplace[order])]]

    def _items(self, lines: money.Ledger, lo: int, hi: int) -> list[tuple[int, list[int]]]:
        """(item index, line positions) in the event's order."""
        grouped: dict[int, list[int]] = {}
        for position in range(lo, hi):
            grouped.setdefault(int(lines.item[position]), []).append(position)
        return list(grouped.items())

    def v0(self, found: Events, k: int) -> tuple[str, dict[str, Any]]:
        lines, lo, hi = found.lines, int(found.bounds[k]), int(found.bounds[k + 1])
        order, refund = int(lines.order[lo]), bool(lines.refund[lo])
        market = self._market(order)
        items = []
        for item, positions in self._items(lines, lo, hi):
            charges, fees = [], []
            for position in positions:
                kind, name = money.COMPONENTS[int(lines.component[position])]
                value = currency(int(lines.amount[position]), market)
                if kind == "ItemPrice":
                    charges.append({"ChargeType": name, "ChargeAmount": value})
                else:
                    fees.append({"FeeType": name, "FeeAmount": value})
            entry: dict[str, Any] = {
                "SellerSKU": self.skus[int(self.book.item_listing[item])],
                "OrderItemId": self.book.item_id(item),
                "QuantityShipped": int(self.book.item_quantity[item]),
            }
            if refund:
                entry["OrderAdjustmentItemId"] = _digest("adjustment", item, length=14)
                entry["ItemChargeAdjustmentList"] = charges
                entry["ItemFeeAdjustmentList"] = fees
            else:
                entry["ItemChargeList"] = charges
                entry["ItemFeeList"] = fees
            items.append(entry)
        event = {
            "AmazonOrderId": self.book.order_id(order),
            "MarketplaceName": market.name,
            "PostedDate": posted_time(float(lines.posted[lo])),
            "ShipmentItemAdjustmentList" if refund else "ShipmentItemList": items,
        }
        return ("RefundEventList" if refund else "ShipmentEventList"), event

    def transaction(self, found: Events, k: int) -> dict[str, Any]:
        lines, lo, hi = found.lines, int(found.bounds[k]), int(found.bounds[k + 1])
        order, refund = int(lines.order[lo]), bool(lines.refund[lo])
        posted = float(lines.posted[lo])
        market = self._market(order)
        order_id = self.book.order_id(order)
        items = []
        for item, positions in self._items(lines, lo, hi):
            listing = int(self.book.item_listing[item])
            entry: dict[str, Any] = {
                "description": self.products[listing].title(market.marketplace_id),
                "totalAmount": self._money(int(lines.amount[positions].sum()), market),
                "breakdowns": self._breakdowns(lines, positions, market),
                "contexts": [
                    {
                        "contextType": "ProductContext",
                        "asin": self.products[listing].asin,
                        "sku": self.skus[listing],
                        "quantityShipped": int(self.book.item_quantity[item]),
                        "fulfillmentNetwork": "AFN" if self.book.amazon_fulfilled[order] else "MFN",
                    }
                ],
            }
            if refund:
                entry["relatedIdentifiers"] = [
                    {
                        "itemRelatedIdentifierName": "ORDER_ADJUSTMENT_ITEM_ID",
                        "itemRelatedIdentifierValue": _digest("adjustment", item, length=14),
                    }
                ]
            items.append(entry)
        period = money.period_of(posted)
        event_id = _digest("event", self.seller.seller_id, order, refund, length=12).upper()
        return {
            "sellingPartnerMetadata": {
                "sellingPartnerId": self.seller.seller_id,
                "accountType": "Standard Orders",
                "marketplaceId": market.marketplace_id,
            },
            "relatedIdentifiers": [
                {"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": order_id},
                {
                    "relatedIdentifierName": "REFUND_ID" if refund else "SHIPMENT_ID",
                    "relatedIdentifierValue": event_id,
                },
                {
                    "relatedIdentifierName": "FINANCIAL_EVENT_GROUP_ID",
                    "relatedIdentifierValue": group_id(
                        self.seller.seller_id, market.marketplace_id, period
                    ),
                },
            ],
            "transactionType": "Refund" if refund else "Shipment",
            "transactionId": _digest("transaction", self.seller.seller_id, order, refund, posted),
            "transactionStatus": "RELEASED",
            "description": "Refund Order" if refund else "Order Payment",
            "postedDate": posted_time(posted),
            "totalAmount": self._money(int(lines.amount[lo:hi].sum()), market),
            "marketplaceDetails": {
                "marketplaceId": market.marketplace_id,
                "marketplaceName": market.name,
            },
            "items": items,
            "breakdowns": self._breakdowns(lines, list(range(lo, hi)), market),
        }

    @staticmethod
    def _money(minor: int, market: Marketplace) -> dict[str, Any]:
        return currency(minor, market, "currencyCode", "currencyAmount")

    def _breakdowns(
        self, lines: money.Ledger, positions: list[int], market: Marketplace
    ) -> list[dict[str, Any]]:
        groups: dict[str, dict[str, int]] = {}
        for position in positions:
            kind, name = money.COMPONENTS[int(lines.component[position])]
            group = "ProductCharges" if kind == "ItemPrice" else "AmazonFees"
            parts = groups.setdefault(group, {})
            parts[name] = parts.get(name, 0) + int(lines.amount[position])
        return [
            {
                "breakdownType": group,
                "breakdownAmount": self._money(sum(parts.values()), market),
                "breakdowns": [
                    {"breakdownType": name, "breakdownAmount": self._money(value, market)}
                    for name, value in parts.items()
                ],
            }
            for group, parts in groups.items()
        ]


class FinancesApi:
    def __init__(self, service: SpApiService) -> None:
        self.app = service.app
        self.tokens = TokenBook(self.app.clock.timestamp, TOKEN_TTL)
        self.app.on_reset(self.tokens.clear)

    def _range(
        self, request: Request, after_name: str, before_name: str, required: bool = True
    ) -> tuple[float, float] | None:
        """(after, before) under the two-minute rules; None when the range exceeds 180 days."""
        now = self.app.clock.timestamp()
        times = parse_times(request, [after_name, before_name])
        latest = now - TWO_MINUTES
        if after_name not in times:
            if required or before_name in times:
                raise InvalidInputError(f"{after_name} is required.")
            times[after_name] = now - MAX_RANGE
        after = times[after_name]
        before = times.get(before_name, latest)
        if after > latest:
            raise InvalidInputError(f"{after_name} must be more than two minutes before now.")
        if before_name in times:
            if before <= after:
                raise InvalidInputError(f"{before_name} must be later than {after_name}.")
            if before > latest:
                raise InvalidInputError(
                    f"{before_name} must be more than two minutes before the time of the request."
                )
        if before - after > MAX_RANGE:
            return None
        return after, before

    def _page(
        self, request: Request, seller: Seller, token_name: str, build: Any
    ) -> tuple[Any, int]:
        """(snapshot, offset): a first page builds it; a token (sent with the same arguments)
        redeems it."""
        bound = {k: v for k, v in request.query.items() if k not in (token_name,)}
        bound["_seller"] = seller.seller_id
        token = request.query.get(token_name)
        if token is None:
            return build(), 0
        try:
            return self.tokens.redeem(token, bound)
        except TokenError as error:
            raise InvalidInputError(f"Invalid {token_name}: {error}.") from None

    def _next(
        self, request: Request, seller: Seller, token_name: str, snapshot: Any, end: int, total: int
    ) -> str | None:
        if end >= total:
            return None
        bound = {k: v for k, v in request.query.items() if k not in (token_name,)}
        bound["_seller"] = seller.seller_id
        return self.tokens.issue(bound, (snapshot, end))

    def _events(
        self, seller: Seller, after: float, before: float, marketplace: str | None
    ) -> Events:
        book = self.app.world.order_books[seller.seller_id]
        position = None
        if marketplace is not None:
            if marketplace not in seller.marketplace_ids:
                raise InvalidInputError(f"Invalid marketplaceId {marketplace}.")
            position = seller.marketplace_ids.index(marketplace)
        return events(money.ledger(book, after, before, self.app.world_time(), position))

    def list_financial_event_groups(
        self, request: Request, seller: Seller, token: AccessToken
    ) -> Any:
        size = int_param(request, "MaxResultsPerPage", 10, 1, 100)
        found = self._range(
            request,
            "FinancialEventGroupStartedAfter",
            "FinancialEventGroupStartedBefore",
            required=False,
        )

        def build() -> list[tuple[str, int]]:
            if found is None:
                return []
            after, before = found
            periods = range(money.period_of(after), money.period_of(before) + 1)
            return [
                (marketplace_id, period)
                for period in periods
                if after <= money.period_bounds(period)[0] < before
                for marketplace_id in seller.marketplace_ids
            ]

        groups, offset = self._page(request, seller, "NextToken", build)
        page = groups[offset : offset + size]
        payload: dict[str, Any] = {
            "FinancialEventGroupList": [self._group(seller, m, p) for m, p in page]
        }
        next_token = self._next(request, seller, "NextToken", groups, offset + size, len(groups))
        if next_token:
            payload["NextToken"] = next_token
        return {"payload": payload}

    def _group(self, seller: Seller, marketplace_id: str, period: int) -> dict[str, Any]:
        now = self.app.world_time()
        start, end = money.period_bounds(period)
        market = MARKETPLACES[marketplace_id]
        book = self.app.world.order_books[seller.seller_id]
        position = seller.marketplace_ids.index(marketplace_id)
        total = int(money.ledger(book, start, end, now, position).amount.sum())
        closed = now >= end
        group: dict[str, Any] = {
            "FinancialEventGroupId": group_id(seller.seller_id, marketplace_id, period),
            "ProcessingStatus": "Closed" if closed else "Open",
            "OriginalTotal": currency(total, market),
            "BeginningBalance": currency(0, market),
            "FinancialEventGroupStart": posted_time(start),
        }
        if closed:
            deposit = end + money.DEPOSIT_DELAY
            group["FinancialEventGroupEnd"] = posted_time(end)
            group["ConvertedTotal"] = currency(total, market)
            group["FundTransferStatus"] = "Succeeded" if now >= deposit else "Processing"
            group["TraceId"] = _digest("trace", group["FinancialEventGroupId"], length=20).upper()
            group["AccountTail"] = f"{int(_digest('tail', seller.seller_id), 16) % 1000:03d}"
            if now >= deposit:
                group["FundTransferDate"] = posted_time(deposit)
        return group

    def list_financial_events(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        size = int_param(request, "MaxResultsPerPage", 100, 1, 100)
        found = self._range(request, "PostedAfter", "PostedBefore")

        def build() -> Events:
            return self._events(seller, *found, None) if found else events(_empty_ledger())

        snapshot, offset = self._page(request, seller, "NextToken", build)
        renderer = EventRenderer(self.app.world, seller)
        lists: dict[str, list[dict[str, Any]]] = {name: [] for name in EVENT_LISTS}
        for k in range(offset, min(offset + size, len(snapshot))):
            name, event = renderer.v0(snapshot, k)
            lists[name].append(event)
        payload: dict[str, Any] = {"FinancialEvents": lists}
        next_token = self._next(
            request, seller, "NextToken", snapshot, offset + size, len(snapshot)
        )
        if next_token:
            payload["NextToken"] = next_token
        return {"payload": payload}

    def list_transactions(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        found = self._range(request, "postedAfter", "postedBefore")
        marketplace = request.query.get("marketplaceId")

        def build() -> Events:
            return self._events(seller, *found, marketplace) if found else events(_empty_ledger())

        snapshot, offset = self._page(request, seller, "nextToken", build)
        renderer = EventRenderer(self.app.world, seller)
        end = min(offset + TRANSACTIONS_PAGE, len(snapshot))
        payload: dict[str, Any] = {
            "transactions": [renderer.transaction(snapshot, k) for k in range(offset, end)]
        }
        next_token = self._next(request, seller, "nextToken", snapshot, end, len(snapshot))
        if next_token:
            payload["nextToken"] = next_token
        return {"payload": payload}


def _empty_ledger() -> money.Ledger:
    return money.Ledger(
        *(np.zeros(0, dtype) for dtype in (float, np.int64, np.int64, bool, np.int8, np.int64))
    )


def register(service: SpApiService) -> None:
    api = FinancesApi(service)
    service.route(
        "GET",
        "/finances/v0/financialEventGroups",
        "financesV0.listFinancialEventGroups",
        api.list_financial_event_groups,
    )
    service.route(
        "GET",
        "/finances/v0/financialEvents",
        "financesV0.listFinancialEvents",
        api.list_financial_events,
    )
    service.route(
        "GET",
        "/finances/2024-06-19/transactions",
        "finances_2024-06-19.listTransactions",
        api.list_transactions,
    )
