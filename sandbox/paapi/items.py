"""ECS operations over the seeded catalog: ItemLookup (up to ten ids, batches of two
parameter sets) and ItemSearch (ten items a page), with response groups and in-body errors.

An item's offers are the seeded sellers' listings in the locale's marketplace; its sales rank
drifts with virtual time, so repeated lookups make a price and rank history.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from sandbox.seed.catalog import Product
from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.world import World

PAGE_SIZE = 10
MAX_ITEM_IDS = 10
MAX_SETS = 2  # batch requests: `ItemLookup.1.*` and `ItemLookup.2.*`, a third is invalid
DEFAULT_GROUPS = {"ItemLookup": ("Small",), "ItemSearch": ("Small",)}
GROUPS = {
    "Small": {"ItemAttributes"},
    "Medium": {"ItemAttributes", "SalesRank", "OfferSummary", "Images"},
    "Large": {"ItemAttributes", "SalesRank", "OfferSummary", "Offers", "Images"},
    "ItemAttributes": {"ItemAttributes"},
    "SalesRank": {"SalesRank"},
    "OfferSummary": {"OfferSummary"},
    "Offers": {"OfferSummary", "Offers"},
    "Images": {"Images"},
    "Request": set(),
}
SORTS = ("salesrank", "price", "-price", "titlerank")
_ASIN = re.compile(r"^[0-9A-Z]{10}$")


def item_page_limit(version: str) -> int:
    """400 pages in the 2009-era guide; 10 from API version 2011-08-01."""
    return 10 if version >= "2011-08-01" else 400


class Catalog:
    """The world's products as ECS sees them in one marketplace, for one caller: its links
    carry the caller's key id (`SubscriptionId`) and associate tag, as Amazon's did."""

    def __init__(
        self, world: World, marketplace_id: str, now: float, caller: str, tag: str | None = None
    ) -> None:
        self.world = world
        self.market = MARKETPLACES[marketplace_id]
        self.now = now
        self.caller = caller
        self.tag = tag
        self.by_asin = world.catalog.by_asin()
        self._offers: dict[str, list[tuple[str, str, int]]] = {}
        for seller in world.sellers:
            for listing in world.catalog.listings[seller.seller_id]:
                price = listing.prices_minor.get(marketplace_id)
                if price is not None:
                    asin = world.catalog.products[listing.product_index].asin
                    self._offers.setdefault(asin, []).append((seller.seller_id, listing.sku, price))

    def offers(self, product: Product) -> list[tuple[str, str, int]]:
        """(seller id, sku, price in minor units) of each seller listing it here."""
        return self._offers.get(product.asin, [])

    def sales_rank(self, product: Product) -> int:
        week = self.now / (7 * 86400.0)
        return max(1, round(product.sales_rank * (1 + 0.15 * math.sin(week + len(product.asin)))))

    def item(self, product: Product, groups: set[str]) -> dict[str, Any]:
        market = self.market
        item: dict[str, Any] = {"ASIN": product.asin}
        if product.parent_asin:
            item["ParentASIN"] = product.parent_asin
        item["DetailPageURL"] = self.detail_page_url(product.asin)
        if "SalesRank" in groups:
            item["SalesRank"] = self.sales_rank(product)
        if "Images" in groups:
            item["SmallImage"] = {
                "URL": f"https://images.sandbox.example/{product.asin}._SL75_.jpg",
                "Height": {"@Units": "pixels", "#text": 75},
                "Width": {"@Units": "pixels", "#text": 75},
            }
        if "ItemAttributes" in groups:
            item["ItemAttributes"] = {
                "Brand": product.brand,
                "Color": product.color,
                "Size": product.size,
                "Manufacturer": product.brand,
                "ProductGroup": product.category,
                "Title": product.title(market.marketplace_id),
            }
        offers = self.offers(product)
        if "OfferSummary" in groups:
            summary: dict[str, Any] = {"TotalNew": len(offers), "TotalUsed": 0}
            if offers:
                summary["LowestNewPrice"] = self.money(min(o[2] for o in offers))
            item["OfferSummary"] = summary
        if "Offers" in groups:
            item["Offers"] = {
                "TotalOffers": len(offers),
                "TotalOfferPages": 1 if offers else 0,
                "Offer": [
                    {
                        "Merchant": {"MerchantId": seller_id},
                        "OfferAttributes": {"Condition": "New"},
                        "OfferListing": {
                            "OfferListingId": f"{seller_id}.{sku}",
                            "Price": self.money(price),
                            "Availability": "Usually ships in 24 hours",
                        },
                    }
                    for seller_id, sku, price in offers
                ],
            }
        return item

    def detail_page_url(self, asin: str) -> str:
        """As ECS 2011-08-01 wrote it (recorded): the caller's key id first, then the tag."""
        query = {"SubscriptionId": self.caller, "tag": self.tag, "linkCode": "xm2",
                 "camp": "2025", "creative": "165953", "creativeASIN": asin}  # fmt: skip
        found = urlencode({k: v for k, v in query.items() if v})
        return f"https://{self.market.domain}/dp/{asin}?{found}"

    def money(self, minor: int) -> dict[str, Any]:
        market = self.market
        shown = f"{minor}" if market.minor_digits == 0 else f"{minor / 100:.2f}"
        return {
            "Amount": minor,
            "CurrencyCode": market.currency,
            "FormattedPrice": f"{market.currency} {shown}",
        }


def response_groups(operation: str, params: Mapping[str, str]) -> tuple[list[str], set[str]]:
    names = [g for g in (params.get("ResponseGroup") or "").split(",") if g]
    names = names or list(DEFAULT_GROUPS[operation])
    bad = [g for g in names if g not in GROUPS]
    if bad:
        raise InBodyError(
            "AWS.InvalidResponseGroup", f"{bad[0]} is not a valid value for ResponseGroup."
        )
    return names, set().union(*(GROUPS[g] for g in names))


class InBodyError(Exception):
    """An error Amazon reports inside a 200 answer's `Items/Request/Errors`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# legacy.md records the code (its fixture's message is German); the English text is a guess
INVALID_ACCOUNT = InBodyError(
    "AWS.InvalidAccount",
    "Your AccessKey Id is not registered for Product Advertising API. Please use the AccessKey "
    "Id obtained after registering at https://affiliate-program.amazon.com/assoc_credentials/home.",
)


def refused(error: InBodyError) -> dict[str, Any]:
    """An `Items` element that answers a whole parameter set with one error, no items."""
    return {
        "Request": {
            "IsValid": "False",
            "Errors": {"Error": [{"Code": error.code, "Message": error.message}]},
        }
    }


def lookup(catalog: Catalog, params: Mapping[str, str]) -> dict[str, Any]:
    """One ItemLookup parameter set's `Items` element: good items kept, bad ids reported."""
    request: dict[str, Any] = {"IsValid": "True"}
    errors = []
    items = []
    try:
        groups, wanted = response_groups("ItemLookup", params)
        ids = [i for i in (params.get("ItemId") or "").split(",") if i]
        request["ItemLookupRequest"] = {
            "IdType": params.get("IdType", "ASIN"),
            "ItemId": ids,
            "ResponseGroup": groups,
        }
        if not ids:
            raise InBodyError(
                "AWS.MinimumParameterRequirement",
                "Your request should have atleast 1 of the following parameters: 'ItemId'.",
            )
        if len(ids) > MAX_ITEM_IDS:
            raise InBodyError(
                "AWS.ExceededMaximumParameterValues",
                f"Your request contained a restricted parameter combination. ItemId takes at "
                f"most {MAX_ITEM_IDS} values.",
            )
        for item_id in ids:
            product = catalog.by_asin.get(item_id)
            if product is None or not _ASIN.match(item_id):
                errors.append(
                    {
                        "Code": "AWS.InvalidParameterValue",
                        "Message": f"{item_id} is not a valid value for ItemId. Please change "
                        "this value and retry your request.",
                    }
                )
            else:
                items.append(catalog.item(product, wanted))
    except InBodyError as error:
        request["IsValid"] = "False"
        errors.append({"Code": error.code, "Message": error.message})
    if errors:
        request["Errors"] = {"Error": errors}
    return {"Request": request, "Item": items}


def search(catalog: Catalog, params: Mapping[str, str], version: str) -> dict[str, Any]:
    """One ItemSearch page: keyword, title or brand match, sorted, ten items a page."""
    request: dict[str, Any] = {"IsValid": "True"}
    body: dict[str, Any] = {"Request": request}
    try:
        groups, wanted = response_groups("ItemSearch", params)
        echo = {
            k: params[k]
            for k in ("Keywords", "Title", "Brand", "SearchIndex", "Sort", "ItemPage")
            if params.get(k)
        }
        request["ItemSearchRequest"] = {**echo, "ResponseGroup": groups}
        if not params.get("SearchIndex"):
            raise InBodyError(
                "AWS.MinimumParameterRequirement",
                "Your request should have atleast 1 of the following parameters: 'SearchIndex'.",
            )
        limit = item_page_limit(version)
        page_text = params.get("ItemPage", "1")
        page = int(page_text) if page_text.isdigit() else 0
        if not 1 <= page <= limit:
            raise InBodyError(
                "AWS.ParameterOutOfRange",
                f"The value you specified for ItemPage is invalid. Valid values must be between "
                f"1 and {limit}.",
            )
        sort = params.get("Sort", "salesrank")
        if sort not in SORTS:
            raise InBodyError(
                "AWS.InvalidEnumeratedParameter", "The value you specified for Sort is invalid."
            )
        words = [w.lower() for w in (params.get("Keywords") or "").split()]
        title = (params.get("Title") or "").lower()
        brand = (params.get("Brand") or "").lower()
        market_id = catalog.market.marketplace_id
        found = [
            p
            for p in catalog.world.catalog.products
            if all(w in p.title(market_id).lower() or w == p.brand.lower() for w in words)
            and title in p.title(market_id).lower()
            and (not brand or p.brand.lower() == brand)
        ]
        keys = {
            "salesrank": lambda p: (catalog.sales_rank(p), p.asin),
            "titlerank": lambda p: (p.title(market_id), p.asin),
            "price": lambda p: (p.usd_price_cents, p.asin),
            "-price": lambda p: (-p.usd_price_cents, p.asin),
        }
        found.sort(key=keys[sort])
        body["TotalResults"] = len(found)
        body["TotalPages"] = math.ceil(len(found) / PAGE_SIZE)
        body["Item"] = [
            catalog.item(p, wanted) for p in found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        ]
    except InBodyError as error:
        request["IsValid"] = "False"
        request["Errors"] = {"Error": [{"Code": error.code, "Message": error.message}]}
    return body


def operation_request(params: Mapping[str, str], user_agent: str) -> dict[str, Any]:
    """`OperationRequest`: the echoed arguments every answer starts with."""
    return {
        "HTTPHeaders": {"Header": {"@Name": "UserAgent", "@Value": user_agent}},
        "RequestId": str(uuid.uuid4()),
        "Arguments": {
            "Argument": [{"@Name": k, "@Value": v} for k, v in params.items() if k != "Signature"]
        },
        "RequestProcessingTime": "0.0041",
    }
