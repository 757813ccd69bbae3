"""How Seller Central wrote the files AIM and MWS both hand out: text in the marketplace's
legacy charset, local times with the zone's abbreviation, and the feed processing summary
before a feed's error rows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sandbox.core.serialize import tsv_bytes
from sandbox.seed.marketplaces import MARKETPLACES

# recorded: `text/plain;charset=windows-1252`, and `windows-31j` for Japan
CHARSETS = {"JP": ("windows-31j", "cp932")}
DEFAULT_CHARSET = ("windows-1252", "cp1252")
SUMMARY_HEADER = ("original-record-number", "sku", "error-code", "error-type", "error-message")


def local_time(ts: float, marketplace_id: str) -> str:
    """`2009-06-10 03:12:33 PDT`: the marketplace's wall clock and zone abbreviation."""
    zone = ZoneInfo(MARKETPLACES[marketplace_id].timezone)
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def charset(marketplace_id: str) -> tuple[str, str]:
    """(name on the wire, Python codec)."""
    return CHARSETS.get(MARKETPLACES[marketplace_id].country_code, DEFAULT_CHARSET)


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
