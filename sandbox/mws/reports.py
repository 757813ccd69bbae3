"""MWS Reports 2009-01-01: RequestReport, GetReportRequestList, GetReportList (with their
ByNextToken pages) and GetReport, for `_GET_MERCHANT_LISTINGS_DATA_`.

A request moves _SUBMITTED_ -> _IN_PROGRESS_ -> _DONE_ on the virtual clock; each seller
also has a history of earlier requests, so that listings page with HasNext and NextToken.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.clock import Mark, SandboxClock
from sandbox.core.pagination import TokenBook
from sandbox.core.routing import Response
from sandbox.mws import documents, tokens
from sandbox.mws.exceptions import REPORTS_NS, InvalidParameterValueError, MissingParameterError
from sandbox.mws.wire import MwsCall, iso, respond
from sandbox.world import seller_central

if TYPE_CHECKING:
    from sandbox.app import App

LISTINGS = "_GET_MERCHANT_LISTINGS_DATA_"
REPORT_TYPES = (LISTINGS,)
SUBMITTED_SECONDS = 60.0  # pace seconds in _SUBMITTED_, then in _IN_PROGRESS_
PROGRESS_SECONDS = 120.0
HISTORY = 24  # earlier requests per seller, one a quarter
MAX_COUNT_DEFAULT, MAX_COUNT_LIMIT = 10, 100


@dataclass(frozen=True)
class ReportRequest:
    request_id: str
    report_type: str
    marketplace_id: str
    start: float
    end: float
    submitted: Mark

    def status(self, pace: float) -> str:
        if pace < self.submitted.pace + SUBMITTED_SECONDS:
            return "_SUBMITTED_"
        if pace < self.submitted.pace + SUBMITTED_SECONDS + PROGRESS_SECONDS:
            return "_IN_PROGRESS_"
        return "_DONE_"

    def completed(self, clock: SandboxClock) -> float:
        return clock.world_at(self.submitted.pace + SUBMITTED_SECONDS + PROGRESS_SECONDS)

    @property
    def report_id(self) -> str:
        return str(int(self.request_id) * 1000 + 17)

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
        if status == "_DONE_":
            info["CompletedDate"] = iso(self.completed(clock))
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
                        seller.marketplace_ids[n % len(seller.marketplace_ids)],
                        origin - (HISTORY - n) * 91 * 86400.0 - 30 * 86400.0,
                        origin - (HISTORY - n) * 91 * 86400.0,
                        self.app.clock.mark_at(origin - (HISTORY - n) * 91 * 86400.0 + 5.0),
                    )
                    for n in range(HISTORY)
                ][::-1]
            return self._requests[seller.seller_id]

    def request_report(self, call: MwsCall) -> Response:
        report_type = call.params.get("ReportType")
        if not report_type:
            raise MissingParameterError(message="ReportType is required.")
        if report_type not in REPORT_TYPES:
            raise InvalidParameterValueError(message=f"Invalid ReportType: {report_type}.")
        marketplaces = call.list_param("MarketplaceIdList.Id") or [call.seller.marketplace_ids[0]]
        if marketplaces[0] not in call.seller.marketplace_ids:
            raise InvalidParameterValueError(message=f"Invalid MarketplaceId: {marketplaces[0]}.")
        submitted = self.app.clock.mark()
        requests = self.requests_of(call)
        with self._lock:
            number = int(max(r.request_id for r in requests)) + 1
            request = ReportRequest(
                str(number),
                report_type,
                marketplaces[0],
                call.time_param("StartDate") or submitted.world,
                call.time_param("EndDate") or submitted.world,
                submitted,
            )
            requests.insert(0, request)
        info = request.info(self.app.clock)
        return respond("RequestReport", {"ReportRequestInfo": info}, REPORTS_NS)

    def _filtered(self, call: MwsCall) -> list[ReportRequest]:
        now, pace = self.app.clock.timestamp(), self.app.clock.pace()
        ids = set(call.list_param("ReportRequestIdList.Id"))
        types = set(call.list_param("ReportTypeList.Type"))
        statuses = set(call.list_param("ReportProcessingStatusList.Status"))
        since = call.time_param("RequestedFromDate") or 0.0
        return [
            r
            for r in self.requests_of(call)
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
        items = self._filtered(call)
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
        done = [r for r in self._filtered(call) if r.status(pace) == "_DONE_"]
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
                for r in self.requests_of(call)
                if r.report_id == report_id and r.status(pace) == "_DONE_"
            ),
            None,
        )
        if request is None:
            raise InvalidParameterValueError(message=f"Invalid ReportId: {report_id}.")
        world = self.app.world
        body = documents.listings_report(
            world.catalog, call.seller, request.marketplace_id, min(request.end, call.now)
        )
        return documents.text_response(body, seller_central.charset(request.marketplace_id)[0])


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
