"""Marketplace facts the sandbox serves (ids from the SP-API marketplace table)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Marketplace:
    marketplace_id: str
    country_code: str  # ISO 3166 (GB, not UK), as the Sellers API answers
    name: str
    domain: str
    currency: str
    minor_digits: int
    language: str
    region: str
    timezone: str
    usd_rate: float  # local price per USD
    order_prefixes: tuple[str, ...]


MARKETPLACES: dict[str, Marketplace] = {
    m.marketplace_id: m
    for m in (
        Marketplace(
            "ATVPDKIKX0DER",
            "US",
            "Amazon.com",
            "www.amazon.com",
            "USD",
            2,
            "en_US",
            "na",
            "America/Los_Angeles",
            1.0,
            ("111", "112", "113", "114"),
        ),
        Marketplace(
            "A2EUQ1WTGCTBG2",
            "CA",
            "Amazon.ca",
            "www.amazon.ca",
            "CAD",
            2,
            "en_CA",
            "na",
            "America/Los_Angeles",
            1.36,
            ("701", "702"),
        ),
        Marketplace(
            "A1F83G8C2ARO7P",
            "GB",
            "Amazon.co.uk",
            "www.amazon.co.uk",
            "GBP",
            2,
            "en_GB",
            "eu",
            "Europe/London",
            0.79,
            ("202", "203", "204", "205", "206"),
        ),
        Marketplace(
            "A1PA6795UKMFR9",
            "DE",
            "Amazon.de",
            "www.amazon.de",
            "EUR",
            2,
            "de_DE",
            "eu",
            "Europe/Berlin",
            0.92,
            ("302", "303", "304", "305", "306"),
        ),
        Marketplace(
            "A1VC38T7YXB528",
            "JP",
            "Amazon.co.jp",
            "www.amazon.co.jp",
            "JPY",
            0,
            "ja_JP",
            "fe",
            "Asia/Tokyo",
            150.0,
            ("249", "250", "503"),
        ),
    )
}
