"""Report and feed documents MWS hands out: TSV in the marketplace's legacy charset, with a
Content-MD5 header, and zone abbreviations in their times as Seller Central wrote them."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from sandbox.core.routing import Response
from sandbox.core.serialize import tsv_bytes
from sandbox.seed.catalog import Catalog
from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.sellers import Seller

# recorded: `text/plain;charset=windows-1252`, and `windows-31j` for Japan
CHARSETS = {"JP": ("windows-31j", "cp932")}
DEFAULT_CHARSET = ("windows-1252", "cp1252")
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
SUMMARY_HEADER = ("original-record-number", "sku", "error-code", "error-type", "error-message")


def local_time(ts: float, marketplace_id: str) -> str:
    """`2009-06-10 03:12:33 PDT`: the marketplace's wall clock and zone abbreviation."""
    zone = ZoneInfo(MARKETPLACES[marketplace_id].timezone)
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def charset(marketplace_id: str) -> tuple[str, str]:
    """(name on the wire, Python codec)."""
    return CHARSETS.get(MARKETPLACES[marketplace_id].country_code, DEFAULT_CHARSET)


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


def processing_summary(processed: int, errors: list[tuple]) -> list[str]:
    """The `Feed Processing Summary:` preamble AIM and MWS put before their error rows."""
    return [
        "Feed Processing Summary:",
        f"\tNumber of records processed\t\t{processed}",
        f"\tNumber of records successful\t\t{processed - len(errors)}",
        "",
    ]


def summary_document(processed: int, errors: list[tuple], codec: str = "cp1252") -> bytes:
    return tsv_bytes(SUMMARY_HEADER, errors, codec, preamble=processing_summary(processed, errors))
