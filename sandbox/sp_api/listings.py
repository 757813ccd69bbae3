"""Listings Items API 2021-08-01: each seller's listings (the SKUs its orders carry), with
prices, quantities and statuses that move with virtual time (`sandbox/seed/stock.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import numpy as np

from sandbox.core.pagination import TokenBook, TokenError
from sandbox.core.routing import Request
from sandbox.seed.catalog import Listing, Product
from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.sellers import Seller
from sandbox.seed.stock import Stock, price_minor
from sandbox.sp_api.catalog import image, product_type
from sandbox.sp_api.exceptions import InvalidInputError, NotFoundError, UnauthorizedError
from sandbox.sp_api.params import enum_list, int_param, iso, parse_times
from sandbox.world.orders import amount

if TYPE_CHECKING:
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

INCLUDED_DATA = (
    "summaries",
    "attributes",
    "issues",
    "offers",
    "fulfillmentAvailability",
    "procurement",
    "relationships",
    "productTypes",
)
IDENTIFIER_TYPES = ("ASIN", "EAN", "FNSKU", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC")
STATUSES = ("BUYABLE", "DISCOVERABLE")
SORT_FIELDS = ("sku", "createdDate", "lastUpdatedDate")
MAX_RESULTS = 1000  # "at most 1,000 SKUs can be paged through"
TOKEN_TTL = 24 * 3600.0
FBA_CHANNEL = {"na": "AMAZON_NA", "eu": "AMAZON_EU", "fe": "AMAZON_JP"}
IMAGE_ISSUE = {
    "code": "18027",
    "message": "The main image has text, a logo or a watermark that is not permitted.",
    "severity": "WARNING",
    "attributeNames": ["main_product_image_locator"],
    "categories": ["INVALID_IMAGE"],
}


@dataclass(frozen=True)
class Moment:
    """A seller's listings evaluated once, at one virtual moment."""

    at: float
    quantity: np.ndarray
    updated: np.ndarray
    price_factor: np.ndarray

    @classmethod
    def of(cls, stock: Stock, at: float) -> Moment:
        return cls(at, stock.quantity(at), stock.last_updated(at), stock.price_factor(at))


def _issues(index: int) -> list[dict[str, Any]]:
    return [IMAGE_ISSUE] if index % 17 == 3 else []


class ListingsApi:
    """Handlers; the pagination tokens of searches are this object's only state."""

    def __init__(self, service: SpApiService) -> None:
        self.app = service.app
        self.tokens = TokenBook(lambda: self.app.clock.timestamp(), TOKEN_TTL)
        self.app.on_reset(self.tokens.clear)

    def _seller_data(self, seller: Seller) -> tuple[list[Listing], list[Product], Stock]:
        world = self.app.world
        return (
            world.catalog.listings[seller.seller_id],
            world.catalog.products,
            world.stock[seller.seller_id],
        )

    @staticmethod
    def _check_seller(request: Request, seller: Seller) -> None:
        # which answer Amazon gives for another seller's id is not documented: a 403 guess
        if request.path_params["sellerId"] != seller.seller_id:
            raise UnauthorizedError("The sellerId does not match the authorized selling partner.")

    @staticmethod
    def _marketplaces(request: Request, seller: Seller) -> list[str]:
        ids = request.query_list("marketplaceIds")
        if not ids:
            raise InvalidInputError("marketplaceIds is required.")
        unknown = [m for m in ids if m not in seller.marketplace_ids]
        if unknown:
            raise InvalidInputError(f"Invalid marketplaceIds: {', '.join(unknown)}.")
        return ids

    def render(
        self, seller: Seller, index: int, marketplaces: list[str], included: set[str], now: Moment
    ) -> dict[str, Any]:
        listings, products, stock = self._seller_data(seller)
        listing = listings[index]
        product = products[listing.product_index]
        quantity = int(now.quantity[index])
        status = list(STATUSES) if quantity > 0 else ["DISCOVERABLE"]
        fba = listing.fulfilled_by == "AMAZON"
        item: dict[str, Any] = {"sku": listing.sku}
        if "summaries" in included:
            summaries = []
            for m in marketplaces:
                summary = {
                    "marketplaceId": m,
                    "asin": product.asin,
                    "productType": product_type(product.category),
                    "conditionType": "new_new",
                    "status": status,
                    "itemName": product.title(m),
                    "createdDate": iso(stock.created[index]),
                    "lastUpdatedDate": iso(now.updated[index]),
                    "mainImage": image(product.asin),
                }
                if fba:
                    summary["fnSku"] = stock.fnskus[index]
                summaries.append(summary)
            item["summaries"] = summaries
        if "offers" in included:
            item["offers"] = [
                {
                    "marketplaceId": m,
                    "offerType": "B2C",
                    "price": {
                        "currencyCode": MARKETPLACES[m].currency,
                        "amount": amount(self.price(listing, m, now, index), MARKETPLACES[m]),
                    },
                }
                for m in marketplaces
            ]
        if "fulfillmentAvailability" in included:
            channel = FBA_CHANNEL[seller.region] if fba else "DEFAULT"
            item["fulfillmentAvailability"] = [
                {"fulfillmentChannelCode": channel, "quantity": quantity}
            ]
        if "issues" in included:
            item["issues"] = [{**issue, "marketplaceIds": marketplaces} for issue in _issues(index)]
        if "attributes" in included:
            item["attributes"] = {
                "item_name": [
                    {"value": product.title(m), "language_tag": MARKETPLACES[m].language}
                    for m in marketplaces
                ],
                "brand": [{"value": product.brand}],
                "condition_type": [{"value": "new_new"}],
            }
        if "productTypes" in included:
            item["productTypes"] = [
                {"marketplaceId": m, "productType": product_type(product.category)}
                for m in marketplaces
            ]
        if "relationships" in included:
            item["relationships"] = [
                {"marketplaceId": m, "relationships": []} for m in marketplaces
            ]
        if "procurement" in included:
            item["procurement"] = []
        return item

    @staticmethod
    def price(listing: Listing, marketplace_id: str, now: Moment, index: int) -> int:
        market = MARKETPLACES[marketplace_id]
        return price_minor(
            listing.prices_minor[marketplace_id],
            float(now.price_factor[index]),
            market.minor_digits,
        )

    def _select(self, request: Request, seller: Seller, now: Moment) -> list[int]:
        """Indices of the seller's listings that match the search, in the requested order."""
        listings, products, stock = self._seller_data(seller)
        indices = np.arange(len(listings))
        identifiers = request.query_list("identifiers")
        parent_sku = request.query.get("variationParentSku")
        if identifiers and (parent_sku or request.query.get("packageHierarchySku")):
            raise InvalidInputError("identifiers cannot be combined with a parent or package SKU.")
        if identifiers:
            if len(identifiers) > 20:
                raise InvalidInputError("identifiers accepts at most 20 values.")
            kind = request.query.get("identifiersType")
            if kind not in IDENTIFIER_TYPES:
                raise InvalidInputError("identifiersType is required with identifiers.")
            keys = {
                "SKU": [listing.sku for listing in listings],
                "ASIN": [products[listing.product_index].asin for listing in listings],
                "FNSKU": stock.fnskus,
            }.get(kind, [""] * len(listings))
            wanted = set(identifiers)
            indices = np.array([i for i, key in enumerate(keys) if key in wanted], dtype=np.int64)
        elif parent_sku:  # seeded listings have no parent SKUs
            indices = indices[:0]
        times = parse_times(
            request, ["createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"]
        )
        columns = {"created": stock.created, "lastUpdated": now.updated}
        for name, moment in times.items():
            column = columns["created" if name.startswith("created") else "lastUpdated"]
            after = name.endswith("After")
            keep = column[indices] >= moment if after else column[indices] < moment
            indices = indices[keep]
        buyable = now.quantity[indices] > 0
        wanted = set(enum_list(request, "withStatus", STATUSES) or [])
        unwanted = set(enum_list(request, "withoutStatus", STATUSES) or [])
        keep = np.ones(len(indices), dtype=bool)
        if "BUYABLE" in wanted:
            keep &= buyable
        if "BUYABLE" in unwanted:
            keep &= ~buyable
        if "DISCOVERABLE" in unwanted:  # every seeded listing is discoverable
            keep &= False
        indices = indices[keep]
        severities = enum_list(request, "withIssueSeverity", ("WARNING", "ERROR"))
        if severities:
            indices = np.array(
                [i for i in indices if any(x["severity"] in severities for x in _issues(int(i)))],
                dtype=np.int64,
            )
        sort_by = request.query.get("sortBy", "lastUpdatedDate")
        if sort_by not in SORT_FIELDS:
            raise InvalidInputError(f"Invalid sortBy: {sort_by}.")
        order = request.query.get("sortOrder", "DESC")
        if order not in ("ASC", "DESC"):
            raise InvalidInputError(f"Invalid sortOrder: {order}.")
        skus = [listings[int(i)].sku for i in indices]
        if sort_by == "sku":
            ranked = sorted(range(len(skus)), key=skus.__getitem__)
        else:
            column = stock.created if sort_by == "createdDate" else now.updated
            values = column[indices]
            ranked = sorted(range(len(skus)), key=lambda j: (values[j], skus[j]))
        if order == "DESC":
            ranked.reverse()
        return [int(indices[j]) for j in ranked]

    def search_listings_items(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        self._check_seller(request, seller)
        marketplaces = self._marketplaces(request, seller)
        included = set(enum_list(request, "includedData", INCLUDED_DATA) or ["summaries"])
        size = int_param(request, "pageSize", 10, 1, 20)
        bound = {k: v for k, v in request.query.items() if k not in ("pageToken", "pageSize")}
        bound["_seller"] = seller.seller_id
        page_token = request.query.get("pageToken")
        if page_token:
            try:
                selected, total, offset, at = self.tokens.redeem(page_token, bound)
            except TokenError as error:
                raise InvalidInputError(f"Invalid pageToken: {error}.") from None
        else:
            at = self.app.world_time()
            selected = self._select(request, seller, Moment.of(self._seller_data(seller)[2], at))
            total, selected, offset = len(selected), selected[:MAX_RESULTS], 0
        now = Moment.of(self._seller_data(seller)[2], at)
        page = selected[offset : offset + size]
        body: dict[str, Any] = {
            "numberOfResults": total,
            "items": [self.render(seller, i, marketplaces, included, now) for i in page],
        }
        pagination = {}
        if offset + size < len(selected):
            pagination["nextToken"] = self.tokens.issue(bound, (selected, total, offset + size, at))
        if offset > 0:
            state = (selected, total, max(0, offset - size), at)
            pagination["previousToken"] = self.tokens.issue(bound, state)
        if pagination:
            body["pagination"] = pagination
        return body

    def get_listings_item(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        self._check_seller(request, seller)
        marketplaces = self._marketplaces(request, seller)
        included = set(enum_list(request, "includedData", INCLUDED_DATA) or ["summaries"])
        sku = unquote(request.path_params["sku"])
        listings, _, stock = self._seller_data(seller)
        index = next((i for i, listing in enumerate(listings) if listing.sku == sku), None)
        if index is None:
            raise NotFoundError(f"SKU '{sku}' not found in marketplace(s) {marketplaces}.")
        return self.render(
            seller, index, marketplaces, included, Moment.of(stock, self.app.world_time())
        )


def register(service: SpApiService) -> None:
    api = ListingsApi(service)
    base = r"/listings/2021-08-01/items/(?P<sellerId>[^/]*)"
    service.route(
        "GET", base, "listingsItems_2021-08-01.searchListingsItems", api.search_listings_items
    )
    service.route(
        "GET",
        base + r"/(?P<sku>[^/]*)",
        "listingsItems_2021-08-01.getListingsItem",
        api.get_listings_item,
    )
