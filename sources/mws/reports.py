"""MWS reports and feeds: the merchant listings report (request, poll, download), the
report request, available report and feed submission lists, and feed processing results;
each also from an archive's saved files."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource
from lxml import etree

from sources.common import tsv, xml
from sources.common.arrow import flat_table, struct_array, text_hints
from sources.common.failures import Failures
from sources.legacy_files import files as archive
from sources.mws import documents
from sources.mws.client import MwsClient
from sources.mws.exceptions import DocumentError
from sources.mws.orders import ARCHIVE_KEY, guarded
from sources.mws.settings import CHARSETS, FEEDS, LISTINGS_REPORT, REPORT_POLL_LIMIT, REPORTS

log = logging.getLogger("sources.mws")

Record = dict[str, Any]


def _rows(seller_id: str, records: list[Record], keys: tuple[str, ...]) -> pa.Table:
    columns = {"seller_id": pa.array([seller_id] * len(records), pa.string())}
    return flat_table(struct_array(records), columns, not_null=keys)


def _lineage(records: list[Record], file: archive.ArchiveFile) -> list[Record]:
    for index, record in enumerate(records):
        record.update(source_file=file.name, source_index=index)
    return records


def _each_account(
    clients: list[MwsClient],
    failures: Failures | None,
    resource: str,
    fetch: Callable[[MwsClient], Iterator[pa.Table]],
) -> Iterator[pa.Table]:
    for client in clients:
        yield from guarded(partial(fetch, client), client.account.name, failures, resource)


def _archived(
    folder: str | None,
    kind: str,
    read: Callable[[archive.ArchiveFile], Iterator[pa.Table]],
    failures: Failures | None,
) -> Iterator[pa.Table]:
    """What `read` makes of the archive's files of `kind` not imported by this resource."""
    if folder:
        state = dlt.current.resource_state()
        yield from archive.load(folder, {kind: read}, state, failures, ARCHIVE_KEY)


def document_text(response: Any, action: str) -> str:
    """A report or feed result body: Content-MD5 checked, decoded by its declared charset."""
    expected = response.headers.get("Content-MD5")
    body = response.content
    if expected and base64.b64encode(hashlib.md5(body).digest()).decode() != expected:  # noqa: S324
        raise DocumentError(f"{action}: the body does not match its Content-MD5", action=action)
    content_type = response.headers.get("Content-Type", "")
    _, _, charset = content_type.lower().partition("charset=")
    charset = charset.split(";")[0].strip().strip('"')
    return tsv.decode(body, CHARSETS.get(charset, charset) if charset else None)


def _listings_of(client: MwsClient) -> Iterator[pa.Table]:
    for marketplace in client.account.marketplace_ids:
        params = {"ReportType": LISTINGS_REPORT, "MarketplaceIdList.Id.1": marketplace}
        info = client.call(REPORTS, "RequestReport", params)
        request_id = xml.text(info, "ReportRequestInfo", "ReportRequestId")
        report_id = None
        for _ in range(REPORT_POLL_LIMIT):  # the quota paces the polls
            found = client.call(
                REPORTS, "GetReportRequestList", {"ReportRequestIdList.Id.1": request_id or ""}
            )
            status = xml.text(found, "ReportRequestInfo", "ReportProcessingStatus")
            if status in ("_DONE_", "_DONE_NO_DATA_", "_CANCELLED_"):
                report_id = xml.text(found, "ReportRequestInfo", "GeneratedReportId")
                break
        if report_id is None:
            log.warning("mws listings [%s]: report %s not done", client.account.name, request_id)
            continue
        response = client.post(REPORTS, "GetReport", {"ReportId": report_id})
        records = documents.listings(document_text(response, "GetReport"))
        for record in records:
            record["marketplace_id"] = marketplace
        if records:
            yield _rows(client.account.seller_id, records, LISTING_KEYS)


LISTING_KEYS = ("seller_id", "listing_id")
# the merchant listings report's columns (text, as the report's): many are empty in every row
LISTING_COLUMNS = ("item_name", "item_description", "seller_sku", "price", "quantity",
                   "open_date", "image_url", "item_is_marketplace", "product_id_type",
                   "zshop_shipping_fee", "item_note", "item_condition", "zshop_category1",
                   "zshop_browse_path", "zshop_storefront_feature", "asin1", "asin2", "asin3",
                   "will_ship_internationally", "expedited_shipping", "zshop_boldface",
                   "product_id", "bid_for_featured_placement", "add_delete", "pending_quantity",
                   "fulfillment_channel", "merchant_shipping_group", "status")  # fmt: skip


@dlt.resource(
    name="listings",
    primary_key=LISTING_KEYS,
    write_disposition="merge",
    columns=text_hints(*LISTING_COLUMNS),
)
def listings(
    clients: list[MwsClient], archive_folder: str | None, failures: Failures | None = None
) -> Iterator[pa.Table]:
    """The merchant listings report per marketplace (`open_date` in UTC), and saved ones."""
    yield from _each_account(clients, failures, "mws listings", _listings_of)
    yield from _archived(archive_folder, archive.MWS_LISTINGS, _saved_listings, failures)


def _saved_listings(file: archive.ArchiveFile) -> Iterator[pa.Table]:
    records = _lineage(documents.listings(file.text()), file)
    if records:
        yield _rows(archive.seller_of(file), records, LISTING_KEYS)


@dataclass(frozen=True)
class Since:
    """How a list is read incrementally: the request's lower bound, the record's time and id."""

    parameter: str
    time: str
    key: str


@dataclass(frozen=True)
class Listing:
    """An MWS list operation (HasNext/NextToken pages), its records and saved-file kind."""

    resource: str
    section: tuple[str, str]
    action: str
    parse: Callable[[etree._Element], list[Record]]
    keys: tuple[str, ...]
    kind: str
    since: Since | None = None  # None: listed whole each run (statuses change)


# every report request MWS remembers, and feeds submitted (read side only)
REPORT_REQUESTS = Listing(
    "report_requests",
    REPORTS,
    "GetReportRequestList",
    documents.report_requests,
    ("seller_id", "report_request_id"),
    archive.MWS_REPORT_REQUESTS,
)
FEED_SUBMISSIONS = Listing(
    "feed_submissions",
    FEEDS,
    "GetFeedSubmissionList",
    documents.feed_submissions,
    ("seller_id", "feed_submission_id"),
    archive.MWS_FEED_SUBMISSIONS,
)
# reports ready to download, new ones since each account's last AvailableDate
AVAILABLE_REPORTS = Listing(
    "reports",
    REPORTS,
    "GetReportList",
    documents.reports,
    ("seller_id", "report_id"),
    archive.MWS_REPORTS,
    Since("AvailableFromDate", "AvailableDate", "ReportId"),
)


def _listed(client: MwsClient, listing: Listing, marks: dict[str, Any]) -> Iterator[pa.Table]:
    """One account's list. Incrementally, from the account's mark (inclusive: the ids listed
    at the mark are remembered and skipped); the mark moves once the whole list is read."""
    seller_id, since = client.account.seller_id, listing.since
    mark = marks.get(seller_id) or {}
    params = {since.parameter: mark["at"]} if since and mark else {}
    listed_before = set(mark.get("ids", ()))
    newest, at_newest = mark.get("at"), set(listed_before)
    for result in client.pages(listing.section, listing.action, params):
        records = listing.parse(result)
        if since:
            records = [r for r in records if r.get(since.key) not in listed_before]
            for record in records:
                moment = record.get(since.time)
                if moment and (newest is None or moment > newest):
                    newest, at_newest = moment, set()
                if moment == newest:
                    at_newest.add(record.get(since.key))
        if records:
            yield _rows(seller_id, records, listing.keys)
    if since and newest:
        marks[seller_id] = {"at": newest, "ids": sorted(at_newest)}


def _listing_rows(
    listing: Listing,
    clients: list[MwsClient],
    archive_folder: str | None,
    failures: Failures | None,
) -> Iterator[pa.Table]:
    marks: dict[str, Any] = dlt.current.resource_state().setdefault("marks", {})
    fetch = partial(_listed, listing=listing, marks=marks)
    yield from _each_account(clients, failures, f"mws {listing.resource}", fetch)
    read = partial(_saved_list, listing)
    yield from _archived(archive_folder, listing.kind, read, failures)


def _saved_list(listing: Listing, file: archive.ArchiveFile) -> Iterator[pa.Table]:
    records = _lineage(listing.parse(file.xml()), file)
    if records:
        yield _rows(archive.seller_of(file), records, listing.keys)


def listing_resource(
    listing: Listing,
    clients: list[MwsClient],
    archive_folder: str | None,
    failures: Failures | None = None,
) -> DltResource:
    """`listing` of every account, then the archive's saved lists, merged by its keys."""
    hints: dict[str, Any] = {"primary_key": listing.keys, "write_disposition": "merge"}
    resource = dlt.resource(_listing_rows, name=listing.resource, **hints)
    return resource(listing, clients, archive_folder, failures)


ERROR_KEYS = ("seller_id", "feed_submission_id", "original_record_number")


def _errors(seller_id: str, submission_id: str, text: str, file: Any = None) -> pa.Table:
    summary = tsv.processing_summary(text)
    records: list[Record] = [
        {
            "feed_submission_id": submission_id,
            "original_record_number": row.pop("original-record-number", None) or str(n),
            "records_processed": summary.records_processed,
            "records_successful": summary.records_successful,
            **row,
        }
        for n, row in enumerate(summary.errors)
    ] or [
        {
            "feed_submission_id": submission_id,
            "original_record_number": "",  # a result without errors still says it was read
            "records_processed": summary.records_processed,
            "records_successful": summary.records_successful,
        }
    ]
    if file is not None:
        _lineage(records, file)
    return _rows(seller_id, records, ERROR_KEYS)


def _results_of(client: MwsClient, fetched: list[str]) -> Iterator[pa.Table]:
    for result in client.pages(FEEDS, "GetFeedSubmissionList", {}):
        for submission in documents.feed_submissions(result):
            submission_id = submission.get("FeedSubmissionId")
            done = submission.get("FeedProcessingStatus") == "_DONE_"
            key = f"{client.account.seller_id}:{submission_id}"
            if not submission_id or not done or key in fetched:
                continue
            response = client.post(
                FEEDS, "GetFeedSubmissionResult", {"FeedSubmissionId": submission_id}
            )
            text = document_text(response, "GetFeedSubmissionResult")
            yield _errors(client.account.seller_id, submission_id, text)
            fetched.append(key)


@dlt.resource(name="feed_errors", primary_key=ERROR_KEYS, write_disposition="merge")
def feed_errors(
    clients: list[MwsClient], archive_folder: str | None, failures: Failures | None = None
) -> Iterator[pa.Table]:
    """Each finished feed's processing summary: its counts, and one row per failed record
    (results are read once; saved results are named `<anything><feed submission id>.txt`)."""
    fetched: list[str] = dlt.current.resource_state().setdefault("fetched", [])
    yield from _each_account(
        clients, failures, "mws feed_errors", partial(_results_of, fetched=fetched)
    )
    yield from _archived(archive_folder, archive.MWS_FEED_RESULT, _saved_result, failures)


def _saved_result(file: archive.ArchiveFile) -> Iterator[pa.Table]:
    submission_id = archive.digits(file.name) or file.name
    yield _errors(archive.seller_of(file), submission_id, file.text(), file)
