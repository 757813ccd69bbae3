"""ECS answers to records, the same for a live answer and a saved file: items (observed at
the request's Timestamp), offers and the per-id errors a 200 answer can carry, from
ItemLookup and ItemSearch alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from sources.common import xml
from sources.common.timefmt import utc_iso
from sources.paapi.settings import DOMAINS


@dataclass
class Parsed:
    items: list[dict[str, Any]] = field(default_factory=list)
    offers: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    total_pages: list[int | None] = field(default_factory=list)  # per `Items`: ItemSearch only


def _argument(root: etree._Element, name: str) -> str | None:
    for argument in xml.descendants(root, "Argument"):
        if argument.get("Name") == name:
            return argument.get("Value")
    return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().lstrip("-").isdigit() else None


def _price(element: etree._Element | None) -> tuple[int | None, str | None]:
    """ECS money: `Amount` in minor units (895 = EUR 8.95) and `CurrencyCode`."""
    return _int(xml.text(element, "Amount")), xml.text(element, "CurrencyCode")


def parse(
    root: etree._Element, source_file: str | None = None, sets: Sequence[Mapping[str, Any]] = ()
) -> Parsed:
    """Every `Item` of every `Items` (batch sets, multiple operations) and every `Error`;
    `sets[n]` are columns for the rows of the n-th `Items` (the search and page it answers)."""
    observed = utc_iso(_argument(root, "Timestamp"))
    request_id = xml.text(xml.child(root, "OperationRequest"), "RequestId") or source_file or ""
    parsed = Parsed()
    index = 0
    for number, group in enumerate(list(xml.descendants(root, "Items")) or [root]):
        lineage = {"source_file": source_file} if source_file else {}
        lineage.update(sets[number] if number < len(sets) else {})
        parsed.total_pages.append(_int(xml.text(group, "TotalPages")))
        for error in xml.descendants(group, "Error"):
            parsed.errors.append(
                {
                    "request_id": request_id,
                    "position": len(parsed.errors),
                    "code": xml.text(error, "Code"),
                    "message": xml.text(error, "Message"),
                    "observed_at": observed,
                    **lineage,
                }
            )
        for item in xml.descendants(group, "Item"):
            _item(parsed, item, observed, lineage, index if source_file else None)
            index += 1
    return parsed


def _item(
    parsed: Parsed,
    item: etree._Element,
    observed: str | None,
    lineage: dict[str, Any],
    source_index: int | None,
) -> None:
    asin = xml.text(item, "ASIN")
    url = xml.text(item, "DetailPageURL") or ""
    marketplace = DOMAINS.get(urlsplit(url.strip()).hostname or "", "unknown")
    if not asin or observed is None:
        return
    lowest, currency = _price(xml.child(item, "OfferSummary", "LowestNewPrice"))
    attributes = xml.child(item, "ItemAttributes")
    parsed.items.append(
        {
            "marketplace_id": marketplace,
            "asin": asin,
            "observed_at": observed,
            "parent_asin": xml.text(item, "ParentASIN"),
            "title": xml.text(attributes, "Title"),
            "brand": xml.text(attributes, "Brand") or xml.text(attributes, "Manufacturer"),
            "product_group": xml.text(attributes, "ProductGroup"),
            "sales_rank": _int(xml.text(item, "SalesRank")),
            "lowest_new_price_minor": lowest,
            "currency_code": currency,
            "total_new": _int(xml.text(item, "OfferSummary", "TotalNew")),
            "detail_page_url": url.strip() or None,
            **({"source_index": source_index} if source_index is not None else {}),
            **lineage,
        }
    )
    for offer in xml.descendants(item, "Offer"):
        listing = xml.child(offer, "OfferListing")
        amount, offer_currency = _price(xml.child(listing, "Price"))
        parsed.offers.append(
            {
                "marketplace_id": marketplace,
                "asin": asin,
                "observed_at": observed,
                "offer_listing_id": xml.text(listing, "OfferListingId") or "",
                "merchant_id": xml.text(offer, "Merchant", "MerchantId"),
                "condition": xml.text(offer, "OfferAttributes", "Condition"),
                "price_minor": amount,
                "currency_code": offer_currency,
                **lineage,
            }
        )
