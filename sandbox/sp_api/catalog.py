"""Catalog Items API 2022-04-01: every seeded product (and variation parent) in every
marketplace, searched by identifiers or keywords, with sales ranks that move day by day."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.core.pagination import TokenBook, TokenError
from sandbox.core.routing import Request
from sandbox.seed.catalog import Catalog, Product
from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.sellers import Seller
from sandbox.sp_api.exceptions import InvalidInputError, NotFoundError
from sandbox.sp_api.params import enum_list, int_param

if TYPE_CHECKING:
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

INCLUDED_DATA = (
    "attributes",
    "classifications",
    "dimensions",
    "identifiers",
    "images",
    "productTypes",
    "relationships",
    "salesRanks",
    "summaries",
    "vendorDetails",
)
IDENTIFIER_TYPES = ("ASIN", "EAN", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC")
MAX_IDENTIFIERS = 20
MAX_RESULTS = 1000  # "at most 1,000 ASINs can be paged through"
TOKEN_TTL = 24 * 3600.0
DAY = 86400.0
ROOT_CLASSIFICATION = {"displayName": "Home & Kitchen", "classificationId": "1055398"}


def _number(text: str, digits: int) -> int:
    return int(hashlib.blake2b(text.encode(), digest_size=8).hexdigest(), 16) % 10**digits


def ean(asin: str) -> str:
    """A stable 13-digit EAN for an ASIN, with a valid check digit."""
    body = f"{_number(asin, 12):012d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def product_type(category: str) -> str:
    return category.upper().replace(" ", "_")


def image(asin: str) -> dict[str, Any]:
    return {
        "link": f"https://m.media-amazon.com/images/I/{asin}.jpg",
        "height": 1000,
        "width": 1000,
    }


def classification(category: str) -> dict[str, Any]:
    return {
        "displayName": category,
        "classificationId": str(10_000_000 + _number(category, 7)),
        "parent": ROOT_CLASSIFICATION,
    }


def sales_rank(product: Product, marketplace_id: str, at: float) -> int:
    """A product's rank moves every (virtual) day, within ±25% of its seeded rank."""
    day = int(at // DAY)
    swing = _number(f"{product.asin}:{marketplace_id}:{day}", 4) / 10_000 - 0.5
    return max(1, round(product.sales_rank * (1 + swing / 2)))


@dataclass(frozen=True)
class CatalogEntry:
    """A product or a variation parent as the catalog shows it."""

    asin: str
    brand: str
    titles: tuple[str, str, str]
    category: str
    product: Product | None  # None for variation parents
    parent: str | None
    children: tuple[str, ...]

    def title(self, marketplace_id: str) -> str:
        language = MARKETPLACES[marketplace_id].language[:2]
        return self.titles[{"en": 0, "de": 1, "ja": 2}.get(language, 0)]


class CatalogIndex:
    """Lookups over one world's catalog: by ASIN, by EAN, by keyword."""

    def __init__(self, catalog: Catalog) -> None:
        children: dict[str, list[str]] = {}
        for product in catalog.products:
            if product.parent_asin:
                children.setdefault(product.parent_asin, []).append(product.asin)
        self.entries: dict[str, CatalogEntry] = {}
        for product in catalog.products:
            self.entries[product.asin] = CatalogEntry(
                product.asin,
                product.brand,
                product.titles,
                product.category,
                product,
                product.parent_asin,
                (),
            )
        by_asin = catalog.by_asin()
        for parent, titles in catalog.parents.items():
            first = by_asin[children[parent][0]]
            self.entries[parent] = CatalogEntry(
                parent, first.brand, titles, first.category, None, None, tuple(children[parent])
            )
        self.by_ean = {ean(asin): asin for asin in self.entries}
        self.asins = sorted(self.entries)


def render(entry: CatalogEntry, marketplaces: list[str], included: set[str], at: float) -> dict:
    """One catalog item with a per-marketplace entry in each included section."""
    item: dict[str, Any] = {"asin": entry.asin}
    product = entry.product
    for section in sorted(included):
        if section == "attributes":
            item["attributes"] = {
                "item_name": [
                    {
                        "value": entry.title(m),
                        "language_tag": MARKETPLACES[m].language,
                        "marketplace_id": m,
                    }
                    for m in marketplaces
                ],
                "brand": [{"value": entry.brand, "marketplace_id": m} for m in marketplaces],
            }
            continue
        if section == "vendorDetails":
            item["vendorDetails"] = []
            continue
        item[section] = [
            {"marketplaceId": m, **_section(section, entry, product, m, at)} for m in marketplaces
        ]
    return item


def _section(
    section: str, entry: CatalogEntry, product: Product | None, marketplace_id: str, at: float
) -> dict[str, Any]:
    if section == "summaries":
        summary: dict[str, Any] = {
            "adultProduct": False,
            "autographed": False,
            "brand": entry.brand,
            "browseClassification": {
                k: v for k, v in classification(entry.category).items() if k != "parent"
            },
            "itemClassification": "BASE_PRODUCT" if product else "VARIATION_PARENT",
            "itemName": entry.title(marketplace_id),
            "manufacturer": entry.brand,
            "memorabilia": False,
            "modelNumber": entry.asin[-6:],
            "packageQuantity": 1,
            "tradeInEligible": False,
            "websiteDisplayGroup": "home_display_on_website",
            "websiteDisplayGroupName": "Home",
        }
        if product is not None and product.color:
            summary["color"] = product.color
        if product is not None and product.size:
            summary["size"] = product.size
        return summary
    if section == "identifiers":
        code = ean(entry.asin)
        return {
            "identifiers": [
                {"identifierType": "EAN", "identifier": code},
                {"identifierType": "GTIN", "identifier": "0" + code},
            ]
        }
    if section == "images":
        return {"images": [{"variant": "MAIN", **image(entry.asin)}]}
    if section == "productTypes":
        return {"productType": product_type(entry.category)}
    if section == "relationships":
        if entry.children:
            theme = {"attributes": ["color", "size"], "theme": "COLOR_NAME/SIZE_NAME"}
            return {
                "relationships": [
                    {
                        "type": "VARIATION",
                        "childAsins": list(entry.children),
                        "variationTheme": theme,
                    }
                ]
            }
        if entry.parent:
            return {"relationships": [{"type": "VARIATION", "parentAsins": [entry.parent]}]}
        return {"relationships": []}
    if section == "salesRanks":
        if product is None:  # variation parents have no rank of their own
            return {"classificationRanks": [], "displayGroupRanks": []}
        rank = sales_rank(product, marketplace_id, at)
        domain = MARKETPLACES[marketplace_id].domain
        category = classification(entry.category)
        return {
            "classificationRanks": [
                {
                    "classificationId": category["classificationId"],
                    "title": entry.category,
                    "link": f"https://{domain}/gp/bestsellers/{category['classificationId']}",
                    "rank": rank,
                }
            ],
            "displayGroupRanks": [
                {
                    "websiteDisplayGroup": "home_display_on_website",
                    "title": "Home & Kitchen",
                    "link": f"https://{domain}/gp/bestsellers/home",
                    "rank": rank * 7,
                }
            ],
        }
    if section == "classifications":
        return {"classifications": [classification(entry.category)]}
    # dimensions
    size = 2.0 + _number(entry.asin, 2) / 10
    inches = {"unit": "inches", "value": round(size, 2)}
    pounds = {"unit": "pounds", "value": round(size / 3, 2)}
    dimensions = {"height": inches, "length": inches, "width": inches, "weight": pounds}
    return {"item": dimensions, "package": dimensions}


class CatalogApi:
    """Handlers; the pagination tokens of keyword searches are this object's only state."""

    def __init__(self, service: SpApiService) -> None:
        self.app = service.app
        self.tokens = TokenBook(lambda: self.app.clock.timestamp(), TOKEN_TTL)
        self.app.on_reset(self.tokens.clear)
        self._index: tuple[object, CatalogIndex] | None = None

    def index(self) -> CatalogIndex:
        world = self.app.world
        if self._index is None or self._index[0] is not world:
            self._index = (world, CatalogIndex(world.catalog))
        return self._index[1]

    @staticmethod
    def _marketplaces(request: Request, most: int | None) -> list[str]:
        ids = request.query_list("marketplaceIds")
        if not ids:
            raise InvalidInputError("marketplaceIds is required.")
        if most is not None and len(ids) > most:
            raise InvalidInputError(f"marketplaceIds accepts at most {most} value(s).")
        unknown = [m for m in ids if m not in MARKETPLACES]
        if unknown:
            raise InvalidInputError(f"Invalid marketplaceIds: {', '.join(unknown)}.")
        return ids

    def _asins_by_identifier(
        self, request: Request, seller: Seller, identifiers: list[str]
    ) -> list[str]:
        kind = request.query.get("identifiersType")
        if kind not in IDENTIFIER_TYPES:
            raise InvalidInputError("identifiersType is required with identifiers.")
        index = self.index()
        if kind == "ASIN":
            found = [i for i in identifiers if i in index.entries]
        elif kind == "EAN":
            found = [index.by_ean[i] for i in identifiers if i in index.by_ean]
        elif kind == "SKU":
            if request.query.get("sellerId") != seller.seller_id:
                raise InvalidInputError("sellerId is required with identifiersType SKU.")
            listings = self.app.world.catalog.listings[seller.seller_id]
            products = self.app.world.catalog.products
            by_sku = {listing.sku: products[listing.product_index].asin for listing in listings}
            found = [by_sku[i] for i in identifiers if i in by_sku]
        else:  # identifier types the seeded catalog does not carry
            found = []
        return list(dict.fromkeys(found))

    def _asins_by_keywords(
        self, request: Request, keywords: list[str], marketplace_id: str
    ) -> list[str]:
        words = [k.lower() for k in keywords]
        brands = request.query_list("brandNames")
        classes = request.query_list("classificationIds")
        index = self.index()
        found = []
        for asin in index.asins:
            entry = index.entries[asin]
            title = entry.title(marketplace_id).lower()
            if not all(word in title for word in words):
                continue
            if brands and entry.brand not in brands:
                continue
            if classes and classification(entry.category)["classificationId"] not in classes:
                continue
            found.append(asin)
        return found

    def search_catalog_items(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        marketplace_id = self._marketplaces(request, most=1)[0]
        included = set(enum_list(request, "includedData", INCLUDED_DATA) or ["summaries"])
        size = int_param(request, "pageSize", 10, 1, 20)
        identifiers = request.query_list("identifiers")
        keywords = request.query_list("keywords")
        if bool(identifiers) == bool(keywords):
            raise InvalidInputError("Exactly one of identifiers and keywords must be provided.")
        for name, values in (("identifiers", identifiers), ("keywords", keywords)):
            if values and len(values) > MAX_IDENTIFIERS:
                raise InvalidInputError(f"{name} accepts at most {MAX_IDENTIFIERS} values.")
        bound = {k: v for k, v in request.query.items() if k != "pageToken"}
        bound["_seller"] = seller.seller_id
        page_token = request.query.get("pageToken")
        if page_token:
            try:
                asins, total, offset = self.tokens.redeem(page_token, bound)
            except TokenError as error:
                raise InvalidInputError(f"Invalid pageToken: {error}.") from None
        else:
            if identifiers:
                asins = self._asins_by_identifier(request, seller, identifiers)
            else:
                asins = self._asins_by_keywords(request, keywords or [], marketplace_id)
            total, asins, offset = len(asins), asins[:MAX_RESULTS], 0
        at = self.app.world_time()
        index = self.index()
        page = asins[offset : offset + size]
        body: dict[str, Any] = {
            "numberOfResults": total,
            "items": [render(index.entries[a], [marketplace_id], included, at) for a in page],
        }
        pagination = {}
        if offset + size < len(asins):
            pagination["nextToken"] = self.tokens.issue(bound, (asins, total, offset + size))
        if offset > 0:
            pagination["previousToken"] = self.tokens.issue(
                bound, (asins, total, max(0, offset - size))
            )
        if pagination:
            body["pagination"] = pagination
        body["refinements"] = _refinements(index, asins if keywords else [])
        return body

    def get_catalog_item(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        asin = request.path_params["asin"]
        if not asin:
            raise InvalidInputError("asin is required.")
        marketplaces = self._marketplaces(request, most=None)
        included = set(enum_list(request, "includedData", INCLUDED_DATA) or ["summaries"])
        entry = self.index().entries.get(asin)
        if entry is None:
            raise NotFoundError(
                f"Requested item '{asin}' not found in marketplace(s) '{','.join(marketplaces)}'."
            )
        return render(entry, marketplaces, included, self.app.world_time())


def _refinements(index: CatalogIndex, asins: list[str]) -> dict[str, Any]:
    brands: dict[str, int] = {}
    classes: dict[str, int] = {}
    for asin in asins:
        entry = index.entries[asin]
        brands[entry.brand] = brands.get(entry.brand, 0) + 1
        classes[entry.category] = classes.get(entry.category, 0) + 1
    return {
        "brands": [{"numberOfResults": n, "brandName": b} for b, n in sorted(brands.items())],
        "classifications": [
            {
                "numberOfResults": n,
                "displayName": c,
                "classificationId": classification(c)["classificationId"],
            }
            for c, n in sorted(classes.items())
        ],
    }


def register(service: SpApiService) -> None:
    api = CatalogApi(service)
    base = "/catalog/2022-04-01/items"
    service.route(
        "GET", base, "catalogItems_2022-04-01.searchCatalogItems", api.search_catalog_items
    )
    service.route(
        "GET",
        base + r"/(?P<asin>[^/]*)",
        "catalogItems_2022-04-01.getCatalogItem",
        api.get_catalog_item,
    )
