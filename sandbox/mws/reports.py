"""MWS Reports 2009-01-01: RequestReport, GetReportRequestList, GetReportList (with their
ByNextToken pages) and GetReport, for the all-orders flat files, the active listings, FBA
inventory and the V2 settlement reports, rendered from the same world as SP-API's.

A request moves _SUBMITTED_ -> _IN_PROGRESS_ -> _DONE_ (or _DONE_NO_DATA_) at the clock's
pace; each seller also has a history of earlier requests, so that listings page with HasNext
and NextToken. Settlement reports cannot be requested: Amazon makes them on its own, and
GetReportList finds them.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING, Any

from sandbox.clock import Mark, SandboxClock
from sandbox.core.pagination import TokenBook
from sandbox.core.routing import Response
from sandbox.mws import documents, tokens
from sandbox.mws.exceptions import REPORTS_NS, InvalidParameterValueError, MissingParameterError
from sandbox.mws.wire import MwsCall, iso, respond
from sandbox.world import seller_central
from sandbox.world.reports import (
    ACTIVE_LISTINGS,
    ALL_ORDERS_BY_DATE,
    ALL_ORDERS_BY_UPDATE,
    FBA_INVENTORY,
    V2_SETTLEMENT,
    DocumentType,
    Scope,
    settlement_reports,
)

if TYPE_CHECKING:
    from sandbox.app import App

LISTINGS = "_GET_MERCHANT_LISTINGS_DATA_"
SETTLEMENT = "_GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_"
REPORT_TYPES: dict[str, DocumentType] = {
    "_GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_": ALL_ORDERS_BY_UPDATE,
    "_GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_": ALL_ORDERS_BY_DATE,
    LISTINGS: ACTIVE_LISTINGS,
    # the reference lists this FBA inventory report's columns; it only names
    # _GET_AFN_INVENTORY_DATA_, which the sandbox therefore does not serve
    "_GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA_": FBA_INVENTORY,
    SETTLEMENT: V2_SETTLEMENT,
}
SUBMITTED_SECONDS = 60.0  # pace seconds in _SUBMITTED_, then in _IN_PROGRESS_
PROGRESS_SECONDS = 120.0
HISTORY = 24  # earlier requests per seller, one a quarter
MAX_COUNT_DEFAULT, MAX_COUNT_LIMIT = 10, 100
RETENTION = 90 * 86400.0  # settlement reports listed: SP-API's "retained for 90 days"


@dataclasses.dataclass(frozen=True)
class ReportRequest:
    request_id: str
    report_type: str
    marketplace_ids: tuple[str, ...]
    start: float
    end: float
    submitted: Mark
    no_data: bool = False  # ends _DONE_NO_DATA_: Amazon makes no report of nothing
    settlement_id: str | None = None  # only Amazon's own settlement reports have one
    generated_id: str | None = None  # a report id not derived from the request's

    def status(self, pace: float) -> str:
        if pace < self.submitted.pace + SUBMITTED_SECONDS:
            return "_SUBMITTED_"
        if pace < self.submitted.pace + SUBMITTED_SECONDS + PROGRESS_SECONDS:
            return "_IN_PROGRESS_"
        return "_DONE_NO_DATA_" if self.no_data else "_DONE_"

    def completed(self, clock: SandboxClock) -> float:
        return clock.world_at(self.submitted.pace + SUBMITTED_SECONDS + PROGRESS_SECONDS)

    @property
    def report_id(self) -> str:
        return self.generated_id or str(int(self.request_id) * 1000 + 17)

    def info(self, clock: SandboxClock) -> dict[str, Any]:
        status = self.status(clock.pace())
        info: dict[str, Any] = {
            "ReportType": self.report_type,
            "ReportProcessingStatus": status,
            "EndDate": iso(self.end),
            "Scheduled": False,
            "ReportRequestId": self.request_id,
            "SubmittedDate": iso(self.submitted.world),
            "StartDate": iso(self.start),
        }
        if status != "_SUBMITTED_":
            started = clock.world_at(self.submitted.pace + SUBMITTED_SECONDS)
            info["StartedProcessingDate"] = iso(started)
        if status in ("_DONE_", "_DONE_NO_DATA_"):
            info["CompletedDate"] = iso(self.completed(clock))
        if status == "_DONE_":
            info["GeneratedReportId"] = self.report_id
        return info


class MwsReports:
    def __init__(self, app: App) -> None:
        self.app = app
        self.tokens = TokenBook(app.clock.timestamp, tokens.TOKEN_TTL)
        self._lock = threading.Lock()
        self._requests: dict[str, list[ReportRequest]] = {}
        self._world: object = None
        app.on_reset(self._forget)

    def _forget(self) -> None:
        self.tokens.clear()
        with self._lock:
            self._requests.clear()

    def handlers(self) -> dict[str, Any]:
        return {
            "RequestReport": self.request_report,
            "GetReportRequestList": self.get_report_request_list,
            "GetReportRequestListByNextToken": self.get_report_request_list_by_next_token,
            "GetReportList": self.get_report_list,
            "GetReportListByNextToken": self.get_report_list_by_next_token,
            "GetReport": self.get_report,
        }

    def requests_of(self, call: MwsCall) -> list[ReportRequest]:
        """The seller's requests, newest first; the history is seeded on first sight."""
        seller = call.seller
        with self._lock:
            if self._world is not self.app.world:
                self._world, self._requests = self.app.world, {}
            if seller.seller_id not in self._requests:
                origin = self.app.world.origin
                number = 500_000_000 + 1000 * self.app.world.sellers.index(seller)
                self._requests[seller.seller_id] = [
                    ReportRequest(
                        str(number + n),
                        LISTINGS,
                        (seller.marketplace_ids[n % len(seller.marketplace_ids)],),
                        origin - (HISTORY - n) * 91 * 86400.0 - 30 * 86400.0,
                        origin - (HISTORY - n) * 91 * 86400.0,
                        self.app.clock.mark_at(origin - (HISTORY - n) * 91 * 86400.0 + 5.0),
                    )
                    for n in range(HISTORY)
                ][::-1]
            return self._requests[seller.seller_id]

    def settlements(self, call: MwsCall) -> list[ReportRequest]:
        """The seller's settlement reports as requests Amazon made, oldest first."""
        clock = self.app.clock
        return [
            ReportRequest(
                # a guess: the request behind a settlement report is not recorded
                str(int(found.report_id) + 10_000_000_000),
                SETTLEMENT,
                (found.marketplace_id,),
                found.start,
                found.end,
                clock.mark_at(found.created),
                settlement_id=found.settlement_id,
                generated_id=found.report_id,
            )
            for found in settlement_reports(call.seller, clock.timestamp(), RETENTION)
        ]

    def reports_of(self, call: MwsCall) -> list[ReportRequest]:
        """Every report the seller may list and download, newest first: the seller's own and
        Amazon's settlement reports."""
        mine = self.requests_of(call)
        return sorted([*mine, *self.settlements(call)], key=lambda r: -r.submitted.pace)

    def _scope(self, call: MwsCall, request: ReportRequest, as_of: float) -> Scope:
        marketplace_ids = call.seller.marketplace_ids
        markets = tuple(marketplace_ids.index(m) for m in request.marketplace_ids)
        options = {"settlement_id": request.settlement_id} if request.settlement_id else {}
        world = self.app.world
        return Scope(world, call.seller, markets, request.start, request.end, as_of, options)

    def request_report(self, call: MwsCall) -> Response:
        report_type = call.params.get("ReportType")
        if not report_type:
            raise MissingParameterError(message="ReportType is required.")
        kind = REPORT_TYPES.get(report_type)
        if kind is None:
            raise InvalidParameterValueError(message=f"Invalid ReportType: {report_type}.")
        if not kind.requestable:
            # "Settlement reports cannot be requested or scheduled"; the wording is a guess
            raise InvalidParameterValueError(
                message=f"{report_type} cannot be requested: Amazon schedules settlement "
                "reports itself, and GetReportList finds them."
            )
        marketplaces = call.list_param("MarketplaceIdList.Id") or [call.seller.marketplace_ids[0]]
        unknown = [m for m in marketplaces if m not in call.seller.marketplace_ids]
        if unknown:
            raise InvalidParameterValueError(message=f"Invalid MarketplaceId: {unknown[0]}.")
        submitted = self.app.clock.mark()
        start = call.time_param("StartDate") or submitted.world
        end = call.time_param("EndDate") or submitted.world
        if end < start:
            raise InvalidParameterValueError(message="EndDate must not be before StartDate.")
        requests = self.requests_of(call)
        with self._lock:
            number = int(max(r.request_id for r in requests)) + 1
            request = ReportRequest(
                str(number), report_type, tuple(marketplaces), start, end, submitted
            )
            empty = kind.count(self._scope(call, request, call.now)) == 0
            request = dataclasses.replace(request, no_data=empty)
            requests.insert(0, request)
        info = request.info(self.app.clock)
        return respond("RequestReport", {"ReportRequestInfo": info}, REPORTS_NS)

    def _filtered(self, call: MwsCall, reports: list[ReportRequest]) -> list[ReportRequest]:
        now, pace = self.app.clock.timestamp(), self.app.clock.pace()
        ids = set(call.list_param("ReportRequestIdList.Id"))
        types = set(call.list_param("ReportTypeList.Type"))
        statuses = set(call.list_param("ReportProcessingStatusList.Status"))
        since = call.time_param("RequestedFromDate") or 0.0
        return [
            r
            for r in reports
            if (not ids or r.request_id in ids)
            and (not types or r.report_type in types)
            and (not statuses or r.status(pace) in statuses)
            and since <= r.submitted.world <= now
        ]

    def _list_page(
        self, call: MwsCall, action: str, family: str, items: list, offset: int, size: int
    ) -> Response:
        page, rest = items[offset : offset + size], items[offset + size :]
        body: dict[str, Any] = {"HasNext": bool(rest)}
        element = "ReportRequestInfo" if family == "GetReportRequestList" else "ReportInfo"
        body[element] = [
            r.info(self.app.clock)
            if element == "ReportRequestInfo"
            else _report_info(r, self.app.clock)
            for r in page
        ]
        if rest:
            # recorded on the wire: NextToken after the last info element, HasNext first
            body["NextToken"] = tokens.issue(
                self.tokens, family, call.seller.seller_id, (items, offset + size, size)
            )
        return respond(action, body, REPORTS_NS)

    def get_report_request_list(self, call: MwsCall) -> Response:
        items = self._filtered(call, self.requests_of(call))
        size = _max_count(call)
        return self._list_page(call, "GetReportRequestList", "GetReportRequestList", items, 0, size)

    def _next(self, call: MwsCall, action: str, family: str) -> Response:
        items, offset, size = tokens.redeem(
            self.tokens, family, call.seller.seller_id, call.params.get("NextToken")
        )
        return self._list_page(call, action, family, items, offset, size)

    def get_report_request_list_by_next_token(self, call: MwsCall) -> Response:
        return self._next(call, "GetReportRequestListByNextToken", "GetReportRequestList")

    def get_report_list(self, call: MwsCall) -> Response:
        pace = self.app.clock.pace()
        listed = self._filtered(call, self.reports_of(call))
        done = [r for r in listed if r.status(pace) == "_DONE_"]
        since = call.time_param("AvailableFromDate") or 0.0
        done = [r for r in done if r.completed(self.app.clock) >= since]
        return self._list_page(call, "GetReportList", "GetReportList", done, 0, _max_count(call))

    def get_report_list_by_next_token(self, call: MwsCall) -> Response:
        return self._next(call, "GetReportListByNextToken", "GetReportList")

    def get_report(self, call: MwsCall) -> Response:
        report_id = call.params.get("ReportId")
        if not report_id:
            raise MissingParameterError(message="ReportId is required.")
        pace = self.app.clock.pace()
        request = next(
            (
                r
                for r in self.reports_of(call)
                if r.report_id == report_id and r.status(pace) == "_DONE_"
            ),
            None,
        )
        if request is None:
            raise InvalidParameterValueError(message=f"Invalid ReportId: {report_id}.")
        scope = self._scope(call, request, min(request.completed(self.app.clock), call.now))
        text = b"".join(REPORT_TYPES[request.report_type].render(scope)).decode()
        wire, codec = seller_central.charset(request.marketplace_ids[0])
        # what the marketplace's charset cannot hold becomes "?", as in SP-API's documents
        return documents.text_response(text.encode(codec, "replace"), wire)


def _max_count(call: MwsCall) -> int:
    return call.int_param("MaxCount", MAX_COUNT_DEFAULT, 1, MAX_COUNT_LIMIT)


def _report_info(request: ReportRequest, clock: SandboxClock) -> dict[str, Any]:
    return {
        "ReportId": request.report_id,
        "ReportType": request.report_type,
        "ReportRequestId": request.request_id,
        "AvailableDate": iso(request.completed(clock)),
        "Acknowledged": False,
    }
