"""MWS documents to records, the same for a live answer and a saved file: by local name,
whatever the namespace (it differs between versions and doc samples) or the child order."""

from __future__ import annotations

from typing import Any

from lxml import etree

from sources.common import tsv, xml
from sources.common.timefmt import utc_iso

PII = ("BuyerEmail", "BuyerName", "BuyerCounty", "BuyerTaxInfo", "ShippingAddress")
ORDER_TIMES = ("PurchaseDate", "LastUpdateDate", "EarliestShipDate", "LatestShipDate")
REQUEST_TIMES = ("StartDate", "EndDate", "SubmittedDate", "StartedProcessingDate", "CompletedDate")
FEED_TIMES = ("SubmittedDate", "StartedProcessingDate", "CompletedProcessingDate")
REPORT_TIMES = ("AvailableDate", "AcknowledgedDate")


def _times(record: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """ISO times normalized to UTC `...Z` (doc samples even carry `%3A`-escaped ones)."""
    for name in names:
        if isinstance(record.get(name), str):
            record[name] = utc_iso(record[name])
    return record


def orders(result: etree._Element) -> list[dict[str, Any]]:
    """Orders of a ListOrders, ListOrdersByNextToken or GetOrder result (or response)."""
    found = [o for o in xml.descendants(result, "Order") if xml.local(o.getparent()) == "Orders"]
    return [_times(record, ORDER_TIMES) for record in xml.records(found)]


def order_items(result: etree._Element) -> tuple[str | None, list[dict[str, Any]]]:
    """(AmazonOrderId, items) of a ListOrderItems(ByNextToken) result (or response)."""
    order_id = next((e.text.strip() for e in xml.descendants(result, "AmazonOrderId")), None)
    return order_id, xml.records(xml.descendants(result, "OrderItem"))


def report_requests(result: etree._Element) -> list[dict[str, Any]]:
    found = xml.records(xml.descendants(result, "ReportRequestInfo"))
    return [_times(record, REQUEST_TIMES) for record in found]


def reports(result: etree._Element) -> list[dict[str, Any]]:
    """ReportInfo of a GetReportList(ByNextToken) result: the reports ready to download."""
    found = xml.records(xml.descendants(result, "ReportInfo"))
    return [_times(record, REPORT_TIMES) for record in found]


def feed_submissions(result: etree._Element) -> list[dict[str, Any]]:
    found = xml.records(xml.descendants(result, "FeedSubmissionInfo"))
    return [_times(record, FEED_TIMES) for record in found]


def listings(text: str) -> list[dict[str, Any]]:
    """A `_GET_MERCHANT_LISTINGS_DATA_` report; `open-date` carries a zone abbreviation."""
    records = tsv.rows(text)
    for record in records:
        if record.get("open-date"):
            record["open-date"] = utc_iso(record["open-date"])
    return records


def split_pii(order: dict[str, Any]) -> dict[str, Any]:
    """Removes buyer fields from `order`; returns them (they load only with include_pii)."""
    return {name: order.pop(name) for name in PII if name in order}
