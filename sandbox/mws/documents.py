"""Report and feed documents MWS hands out: TSV in the marketplace's legacy charset, with a
Content-MD5 header, and zone abbreviations in their times as Seller Central wrote them."""

from __future__ import annotations

import base64
import hashlib

from sandbox.core.routing import Response
from sandbox.core.serialize import tsv_bytes
from sandbox.seed.catalog import Catalog
from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.sellers import Seller
from sandbox.world.seller_central import charset, local_time

LISTINGS_HEADER = (
    "item-name",
    "item-description",
    "listing-id",
    "seller-sku",
    "price",
    "quantity",
    "open-date",
    "item-is-marketplace",
    "product-id-type",
    "item-condition",
    "asin1",
    "product-id",
    "fulfillment-channel",
)


def text_response(body: bytes, wire_charset: str) -> Response:
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324 - the wire's MD5
    return Response(
        body=body,
        headers={"Content-MD5": md5},
        content_type=f"text/plain;charset={wire_charset}",
    )


def listings_report(catalog: Catalog, seller: Seller, marketplace_id: str, at: float) -> bytes:
    """`_GET_MERCHANT_LISTINGS_DATA_` for one marketplace, as of `at`."""
    rows = []
    market = MARKETPLACES[marketplace_id]
    for n, listing in enumerate(catalog.listings[seller.seller_id]):
        product = catalog.products[listing.product_index]
        minor = listing.prices_minor[marketplace_id]
        price = str(minor) if market.minor_digits == 0 else f"{minor / 100:.2f}"
        opened = at - (n % 900 + 30) * 86400.0
        rows.append(
            (
                product.title(marketplace_id),
                "",
                listing_id(seller, listing.sku, marketplace_id),
                listing.sku,
                price,
                0 if listing.fulfilled_by == "AMAZON" else (n * 7) % 40 + 1,
                local_time(opened, marketplace_id),
                "y",
                "1",
                "11",
                product.asin,
                product.asin,
                "AMAZON_NA" if listing.fulfilled_by == "AMAZON" else "DEFAULT",
            )
        )
    return tsv_bytes(LISTINGS_HEADER, rows, charset(marketplace_id)[1])


def listing_id(seller: Seller, sku: str, marketplace_id: str) -> str:
    key = f"{seller.seller_id}:{sku}:{marketplace_id}"
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return f"{int.from_bytes(digest, 'big') % 10**10:010d}"
