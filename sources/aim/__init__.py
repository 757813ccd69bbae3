"""The `aim` dlt source: Amazon Inventory Management (2004-2010) batches, their error logs and
quick-fix files, order, open listings and batch refund reports for every account, and saved AIM
files of an archive folder."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import dlt
import pyarrow as pa
import requests
from dlt.common.exceptions import TerminalException, TransientException
from dlt.common.typing import TSecretValue
from dlt.extract.resource import DltResource
from lxml import etree

from sources.common import tsv, xml
from sources.common.accounts import account_entries
from sources.common.arrow import flat_table, struct_array, text_hints
from sources.common.clock import SYSTEM_CLOCK, Clock
from sources.common.failures import Failures
from sources.common.ratelimit import Pacer
from sources.common.redact import redact_url, register_secret
from sources.common.retry import RetryPolicy
from sources.common.session import PacedSession, Verdict
from sources.common.stats import ApiStats
from sources.common.timefmt import utc_iso
from sources.legacy_files import files as archive

__all__ = ["aim_source"]
log = logging.getLogger("sources.aim")

PATH = "/exec/panama/seller-admin/"
HOSTS = {"na": "https://secure.amazon.com", "eu": "https://secure.amazon.co.uk"}
# AIM published no rates: a polite pace, and a slow one for status polls (a guess)
PLANS = {"manual-reports/get-report-status": (1 / 30, 2)}
DEFAULT_PLAN = (1.0, 5)
POLL_LIMIT = 40
REPORT_TIMEZONE = "America/Los_Angeles"  # report-status times carry no zone: Pacific, a guess
PII = ("buyer-email", "buyer-name", "recipient-name", "ship-address-1", "ship-address-2",
       "ship-city", "ship-state", "ship-zip", "special-comments")  # fmt: skip
_PAIR = re.compile(r"([a-z]+)=")
ITEM_KEYS = ("seller_id", "order_id", "order_item_id")
LISTING_KEYS = ("seller_id", "sku")
BATCH_KEYS = ("seller_id", "batchid")
ERROR_KEYS = ("seller_id", "batch_id", "original_record_number")
REFUND_KEYS = ("seller_id", "order_id", "payments_transaction_id")
# report columns that may be empty in every row of a load (dlt types no all-null column);
# buyers' columns load only with include_pii, so they are not declared
ORDER_COLUMNS = ("payments_status", "payments_date", "payments_transaction_id", "item_name",
                 "listing_id", "sku", "price", "shipping_fee", "quantity_purchased",
                 "total_price", "purchase_date", "batch_id", "ship_country", "upc",
                 "ship_method")  # fmt: skip
SUMMARY_COUNTS = ("records_processed", "records_successful")  # None without a summary
QUICKFIX_COLUMNS = ("sku", "price", "quantity")
# function, table and state list of the files a batch with errors or warnings has
BATCH_FILES = (("download/errorlog", "batch_errors", "errorlogs"),
               ("download/quickfix", "batch_quickfix", "quickfixes"))  # fmt: skip


class AimError(Exception):
    """An AIM failure token (CUSTOMER_UNAUTHORIZED, FILE_NOT_FOUND ...) or status."""


class AimTransientError(AimError, TransientException):
    pass


class AimTerminalError(AimError, TerminalException):
    pass


def pairs(line: str) -> dict[str, str]:
    """`batchid=1 status=Done dateandtime=08/07/2009 01:48:23 PDT ...`: values may hold
    spaces, so the line is split on its `key=` markers."""
    parts = _PAIR.split(line.strip())
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def batches(root: etree._Element) -> list[dict[str, Any]]:
    records = []
    for element in xml.descendants(root, "Batch"):
        record: dict[str, Any] = pairs(element.text or "")
        if "itemsnotacivated" in record:  # sic, as AIM spells it; accept the fix too
            record["itemsnotactivated"] = record.pop("itemsnotacivated")
        record["dateandtime"] = utc_iso(record.get("dateandtime"))
        records.append(record)
    return records


def reports(root: etree._Element) -> list[dict[str, Any]]:
    found = []
    for element in xml.descendants(root, "Report"):
        record = pairs(element.text or "")
        for name in ("reportstarttime", "reportendtime"):
            record[name] = utc_iso(record.get(name), REPORT_TIMEZONE)  # type: ignore[assignment]
        found.append(record)
    return found


def refund_rows(text: str) -> list[dict[str, Any]]:
    """BatchRefund report lines, keyed by order and payment transaction (blank when a line
    names none, so that the key stays whole)."""
    rows = tsv.rows(text)
    for row in rows:
        row["payments-transaction-id"] = row.get("payments-transaction-id") or ""
    return rows


def order_rows(text: str, include_pii: bool) -> list[dict[str, Any]]:
    rows = tsv.rows(text)
    for row in rows:
        for name in ("purchase-date", "payments-date"):
            row[name] = utc_iso(row.get(name))
        if not include_pii:
            for name in PII:
                row.pop(name, None)
    return rows


class AimSession(PacedSession):
    def __init__(self, *args: Any, config_key: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config_key = config_key

    def assess(self, response: requests.Response, operation: str) -> Verdict:
        if response.status_code == 401:
            return Verdict.FAIL
        return super().assess(response, operation)

    def error_for(self, response, operation, cause=None):  # type: ignore[no-untyped-def]
        if response is None:
            return AimTransientError(f"{operation}: no response ({type(cause).__name__})")
        status = response.status_code
        if status == 401:
            return AimTerminalError(
                f"{operation}: AIM refused the login (401, CUSTOMER_UNAUTHORIZED): check "
                f"{self.config_key}.email / password"
            )
        token = re.sub(r"<[^>]+>", "", response.text).strip()[:80]
        kind = AimTransientError if status >= 500 else AimTerminalError
        return kind(f"{operation} answered {status} {token} at {redact_url(response.url)}")


@dataclass
class AimClient:
    name: str
    seller_id: str
    marketplace_id: str | None
    base_url: str
    session: AimSession
    auth: tuple[str, str] = field(repr=False)

    def post(self, function: str, headers: Mapping[str, str] | None = None) -> requests.Response:
        """Parameters travel as headers; Content-Type is text/xml even for TSV bodies."""
        return self.session.post(
            self.base_url + PATH + function,
            headers={"Content-Type": "text/xml;charset=utf-8", **(headers or {})},
            auth=self.auth,
        )


def make_client(
    account: Mapping[str, Any], endpoint: str | None, clock: Clock, stats: ApiStats,
    policy: RetryPolicy, quota_scale: float,
) -> AimClient:  # fmt: skip
    name = str(account.get("name") or account.get("seller_id"))
    for key in ("seller_id", "email", "password"):
        if not account.get(key):
            raise AimTerminalError(f"sources.aim.accounts[{name}].{key} is required")
    register_secret(str(account["password"]))

    def plan(key: object) -> tuple[float, int]:
        rate, burst = PLANS.get(str(key).removeprefix("aim."), DEFAULT_PLAN)
        return rate * quota_scale, burst

    session = AimSession(
        Pacer(plan, clock),
        lambda request: "aim." + (request.url or "").split(PATH, 1)[-1],
        clock,
        stats,
        policy,
        config_key=f"sources.aim.accounts[{name}]",
    )
    base = endpoint or account.get("endpoint") or HOSTS[str(account.get("region", "na"))]
    marketplace = (account.get("marketplace_ids") or [None])[0]
    return AimClient(
        name, str(account["seller_id"]), marketplace, str(base).rstrip("/"), session,
        (str(account["email"]), str(account["password"])),
    )  # fmt: skip


def _hints(table: str) -> dict[str, dict[str, str]]:
    """Types of the columns `table` may get no value for in a load."""
    counts = {name: {"data_type": "bigint"} for name in SUMMARY_COUNTS}
    if table == "order_items":
        return text_hints(*ORDER_COLUMNS)
    if table == "batch_quickfix":
        return {**text_hints(*QUICKFIX_COLUMNS), **counts}
    return counts if table == "batch_errors" else {}


def _table(name: str, seller_id: str, records: list[dict[str, Any]], keys: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Records as the Arrow table `name`, merged on `keys`."""
    columns = {"seller_id": pa.array([seller_id] * len(records), pa.string())}
    hints = dlt.mark.make_hints(
        table_name=name, write_disposition="merge", primary_key=list(keys), columns=_hints(name)
    )
    return dlt.mark.with_hints(flat_table(struct_array(records), columns, not_null=keys), hints)


def _live(client: AimClient, state: dict[str, Any], days: int, include_pii: bool):  # type: ignore[no-untyped-def]
    seller = client.seller_id
    root = xml.parse(client.post("catalog-upload/get-batches", {"NumberOfBatches": "100"}).content)
    found = batches(root)
    if found:
        yield _table("batches", seller, found, BATCH_KEYS)
    for batch in found:
        if batch.get("status") != "Done":
            continue
        batch_id = str(batch["batchid"])
        key = f"{seller}:{batch_id}"
        problems = sum(int(batch.get(n) or 0) for n in ("itemsnotactivated", "numberofwarnings"))
        for function, table, done in BATCH_FILES:
            loaded = state.setdefault(done, [])
            if key in loaded:
                continue
            if problems > 0:
                response = client.post(function, {"BatchID": batch_id})
                text = tsv.decode(response.content, _charset(response))
                yield from _batch_file(table, seller, batch_id, text)
            loaded.append(key)
    seen = state.setdefault("reports", [])
    for name in ("Order", "OpenListings", "BatchRefund"):
        before = {r["reportid"] for r in reports(xml.parse(_status(client, name).content))}
        client.post(
            "manual-reports/generate-report-now", {"ReportName": name, "NumberOfDays": str(days)}
        )
        for _ in range(POLL_LIMIT):  # the status plan paces the polls
            listed = reports(xml.parse(_status(client, name).content))
            if {r["reportid"] for r in listed} - before:
                break
        for report in listed:
            key = f"{seller}:{report['reportid']}"
            if key in seen:
                continue
            response = client.post("download/report", {"ReportID": report["reportid"]})
            text = tsv.decode(response.content, _charset(response))
            if name == "Order":
                rows, table, keys = order_rows(text, include_pii), "order_items", ITEM_KEYS
            elif name == "BatchRefund":
                rows, table, keys = refund_rows(text), "refunds", REFUND_KEYS
            else:
                rows, table, keys = tsv.rows(text), "open_listings", LISTING_KEYS
            if name != "OpenListings":
                for row in rows:
                    row["marketplace_id"] = client.marketplace_id
            if rows:
                yield _table(table, seller, rows, keys)
            seen.append(key)


def _status(client: AimClient, name: str) -> requests.Response:
    return client.post(
        "manual-reports/get-report-status", {"ReportName": name, "NumberOfReports": "10"}
    )


def _charset(response: requests.Response) -> str | None:
    value = response.headers.get("Content-Type", "").lower().partition("charset=")[2]
    return {"windows-31j": "cp932"}.get(value, value) or None


def _batch_file(
    table: str, seller: str, batch_id: str, text: str, file: Any = None
) -> Iterator[Any]:
    """An error log or a quick-fix file (a "Feed Processing Summary" or a bare TSV); lines
    without a record number are numbered by their place in the file."""
    summary = tsv.processing_summary(text)
    records = []
    for n, row in enumerate(summary.errors):
        record: dict[str, Any] = {
            "batch_id": batch_id,
            "original_record_number": row.pop("original-record-number", None) or str(n),
            "records_processed": summary.records_processed,
            "records_successful": summary.records_successful,
            **row,
        }
        if file is not None:
            record.update(source_file=file.name, source_index=n)
        records.append(record)
    if records:
        yield _table(table, seller, records, ERROR_KEYS)


def _saved_batch_file(table: str, file: archive.ArchiveFile) -> Iterator[Any]:
    batch_id = archive.digits(file.name) or file.name
    yield from _batch_file(table, archive.seller_of(file), batch_id, file.text(), file)


def _saved_report(
    table: str,
    keys: tuple[str, ...],
    records_of: Callable[[archive.ArchiveFile], list[dict[str, Any]]],
    file: archive.ArchiveFile,
) -> Iterator[Any]:
    seller = archive.seller_of(file)
    records = records_of(file)
    for index, record in enumerate(records):
        record.update(source_file=file.name, source_index=index)
    if records:
        yield _table(table, seller, records, keys)


def _open_listings(file: archive.ArchiveFile) -> list[dict[str, Any]]:
    records = tsv.rows(file.text())
    for record in records:
        record.setdefault("sku", record.pop("seller-sku", None))
    return records


def _saved(include_pii: bool) -> dict[str, Callable[[archive.ArchiveFile], Iterator[Any]]]:
    """A reader per kind of saved AIM file."""
    orders = partial(
        _saved_report, "order_items", ITEM_KEYS, lambda f: order_rows(f.text(), include_pii)
    )
    return {
        archive.AIM_BATCH_ERRORS: partial(_saved_batch_file, "batch_errors"),
        archive.AIM_QUICKFIX: partial(_saved_batch_file, "batch_quickfix"),
        archive.AIM_BATCHES: partial(
            _saved_report, "batches", BATCH_KEYS, lambda f: batches(f.xml())
        ),
        archive.AIM_ORDER_REPORT: orders,
        archive.AIM_REFUNDS: partial(
            _saved_report, "refunds", REFUND_KEYS, lambda f: refund_rows(f.text())
        ),
        archive.AIM_OPEN_LISTINGS: partial(
            _saved_report, "open_listings", LISTING_KEYS, _open_listings
        ),
    }


@dlt.resource(name="aim_tables", write_disposition="merge")
def aim_tables(
    clients: list[AimClient],
    days: int,
    include_pii: bool,
    archive_folder: str | None,
    failures: Failures | None,
) -> Iterator[Any]:
    """Tables `batches`, `batch_errors`, `batch_quickfix`, `order_items` (one row per order
    report line), `open_listings` and `refunds`; reports, error logs and quick-fix files already
    loaded are not fetched again."""
    state = dlt.current.resource_state()
    for client in clients:
        try:
            yield from _live(client, state, days, include_pii)
        except (AimError, xml.XmlError) as error:
            if failures is None:
                raise
            log.error("aim [%s] failed: %s", client.name, error)
            failures.add("aim", client.name, error)
    if archive_folder:
        saved = _saved(include_pii)
        yield from archive.load(
            archive_folder, saved, state, failures, "sources.aim.archive_folder"
        )


@dlt.source(name="aim")
def aim_source(
    accounts: TSecretValue | None = None,
    endpoint: str | None = None,
    report_days: int = 30,
    include_pii: bool = False,
    archive_folder: str | None = None,
    quota_scale: float = 1.0,
    max_attempts: int = 8,
    retry_backoff_seconds: float = 1.0,
    clock: Any = None,
    stats: Any = None,
    failures: Any = None,
) -> list[DltResource]:
    """Every account's AIM data ({name, seller_id, email, password, region or endpoint,
    marketplace_ids}; a secret, so that dlt's trace records no password) and
    `archive_folder`'s `<seller id>/` AIM files."""
    if not accounts and not archive_folder:
        raise AimTerminalError("sources.aim needs accounts or an archive_folder")
    policy = RetryPolicy(max_attempts=max_attempts, backoff_base=retry_backoff_seconds)
    entries = (
        account_entries(accounts, "sources.aim.accounts", AimTerminalError) if accounts else []
    )
    clients = [
        make_client(
            a,
            endpoint,
            clock or SYSTEM_CLOCK,
            stats if stats is not None else ApiStats(),
            policy,
            quota_scale,
        )
        for a in entries
    ]
    collector = failures if isinstance(failures, Failures) else None
    return [aim_tables(clients, report_days, include_pii, archive_folder, collector)]
