"""Reports of any type: createReport, getReport polled with backoff, getReportDocument, then
the document downloaded, checked and parsed into keyed Arrow tables for dlt.

Every account's reports run in parallel inside that account's shared createReport and
getReportDocument buckets. A report Amazon already has (a stopped run's, or anyone's with the
same type, marketplaces and window) is used instead of a new one. CANCELLED is no data; FATAL
is re-created a bounded number of times, then recorded as a failure that names the report
while everything else loads.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pendulum
import pyarrow as pa
from dlt.extract.resource import DltResource

from sources.common.concurrency import interleave
from sources.common.failures import Failures, guarded
from sources.common.memory import relaxed_gc
from sources.common.redact import redact_text
from sources.sp_api import documents
from sources.sp_api.client import SpApiClient
from sources.sp_api.exceptions import (
    AccessDeniedError,
    ConfigurationError,
    InvalidRequestError,
    LwaError,
    NotFoundError,
    ReportError,
    ReportFatalError,
    ReportTimeoutError,
    SpApiError,
)
from sources.sp_api.order_history import SPLITS_STATE, OrderHistory
from sources.sp_api.paginators import TokenOnlyPaginator
from sources.sp_api.report_catalog import ReportSpec, TableSpec
from sources.sp_api.report_windows import Coverage, Window, amazon_windows, iso, parse, plan

log = logging.getLogger("sources.sp_api")

REPORTS_PATH = "/reports/2021-06-30/reports"
GET_REPORT = "reports_2021-06-30.getReport"
TERMINAL = ("DONE", "CANCELLED", "FATAL")
IN_FLIGHT = ("IN_QUEUE", "IN_PROGRESS")
# between getReport polls: 15 s, then half as long again each time, at most 2 minutes
POLLS = (15.0, 1.5, 120.0)
REUSE_DAYS = 7  # how far back getReports is searched for a report to reuse
ERROR_DOCUMENT_BYTES = 1 << 20
ERROR_TEXT_CHARS = 500
REPORT_ERRORS = (ReportError, SpApiError)
COALESCE_ROWS = 10_000


@dataclass(frozen=True)
class ReportSettings:
    specs: tuple[ReportSpec, ...]
    start: pendulum.DateTime  # where windows of types without their own history begin
    history: OrderHistory
    fatal_retries: int = 2
    timeout_seconds: float = 7200.0  # polling a run gives a report, at Amazon's pace
    max_document_bytes: int = 8 << 30
    memory_limit: str = "64MB"  # DuckDB's, for all the documents being parsed
    workers: int = 64  # reports in flight per account, at most
    parses: int = 2  # documents parsed at once


@dataclass(frozen=True)
class ReportBatch:
    """Rows of one report for one table."""

    table: str
    rows: pa.Table


@dataclass(frozen=True)
class Report:
    """A report as getReport describes it."""

    data: Mapping[str, Any]

    @property
    def report_id(self) -> str:
        return str(self.data["reportId"])

    @property
    def status(self) -> str:
        return str(self.data["processingStatus"])

    @property
    def end(self) -> pendulum.DateTime:
        return parse(self.data.get("dataEndTime") or self.data["createdTime"])

    def ref(self) -> documents.ReportRef:
        return documents.ReportRef(
            self.report_id,
            str(self.data["reportType"]),
            tuple(self.data.get("marketplaceIds") or ()),
            str(self.data.get("dataStartTime") or ""),
            str(self.data.get("dataEndTime") or ""),
        )


@dataclass(frozen=True)
class Parsing:
    """The run's document parser: one DuckDB, and how many documents it parses at once."""

    database: duckdb.DuckDBPyConnection
    slots: threading.BoundedSemaphore


@dataclass(frozen=True)
class AccountRun:
    """What every report job of one account shares in a run."""

    client: SpApiClient
    settings: ReportSettings
    listings: Listings
    splits: dict[str, str]  # where each seller's order history splits (source state)
    parsing: Parsing


class Job:
    """One report type for one account (or one of its marketplaces)."""

    def __init__(
        self,
        shared: AccountRun,
        spec: ReportSpec,
        marketplaces: tuple[str, ...],
        state: dict[str, Any],
    ) -> None:
        self.client, self.settings, self.listings = shared.client, shared.settings, shared.listings
        self.splits, self.parsing = shared.splits, shared.parsing
        self.spec, self.marketplaces, self.state = spec, marketplaces, state
        self.name = f"{spec.report_type} ({','.join(marketplaces)})"

    def windows(self) -> tuple[Coverage, list[Window]]:
        """The job's windows for this run, and the coverage that tracks them."""
        cursor = self.state.get("cursor")
        if self.spec.kind == "amazon":
            since = parse(cursor) if cursor else None
            listed = self.listings.reports(self.spec.report_type, self.marketplaces, since, True)
            found = amazon_windows(listed, cursor)
            return Coverage(self.spec, self.state, found), found
        now = self.client.server_now()
        until = now.start_of("day")
        start = self.settings.start
        if self.spec.kind == "backfill":
            split = self.settings.history.split(self.client, self.splits)
            until = min(split, until)
        elif self.spec.history_days is not None:
            start = max(start, until.subtract(days=self.spec.history_days))
        found = plan(
            self.spec, cursor, bool(self.state.get("pending")), start.start_of("day"), until
        )
        return Coverage(self.spec, self.state, found), found

    def tasks(self) -> list[Callable[[], Iterator[ReportBatch]]]:
        coverage, found = self.windows()
        return [partial(self.run, coverage, window) for window in found]

    def run(self, coverage: Coverage, window: Window) -> Iterator[ReportBatch]:
        """One window: a report to resume, reuse or create, awaited, then loaded."""
        report = self.acquire(coverage, window)
        for attempt in itertools.count():
            report = self.await_report(report)
            if report.status == "FATAL":
                details = self.error_details(report)
                log.warning("report %s is FATAL: %s", report.ref(), details)
                coverage.abandoned(window)
                if attempt >= self.settings.fatal_retries:
                    raise ReportFatalError(
                        f"report {report.ref()} is FATAL after {attempt + 1} attempt(s): {details}",
                        operation="reports_2021-06-30.getReport",
                        code="FATAL",
                    )
                report = self.create(coverage, window)
                continue
            if report.status == "CANCELLED":
                log.info("report %s was CANCELLED: no data", report.ref())
            else:
                yield from self.load(report, window)
            coverage.done(window, self.data_end(report, window))
            return

    def data_end(self, report: Report, window: Window) -> pendulum.DateTime:
        """Where a finished report's data stops, on our windows' grid."""
        if self.spec.kind in ("snapshot", "amazon"):
            return window.end
        return report.end.add(seconds=1) if self.spec.inclusive_end else report.end

    def acquire(self, coverage: Coverage, window: Window) -> Report:
        if window.listed is not None:
            return Report(window.listed)
        awaited = coverage.awaited(window)
        if awaited is not None:
            log.info("report %s: resuming %s", self.name, awaited["report_id"])
            try:
                return Report(self.client.rest.get(f"{REPORTS_PATH}/{awaited['report_id']}").json())
            except (InvalidRequestError, NotFoundError):
                log.info("report %s: %s is gone; creating another", self.name, awaited["report_id"])
                coverage.abandoned(window)
        found = self.reusable(window)
        if found is not None:
            log.info("report %s: reusing %s", found.ref(), found.status)
            coverage.started(window, found.report_id, found.end)
            return found
        return self.create(coverage, window)

    def request_window(self, window: Window) -> tuple[str, str] | None:
        """dataStartTime and dataEndTime as sent (snapshots send neither)."""
        if self.spec.kind == "snapshot":
            return None
        end = window.end.subtract(seconds=1) if self.spec.inclusive_end else window.end
        return iso(window.start), iso(end)

    def reusable(self, window: Window) -> Report | None:
        """A report Amazon has (in flight or done) for this type, marketplaces and window."""
        if not self.spec.reusable:
            return None
        since = self.client.server_now().subtract(days=REUSE_DAYS)
        candidates = []
        sent = self.request_window(window)
        for data in self.listings.reports(self.spec.report_type, self.marketplaces, since):
            if set(data.get("marketplaceIds") or ()) != set(self.marketplaces):
                continue
            report = Report(data)
            if sent is None:
                if parse(data["createdTime"]).start_of("day") != window.start:
                    continue
            else:
                start, end = parse(data["dataStartTime"]), report.end
                if start != parse(sent[0]) or not start < end <= parse(sent[1]):
                    continue
            candidates.append(report)
        # a finished report first, then the one reaching furthest
        candidates.sort(key=lambda r: (r.status == "DONE", r.end), reverse=True)
        return candidates[0] if candidates else None

    def create(self, coverage: Coverage, window: Window) -> Report:
        body: dict[str, Any] = {
            "reportType": self.spec.report_type,
            "marketplaceIds": list(self.marketplaces),
        }
        sent = self.request_window(window)
        if sent is not None:
            body["dataStartTime"], body["dataEndTime"] = sent
        if self.spec.options:
            body["reportOptions"] = dict(self.spec.options)
        report_id = str(self.client.rest.post(REPORTS_PATH, json=body).json()["reportId"])
        log.info("report %s %s: created %s", self.name, sent or "snapshot", report_id)
        end = window.end if sent is None else parse(sent[1])
        coverage.started(window, report_id, end)
        return Report({"reportId": report_id, "processingStatus": "IN_QUEUE"})

    def await_report(self, report: Report) -> Report:
        """getReport until the report ends; polls back off, at the pace the server keeps."""
        announced = False
        limit = self.settings.timeout_seconds
        for _ in self.client.polls(GET_REPORT, *POLLS, limit):
            data = self.client.rest.get(f"{REPORTS_PATH}/{report.report_id}").json()
            report = Report(data)
            if report.status in TERMINAL:
                return report
            if report.status == "IN_PROGRESS" and not announced:
                announced = True
                log.info("report %s is IN_PROGRESS", report.ref())
        raise ReportTimeoutError(
            f"report {report.ref()} is still {report.status} after {limit / 60:.0f} minutes; "
            "the next run resumes it",
            operation=GET_REPORT,
        )

    def error_details(self, report: Report) -> str:
        """The FATAL report's error document (its format is undocumented: shown as text)."""
        document_id = report.data.get("reportDocumentId")
        if not document_id:
            return "Amazon gave no error document"
        with tempfile.TemporaryDirectory(prefix="amazon-elt-") as workdir:
            document = documents.download(
                self.client, document_id, report.ref(), Path(workdir), ERROR_DOCUMENT_BYTES
            )
            text = document.path.read_text("utf-8", errors="replace")
        return redact_text(" ".join(text.split())[:ERROR_TEXT_CHARS])

    def load(self, report: Report, window: Window) -> Iterator[ReportBatch]:
        ref = report.ref()
        snapshot = (window.start if self.spec.kind == "snapshot" else report.end).format(
            "YYYY-MM-DD"
        )
        constants = documents.engine_columns(
            self.spec, ref, self.client.account.seller_id, snapshot
        )
        with tempfile.TemporaryDirectory(prefix="amazon-elt-") as workdir:
            document = documents.download(
                self.client,
                str(report.data["reportDocumentId"]),
                ref,
                Path(workdir),
                self.settings.max_document_bytes,
            )
            rows = 0
            with self.parsing.slots:
                for table, batch in documents.parse(
                    document, self.spec, constants, ref, self.parsing.database
                ):
                    rows += batch.num_rows
                    yield ReportBatch(table.name, batch)
        log.info("report %s: %s rows (%s)", ref, f"{rows:,}", document.charset)


class Listings:
    """getReports answers per account and report type, shared by that type's jobs."""

    def __init__(self, client: SpApiClient) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._found: dict[tuple[str, bool], list[Mapping[str, Any]]] = {}

    def reports(
        self,
        report_type: str,
        marketplaces: tuple[str, ...],
        since: pendulum.DateTime | None,
        done_only: bool = False,
    ) -> list[Mapping[str, Any]]:
        with self._lock:
            key = (report_type, done_only)
            if key not in self._found:
                self._found[key] = self._list(report_type, since, done_only)
            found = self._found[key]
        return [r for r in found if set(r.get("marketplaceIds") or ()) <= set(marketplaces)]

    def _list(
        self, report_type: str, since: pendulum.DateTime | None, done_only: bool
    ) -> list[Mapping[str, Any]]:
        params: dict[str, Any] = {
            "reportTypes": report_type,
            "processingStatuses": "DONE" if done_only else ",".join(("DONE", *IN_FLIGHT)),
            "marketplaceIds": ",".join(self.client.account.marketplace_ids),
            "pageSize": 100,
        }
        if since is not None:
            params["createdSince"] = iso(since.add(seconds=1) if done_only else since)
        pages = self.client.paginate(
            REPORTS_PATH,
            ("reportId", "processingStatus"),
            params=params,
            paginator=TokenOnlyPaginator(),
            data_selector="reports",
        )
        return [report for page in pages for report in page]


def _jobs(shared: AccountRun, state: dict[str, Any]) -> list[Job]:
    account = shared.client.account
    if not account.marketplace_ids:
        raise ConfigurationError(
            f"{account.config_key}.marketplace_ids is needed to request reports for it"
        )
    jobs = []
    for spec in shared.settings.specs:
        scopes = (
            [(m,) for m in account.marketplace_ids]
            if spec.scope == "marketplace"
            else [account.marketplace_ids]
        )
        for marketplaces in scopes:
            key = f"{spec.report_type}|{','.join(marketplaces)}"
            jobs.append(Job(shared, spec, marketplaces, state.setdefault(key, {})))
    return jobs


def _tasks(job: Job, failures: Failures | None) -> list[Callable[[], Iterator[ReportBatch]]]:
    """The job's windows as guarded tasks; a job that cannot even plan fails alone, unless
    the whole account is refused."""
    table, key = job.spec.tables[0].name, f"{job.client.account.name} {job.name}"
    try:
        return [partial(guarded, task, failures, table, key, REPORT_ERRORS) for task in job.tasks()]
    except REPORT_ERRORS as error:
        if failures is None or isinstance(error, LwaError | AccessDeniedError):
            raise
        log.error("%s [%s] failed: %s", table, key, error)
        failures.add(table, key, error)
        return []


def _account_reports(
    client: SpApiClient,
    settings: ReportSettings,
    state: dict[str, Any],
    splits: dict[str, str],
    parsing: Parsing,
    failures: Failures | None,
) -> Iterator[ReportBatch]:
    """Every report job of one account, windows of different types interleaved."""
    shared = AccountRun(client, settings, Listings(client), splits, parsing)
    try:
        queues = [_tasks(job, failures) for job in _jobs(shared, state)]
    except (SpApiError, ConfigurationError) as error:
        if failures is None:
            raise
        log.error("reports [%s] failed: %s", client.account.name, error)
        failures.add("reports", client.account.name, error)
        return
    ordered = [task for row in itertools.zip_longest(*queues) for task in row if task]
    # a thread per window: creation is paced by the createReport bucket alone, never held back
    # by windows still downloading or waiting for the consumer
    yield from interleave(ordered, workers=min(settings.workers, len(ordered)), buffer=1)


@dlt.resource(name="report_documents", selected=False)
def report_documents(
    clients: list[SpApiClient], settings: ReportSettings, failures: Failures | None = None
) -> Iterator[ReportBatch]:
    """Rows of every configured report type for every account, accounts in parallel."""
    state: dict[str, Any] = dlt.current.resource_state().setdefault("jobs", {})
    splits: dict[str, str] = dlt.current.source_state().setdefault(SPLITS_STATE, {})
    # relaxed_gc hands freed memory back as it ends: after the parser's database is let go
    with relaxed_gc(), documents.SHARED.use(settings.memory_limit) as database:
        parsing = Parsing(database, threading.BoundedSemaphore(settings.parses))
        producers = [
            partial(
                _account_reports,
                client,
                settings,
                state.setdefault(client.account.seller_id, {}),
                splits,
                parsing,
                failures,
            )
            for client in clients
        ]
        yield from coalesced(interleave(producers, workers=len(producers), buffer=1))


def coalesced(batches: Iterator[ReportBatch], rows: int = COALESCE_ROWS) -> Iterator[ReportBatch]:
    """Small batches of one table joined into few large ones: dlt's cost is per item, and
    most reports are small."""
    pending: dict[str, list[pa.Table]] = {}
    counts: dict[str, int] = {}
    for batch in batches:
        if batch.rows.num_rows >= rows:
            yield batch
            continue
        pending.setdefault(batch.table, []).append(batch.rows)
        counts[batch.table] = counts.get(batch.table, 0) + batch.rows.num_rows
        if counts[batch.table] >= rows:
            counts.pop(batch.table)
            yield ReportBatch(batch.table, _concat(pending.pop(batch.table)))
    for table, parts in pending.items():
        yield ReportBatch(table, _concat(parts))


def _concat(parts: list[pa.Table]) -> pa.Table:
    # documents of one type may differ in columns (extra ones, or numbers int in one, float in
    # another): the union of columns, types promoted
    return pa.concat_tables(parts, promote_options="permissive")


def report_table(spec: ReportSpec, table: TableSpec) -> DltResource:
    """A transformer that takes one table's batches, with that table's keys."""

    def rows(batch: ReportBatch) -> Iterator[pa.Table]:
        if batch.table == table.name:
            yield batch.rows

    # a backfill's windows are disjoint and in the past, each loaded once, atomically with the
    # coverage that records it, and a row lies in the window of its last update (which can
    # only move to now): its rows are appended, no key twice. Merging them would stage and
    # copy every row again, 45% of a 1M-row report's load time (measured)
    return dlt.transformer(
        rows,
        name=table.name,
        primary_key=documents.primary_key(spec, table),
        merge_key=documents.merge_key(table),
        write_disposition="append" if spec.kind == "backfill" else "merge",
    )
