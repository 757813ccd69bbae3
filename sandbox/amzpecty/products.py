"""Snapshot, variation and match data drawn from the seeded catalog and listings.

Every figure is a function of (ASIN, marketplace, virtual day): the same question on the same
day gets the same answer, and answers drift as the clock moves. Prices are in the
marketplace's currency; the buy box is the lowest of our sellers' listings and a competitor.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sandbox.seed.catalog import Catalog, Product
from sandbox.seed.marketplaces import MARKETPLACES, Marketplace
from sandbox.seed.sellers import Seller

DAY = 86400.0
CONDITION_FACTORS = {
    "new": 1.0,
    "used": 0.72,
    "collectible": 1.35,
    "refurbished": 0.84,
    "all": 0.72,
}
RIVALS = ("Prime Deals Co", "BestBuyz Outlet", "Rheinhandel GmbH", "Kanto Trading", "Maple Goods")
OPTIONS = ["Color", "Size"]


def unit(*parts: object) -> float:
    """A uniform number in [0, 1) fixed by `parts` (no shared random state)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def upc(asin: str) -> str:
    """A product's 12-digit UPC-A, with its check digit."""
    body = f"{int(unit('upc', asin) * 10**11):011d}"
    odd = sum(int(d) for d in body[0::2])
    even = sum(int(d) for d in body[1::2])
    return body + str((10 - (3 * odd + even) % 10) % 10)


def marketplace_for(domain: str) -> Marketplace | None:
    return next((m for m in MARKETPLACES.values() if m.domain == domain), None)


def money(amount: float, market: Marketplace) -> str:
    """The documented `buyboxPrice` is a string ("237.xx"), in the marketplace's minor digits."""
    return f"{amount:.{market.minor_digits}f}"


@dataclass
class ProductData:
    """Answers the three queues from one catalog; built once per world."""

    catalog: Catalog
    sellers: list[Seller]

    @cached_property
    def by_asin(self) -> dict[str, Product]:
        return self.catalog.by_asin()

    @cached_property
    def children(self) -> dict[str, list[Product]]:
        families: dict[str, list[Product]] = {}
        for product in self.catalog.products:
            if product.parent_asin:
                families.setdefault(product.parent_asin, []).append(product)
        return families

    @cached_property
    def by_product_id(self) -> dict[str, Product]:
        """UPC-A and its EAN-13 form ("0" + UPC)."""
        ids: dict[str, Product] = {}
        for product in self.catalog.products:
            code = upc(product.asin)
            ids[code] = ids["0" + code] = product
        return ids

    @cached_property
    def offers(self) -> dict[tuple[str, str], list[tuple[str, int]]]:
        """(asin, marketplace id) -> our sellers' (name, price in minor units)."""
        found: dict[tuple[str, str], list[tuple[str, int]]] = {}
        names = {seller.seller_id: seller.name for seller in self.sellers}
        for seller_id, listings in self.catalog.listings.items():
            for listing in listings:
                asin = self.catalog.products[listing.product_index].asin
                for marketplace_id, price in listing.prices_minor.items():
                    found.setdefault((asin, marketplace_id), []).append((names[seller_id], price))
        return found

    def is_parent(self, asin: str) -> bool:
        return asin in self.catalog.parents

    def buy_box(self, product: Product, market: Marketplace, day: int, condition: str):
        """(price, seller name): the lowest of a daily competitor offer and our listings."""
        factor = 0.88 + 0.24 * unit("price", product.asin, market.marketplace_id, day)
        rival = product.usd_price_cents / 100 * market.usd_rate * factor
        offers = [(rival, RIVALS[int(unit("rival", product.asin, day) * len(RIVALS))])]
        for name, minor in self.offers.get((product.asin, market.marketplace_id), []):
            offers.append((minor / 10**market.minor_digits, name))
        price, seller = min(offers)
        return price * CONDITION_FACTORS[condition], seller

    def sales_rank(self, product: Product, market: Marketplace, day: int) -> int:
        drift = 0.6 + 0.8 * unit("rank", product.asin, market.marketplace_id, day)
        return max(1, round(product.sales_rank * drift))

    def snapshot(
        self, query: str, market: Marketplace, at: float, condition: str, exclude_moq: bool
    ) -> dict[str, Any]:
        """`asinsnapshot` data; fields past `buyboxPrice` are not public, so ours (a guess)."""
        product = self.by_asin[query]
        day = int(at // DAY)
        price, seller = self.buy_box(product, market, day, condition)
        return {
            "queryAsin": query,
            "asin": product.asin,
            "itemName": product.title(market.marketplace_id),
            "brand": product.brand,
            "salesRank": self.sales_rank(product, market, day),
            "totalQty": int(unit("qty", product.asin, market.marketplace_id, day) * 240)
            + (0 if exclude_moq else 5),
            "buyboxPrice": money(price, market),
            "currency": market.currency,
            "buyboxSellerName": seller,
            "parentAsin": product.parent_asin,
            "domain": market.domain,
            "condition": condition,
            "productUrl": f"https://{market.domain}/dp/{product.asin}",
        }

    def variations(self, parent: str, market: Marketplace, at: float) -> dict[str, Any]:
        """`productvariations` data for a parent ASIN of the catalog."""
        day = int(at // DAY)
        children = self.children.get(parent, [])
        variants = []
        for child in children:
            price, seller = self.buy_box(child, market, day, "new")
            variants.append(
                {
                    "asin": child.asin,
                    "productUrl": f"https://{market.domain}/dp/{child.asin}",
                    "option1": OPTIONS[0],
                    "option1Value": child.color,
                    "option2": OPTIONS[1],
                    "option2Value": child.size,
                    "BBSellerName": seller,
                    "buyboxPrice": money(price, market),
                    "salesRank": self.sales_rank(child, market, day),
                }
            )
        titles = self.catalog.parents[parent]
        language = {"de": 1, "ja": 2}.get(market.language[:2], 0)
        return {
            "parentAsin": parent,
            "itemName": titles[language],
            "salesRank": min((v["salesRank"] for v in variants), default=None),
            "options": OPTIONS,
            "totalVariations": len(variants),
            "variants": variants,
        }

    def matches(self, product_id: str, market: Marketplace, at: float, expanded: bool):
        """`matchasins` data: the catalog product carrying this UPC/EAN, if any."""
        product = self.by_product_id.get(product_id)
        found = []
        if product is not None:
            match: dict[str, Any] = {
                "asin": product.asin,
                "itemName": product.title(market.marketplace_id),
                "link": f"https://{market.domain}/dp/{product.asin}",
                "imageUrl": f"https://images.sandbox.invalid/{product.asin}.jpg",
            }
            if expanded:  # the expanded fields are not public: ours
                match.update(
                    brand=product.brand,
                    parentAsin=product.parent_asin,
                    salesRank=self.sales_rank(product, market, int(at // DAY)),
                )
            found.append(match)
        return {"productId": product_id, "totalMatch": len(found), "match": found}
