"""Reports API 2021-06-30: report lifecycle at the clock's pace, Amazon's settlements, and
documents served gzip'd from presigned-style URLs that expire 5 minutes after issue.

A report waits IN_QUEUE, then stays IN_PROGRESS for a time that grows with its rows, then is
DONE (or CANCELLED when it has no rows). Controls under /_sandbox/reports/ make the next
reports FATAL, CANCELLED or stuck, and the next documents truncated, corrupt, undecodable,
a decompression bomb, without a charset, behind an already expired URL, or a given text.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
import secrets
import tempfile
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from sandbox.clock import Mark, SandboxClock
from sandbox.control import add_control, control_body
from sandbox.core.faults import Fault, Faults
from sandbox.core.pagination import TokenBook, TokenError
from sandbox.core.routing import Request, Response
from sandbox.core.serialize import to_json
from sandbox.seed.sellers import Seller
from sandbox.sp_api.documents import DOCUMENT_TYPES, SETTLEMENT
from sandbox.sp_api.exceptions import InvalidInputError
from sandbox.sp_api.params import enum_list, int_param, json_body, parse_time_values, parse_times
from sandbox.world.reports import Scope, settlement_reports

if TYPE_CHECKING:
    from sandbox.app import App
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
RETENTION = 90 * 86400.0  # "Reports are retained for a maximum of 90 days"
URL_LIFETIME = 300.0  # "This URL expires after 5 minutes" (world seconds, at any time scale)
TOKEN_TTL = 24 * 3600.0  # getReports nextToken lifetime: undocumented, a guess
BASE_PROGRESS, ROWS_PER_SECOND, MAX_PROGRESS = 20.0, 2000.0, 1800.0  # pace seconds
SETTLEMENT_PROCESSING = 600.0
# the issue fixes these; the reference cannot confirm which marketplace uses which
FLAT_CHARSETS = {"na": "UTF-8", "eu": "Cp1252", "fe": "Windows-31J"}
CODECS = {"UTF-8": "utf-8", "Cp1252": "cp1252", "Windows-31J": "cp932"}
UNDECODABLE = {"utf-8": b"\xff", "cp1252": b"\x81", "cp932": b"\x85\x40"}
MEDIA_TYPES = {"flat": "text/plain", "json": "application/json", "xml": "text/xml"}
CREATION_FAULTS = ("fatal", "cancelled", "stuck")
DOCUMENT_FAULTS = ("truncate", "corrupt", "undecodable", "bomb", "no_charset")
URL_FAULTS = ("expire_url",)
TEXT_FAULT = "text"  # the next document is this text (in its charset, gzip'd), not the report's
BOMB_BYTES = 64 << 20
# the format of a FATAL report's error document is not documented; a small JSON guess
FATAL_DETAILS = "The report could not be generated because of an internal error (sandbox fault)."


def report_time(moment: float) -> str:
    """Reports answer times like `2024-10-30T06:07:24+00:00`."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(moment))


@dataclass
class Report:
    report_id: str
    seller_id: str
    report_type: str
    marketplace_ids: tuple[str, ...]
    data_start: float
    data_end: float
    options: dict[str, str]
    created: Mark
    queue_seconds: float  # pace seconds, like progress_seconds
    progress_seconds: float
    outcome: str  # what it ends as: DONE, CANCELLED or FATAL
    stuck: bool = False
    released: Mark | None = None
    cancelled_at: float | None = None
    document_id: str | None = None
    error_document_id: str | None = None

    @property
    def created_at(self) -> float:
        return self.created.world

    @property
    def started(self) -> float:
        """The pace at which processing starts."""
        return self.created.pace + self.queue_seconds

    @property
    def done(self) -> float:
        """The pace at which it ends; a stuck report starts over when released."""
        if not self.stuck:
            return self.started + self.progress_seconds
        if self.released is None:
            return math.inf
        return max(self.started, self.released.pace) + self.progress_seconds

    def status(self, pace: float) -> str:
        if self.cancelled_at is not None:
            return "CANCELLED"
        if pace < self.started:
            return "IN_QUEUE"
        if pace < self.done:
            return "IN_PROGRESS"
        return self.outcome

    def wire(self, clock: SandboxClock) -> dict[str, Any]:
        status = self.status(clock.pace())
        body: dict[str, Any] = {
            "reportId": self.report_id,
            "reportType": self.report_type,
            "dataStartTime": report_time(self.data_start),
            "dataEndTime": report_time(self.data_end),
            "marketplaceIds": list(self.marketplace_ids),
            "createdTime": report_time(self.created_at),
            "processingStatus": status,
        }
        if status not in ("IN_QUEUE",) and self.cancelled_at is None:
            body["processingStartTime"] = report_time(clock.world_at(self.started))
        if status in ("DONE", "FATAL", "CANCELLED") and self.cancelled_at is None:
            body["processingEndTime"] = report_time(clock.world_at(self.done))
        if status == "DONE":
            body["reportDocumentId"] = self.document_id
        if status == "FATAL":
            body["reportDocumentId"] = self.error_document_id
        return body


@dataclass
class IssuedUrl:
    seller_id: str
    document_id: str
    expires_at: float


@dataclass
class ReportsState:
    reports: dict[tuple[str, str], Report] = field(default_factory=dict)
    documents: dict[tuple[str, str], tuple[Report, bool]] = field(default_factory=dict)
    urls: dict[str, IssuedUrl] = field(default_factory=dict)


class ReportsApi:
    """Handlers and state; faults are `Fault`s whose service is a report type (or *) and whose
    operation is the fault's kind."""

    def __init__(self, service: SpApiService) -> None:
        self.app = service.app
        self.lock = threading.Lock()
        self.state = ReportsState()
        self.faults = Faults()
        self.tokens = TokenBook(self.app.clock.timestamp, TOKEN_TTL)
        self.ids = itertools.count(50_311_019_412)
        self.url_key = secrets.token_bytes(32)
        self.store = DocumentStore()
        self.app.on_reset(self.reset)

    def reset(self) -> None:
        with self.lock:
            self.state = ReportsState()
            self.ids = itertools.count(50_311_019_412)
        self.faults.clear()
        self.tokens.clear()
        self.store.clear()

    def _scope(self, report: Report, seller: Seller) -> Scope:
        markets = tuple(seller.marketplace_ids.index(m) for m in report.marketplace_ids)
        as_of = min(self.app.clock.world_at(report.done), self.app.world_time())
        return Scope(
            self.app.world,
            seller,
            markets,
            report.data_start,
            report.data_end,
            as_of,
            report.options,
        )

    def _add(self, report: Report) -> Report:
        region = self.app.world.seller(report.seller_id).region
        stem = uuid.uuid5(uuid.NAMESPACE_URL, f"{report.seller_id}/{report.report_id}")
        report.document_id = f"amzn1.spdoc.1.4.{region}.{stem}.T{report.report_id}.1"
        report.error_document_id = f"amzn1.spdoc.1.4.{region}.{stem}.T{report.report_id}.0"
        with self.lock:
            self.state.reports[(report.seller_id, report.report_id)] = report
            self.state.documents[(report.seller_id, report.document_id)] = (report, False)
            self.state.documents[(report.seller_id, report.error_document_id)] = (report, True)
        return report

    def _settlements(self, seller: Seller) -> None:
        """Amazon's own settlement reports: one per marketplace every 14 days, kept 90 days."""
        now = self.app.clock.timestamp()
        for found in settlement_reports(seller, now, RETENTION):
            if (seller.seller_id, found.report_id) in self.state.reports:
                continue
            self._add(
                Report(
                    found.report_id,
                    seller.seller_id,
                    SETTLEMENT,
                    (found.marketplace_id,),
                    found.start,
                    found.end,
                    {"settlement_id": found.settlement_id},
                    self.app.clock.mark_at(found.created),
                    0.0,
                    SETTLEMENT_PROCESSING,
                    "DONE",
                )
            )

    def create_report(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        now = self.app.clock.timestamp()
        body = json_body(request)
        report_type = body.get("reportType")
        if not isinstance(report_type, str) or not report_type:
            raise InvalidInputError("reportType is required.")
        kind = DOCUMENT_TYPES.get(report_type)
        if kind is None:
            raise InvalidInputError(f"Invalid reportType {report_type}.")
        if not kind.requestable:
            # Amazon's wording for this case is not documented; settlements "cannot be requested"
            raise InvalidInputError(f"Report type {report_type} cannot be requested.")
        marketplaces = body.get("marketplaceIds")
        if not isinstance(marketplaces, list) or not 1 <= len(marketplaces) <= 25:
            raise InvalidInputError("marketplaceIds must hold 1 to 25 marketplace ids.")
        unknown = [m for m in marketplaces if m not in seller.marketplace_ids]
        if unknown:
            raise InvalidInputError(f"Invalid marketplaceIds: {', '.join(map(str, unknown))}.")
        options = body.get("reportOptions") or {}
        if not isinstance(options, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in options.items()
        ):
            raise InvalidInputError("reportOptions must map strings to strings.")
        if options.get("dateGranularity", "DAY") != "DAY":
            raise InvalidInputError("The sandbox serves dateGranularity DAY only.")
        times = _body_times(body, ("dataStartTime", "dataEndTime"))
        start, end = times.get("dataStartTime", now), times.get("dataEndTime", now)
        if start > now or end > now:
            raise InvalidInputError("dataStartTime and dataEndTime must not be in the future.")
        if end < start:
            raise InvalidInputError("dataEndTime must not be before dataStartTime.")
        if not kind.needs_window:
            start = end = now
        fault = None
        for name in CREATION_FAULTS:
            if self.faults.take(report_type, name, seller.seller_id):
                fault = name
                break
        with self.lock:
            report_id = str(next(self.ids))
        report = Report(
            report_id,
            seller.seller_id,
            report_type,
            tuple(marketplaces),
            start,
            end,
            dict(options),
            self.app.clock.mark(),
            5.0 + 25.0 * _unit(seller.seller_id, report_id, "queue"),
            0.0,
            "DONE",
            stuck=fault == "stuck",
        )
        rows = kind.count(self._scope(report, seller))
        report.progress_seconds = min(MAX_PROGRESS, BASE_PROGRESS + rows / ROWS_PER_SECOND)
        if fault == "fatal":
            report.outcome = "FATAL"
        elif fault == "cancelled" or rows == 0:
            report.outcome = "CANCELLED"  # Amazon cancels reports with no data
        self._add(report)
        return to_json({"reportId": report_id}, 202)

    def get_reports(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        now, pace = self.app.clock.timestamp(), self.app.clock.pace()
        query = request.query
        bound = {"_seller": seller.seller_id}
        if "nextToken" in query:
            # getReports: nextToken must be the only parameter
            others = sorted(set(query) - {"nextToken"})
            if others:
                raise InvalidInputError(
                    "Specifying nextToken with any other parameters will cause the request "
                    f"to fail: {', '.join(others)}."
                )
            try:
                matches, offset, size = self.tokens.redeem(query["nextToken"], bound)
            except TokenError as error:
                raise InvalidInputError(f"Invalid nextToken: {error}.") from None
        else:
            types = request.query_list("reportTypes")
            if not types:
                raise InvalidInputError("Either reportTypes or nextToken is required.")
            if len(types) > 10:
                raise InvalidInputError("reportTypes must hold 1 to 10 report types.")
            statuses = enum_list(request, "processingStatuses", STATUSES)
            marketplaces = request.query_list("marketplaceIds")
            if marketplaces is not None and not 1 <= len(marketplaces) <= 10:
                raise InvalidInputError("marketplaceIds must hold 1 to 10 marketplace ids.")
            size = int_param(request, "pageSize", 10, 1, 100)
            times = parse_times(request, ["createdSince", "createdUntil"])
            since = max(times.get("createdSince", now - RETENTION), now - RETENTION)
            until = times.get("createdUntil", now)
            if SETTLEMENT in types:
                self._settlements(seller)
            with self.lock:
                candidates = [
                    r for (s, _), r in self.state.reports.items() if s == seller.seller_id
                ]
            matches = [
                report.report_id
                for report in sorted(candidates, key=lambda r: -r.created.pace)
                if report.report_type in types
                and since <= report.created_at <= until
                and (statuses is None or report.status(pace) in statuses)
                and (marketplaces is None or set(marketplaces) & set(report.marketplace_ids))
            ]
            offset = 0
        page = matches[offset : offset + size]
        body: dict[str, Any] = {
            "reports": [self._find(seller, report_id).wire(self.app.clock) for report_id in page]
        }
        if offset + size < len(matches):
            body["nextToken"] = self.tokens.issue(bound, (matches, offset + size, size))
        return body

    def _find(self, seller: Seller, report_id: str) -> Report:
        report = self.state.reports.get((seller.seller_id, report_id))
        if report is None:
            self._settlements(seller)
            report = self.state.reports.get((seller.seller_id, report_id))
        if report is None:
            raise InvalidInputError(f"Invalid reportId {report_id}.")
        return report

    def get_report(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        report = self._find(seller, request.path_params["reportId"])
        return report.wire(self.app.clock)

    def cancel_report(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        report = self._find(seller, request.path_params["reportId"])
        if report.status(self.app.clock.pace()) != "IN_QUEUE":
            raise InvalidInputError("Only reports that are IN_QUEUE can be cancelled.")
        report.cancelled_at = self.app.clock.timestamp()
        return Response(status=200, body=b"")

    def get_report_document(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        now = self.app.clock.timestamp()
        document_id = request.path_params["reportDocumentId"]
        found = self.state.documents.get((seller.seller_id, document_id))
        if found is None:
            raise InvalidInputError(f"Invalid reportDocumentId {document_id}")
        report, is_error = found
        wanted = "FATAL" if is_error else "DONE"
        if report.status(self.app.clock.pace()) != wanted:
            raise InvalidInputError(f"Invalid reportDocumentId {document_id}")
        expired = self.faults.take(report.report_type, "expire_url", seller.seller_id)
        key = secrets.token_urlsafe(24)
        with self.lock:
            self.state.urls[key] = IssuedUrl(
                seller.seller_id, document_id, now if expired else now + URL_LIFETIME
            )
        signature = hmac.new(self.url_key, key.encode(), hashlib.sha256).hexdigest()
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        url = (
            f"{self.app.base_url}/s3/tortuga-prod-{seller.region}/{key}"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Credential=AKIASANDBOX%2F{amz_date[:8]}%2Fus-east-1%2Fs3%2Faws4_request"
            f"&X-Amz-Date={amz_date}&X-Amz-Expires={URL_LIFETIME:.0f}"
            f"&X-Amz-SignedHeaders=host&X-Amz-Security-Token={secrets.token_urlsafe(32)}"
            f"&X-Amz-Signature={signature}"
        )
        body = {"reportDocumentId": document_id, "url": url}
        if not is_error:
            body["compressionAlgorithm"] = "GZIP"
        return body

    def get_object(self, request: Request) -> Response:
        """The presigned URL: a plain GET, no SP-API headers, S3's XML errors."""
        now = self.app.clock.timestamp()
        issued = self.state.urls.get(request.path_params["key"])
        if issued is None:
            return _s3_error("AccessDenied", "Access Denied")
        request.seller_id = issued.seller_id  # so that faults and the call log name the seller
        if now >= issued.expires_at:
            return _s3_error("AccessDenied", "Request has expired")
        report, is_error = self.state.documents[(issued.seller_id, issued.document_id)]
        if is_error:
            return Response(
                body=to_json({"errorDetails": FATAL_DETAILS}).body,
                content_type="application/json; charset=UTF-8",
            )
        seller = self.app.world.seller(report.seller_id)
        kind = DOCUMENT_TYPES[report.report_type]
        fault = next(
            (
                name
                for name in DOCUMENT_FAULTS
                if self.faults.take(report.report_type, name, report.seller_id)
            ),
            None,
        )
        text = self.faults.take(report.report_type, "text", report.seller_id)
        charset = FLAT_CHARSETS[seller.region] if kind.media == "flat" else "UTF-8"
        content_type = MEDIA_TYPES[kind.media]
        if fault != "no_charset":
            content_type += f"; charset={charset}"
        codec = CODECS[charset]

        def rendered(undecodable: bool = False) -> Iterator[bytes]:
            if text is None:
                chunks: Iterator[bytes] = kind.render(self._scope(report, seller))
            else:
                chunks = iter([(text.body or "").encode()])  # UTF-8, as rendered documents
            return _gzipped(chunks, codec, undecodable)

        if fault == "bomb":
            return Response(body=_bomb(), content_type=content_type)
        if text is not None or fault == "undecodable":  # one download's content: not kept
            whole = b"".join(rendered(undecodable=fault == "undecodable"))
        else:
            path = self.store.path(issued.document_id, rendered)
            if fault not in ("truncate", "corrupt"):
                return Response(
                    body=_file_chunks(path),
                    content_type=content_type,
                    headers={"Content-Length": str(path.stat().st_size)},
                )
            whole = path.read_bytes()
        spoiled = fault in ("truncate", "corrupt")
        return Response(
            body=_spoiled(whole, fault) if spoiled else whole, content_type=content_type
        )


class DocumentStore:
    """Documents gzip'd once and kept on disk, as S3 keeps Amazon's: a report's content is
    fixed when it is first fetched, and a second download costs no rendering."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._directory = tempfile.TemporaryDirectory(prefix="sandbox-documents-")

    def path(self, document_id: str, render: Callable[[], Iterator[bytes]]) -> Path:
        with self._lock:
            lock = self._locks.setdefault(document_id, threading.Lock())
            directory = Path(self._directory.name)
        path = directory / hashlib.sha256(document_id.encode()).hexdigest()
        with lock:
            if not path.exists():
                partial = path.with_suffix(".partial")
                with partial.open("wb") as out:
                    for chunk in render():
                        out.write(chunk)
                partial.rename(path)
        return path

    def clear(self) -> None:
        with self._lock:
            self._directory.cleanup()
            self._directory = tempfile.TemporaryDirectory(prefix="sandbox-documents-")
            self._locks.clear()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            yield chunk


def _unit(*parts: object) -> float:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _body_times(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, float]:
    """Date-times in a JSON body, validated like query parameters."""
    values = {name: body[name] for name in names if body.get(name) is not None}
    if any(not isinstance(v, str) for v in values.values()):
        raise InvalidInputError(f"Invalid date-time field(s) [{', '.join(values)}].")
    return parse_time_values(values)


def _s3_error(code: str, message: str) -> Response:
    error = etree.Element("Error")
    for tag, text in (("Code", code), ("Message", message), ("RequestId", uuid.uuid4().hex)):
        etree.SubElement(error, tag).text = text
    return Response(
        status=403,
        body=etree.tostring(error, xml_declaration=True, encoding="UTF-8"),
        content_type="application/xml",
    )


def _gzipped(chunks: Iterator[bytes], codec: str, undecodable: bool = False) -> Iterator[bytes]:
    """UTF-8 chunks encoded to `codec` and gzip'd; `undecodable` slips in a byte that
    `codec` cannot decode."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    for text in chunks:
        # what a marketplace's charset cannot hold becomes "?" (brands like Kōbō in cp1252)
        data = text if codec == "utf-8" else text.decode("utf-8").encode(codec, "replace")
        if undecodable and len(data) > 1:
            data = data[: len(data) // 2] + UNDECODABLE[codec] + data[len(data) // 2 :]
            undecodable = False
        out = compressor.compress(data)
        if out:
            yield out
    yield compressor.flush()


def _spoiled(whole: bytes, fault: str) -> Iterator[bytes]:
    """A gzip cut in half, or whole but for its CRC-32 trailer (it then inflates fine, and only
    the check at the very end gives it away)."""
    if fault == "truncate":
        yield whole[: len(whole) // 2]
        return
    crc = len(whole) - 8
    yield whole[:crc] + bytes(b ^ 0xFF for b in whole[crc : crc + 4]) + whole[crc + 4 :]


def _bomb() -> Iterator[bytes]:
    """Many zeros in little gzip: what a size cap must stop."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    for _ in range(BOMB_BYTES // len(block)):
        out = compressor.compress(block)
        if out:
            yield out
    yield compressor.flush()


def register(service: SpApiService) -> None:
    api = ReportsApi(service)
    app: App = service.app
    base = "/reports/2021-06-30"
    service.route("POST", f"{base}/reports", "reports_2021-06-30.createReport", api.create_report)
    service.route("GET", f"{base}/reports", "reports_2021-06-30.getReports", api.get_reports)
    service.route(
        "GET", f"{base}/reports/(?P<reportId>[^/]+)", "reports_2021-06-30.getReport", api.get_report
    )
    service.route(
        "DELETE",
        f"{base}/reports/(?P<reportId>[^/]+)",
        "reports_2021-06-30.cancelReport",
        api.cancel_report,
    )
    service.route(
        "GET",
        f"{base}/documents/(?P<reportDocumentId>[^/]+)",
        "reports_2021-06-30.getReportDocument",
        api.get_report_document,
    )
    app.router.add(
        "GET", r"/s3/(?P<bucket>[^/]+)/(?P<key>[^/]+)", api.get_object, "GetObject", "s3"
    )

    def add_faults(request: Request) -> Any:
        body = control_body(request)
        specs = body.pop("faults", [])
        if body:
            specs.append(body)
        for spec in specs:
            kind = spec.get("kind")
            if kind not in (*CREATION_FAULTS, *DOCUMENT_FAULTS, *URL_FAULTS, TEXT_FAULT):
                raise ValueError(f"unknown report fault kind {kind!r}")
            unknown = set(spec) - {"kind", "report_type", "seller_id", "count", "skip", "text"}
            if unknown:
                raise ValueError(f"unknown report fault fields: {sorted(unknown)}")
            if (kind == TEXT_FAULT) != isinstance(spec.get("text"), str):
                raise ValueError(f"a {TEXT_FAULT!r} fault, and only one, carries a text")
            api.faults.add(
                Fault(
                    service=spec.get("report_type", "*"),
                    operation=kind,
                    seller_id=spec.get("seller_id"),
                    count=int(spec.get("count", 1)),
                    skip=int(spec.get("skip", 0)),
                    body=spec.get("text"),
                )
            )
        return list_faults(request)

    def list_faults(request: Request) -> Any:
        return {
            "faults": [
                {
                    "kind": f.operation,
                    "report_type": f.service,
                    "seller_id": f.seller_id,
                    "count": f.count,
                    "skip": f.skip,
                }
                for f in api.faults.pending()
            ]
        }

    def clear_faults(request: Request) -> Any:
        api.faults.clear()
        return {"faults": []}

    def release(request: Request) -> Any:
        """Stuck reports resume now and finish after their processing time."""
        now = app.clock.mark()
        released = []
        for report in list(api.state.reports.values()):
            if report.stuck and report.released is None:
                report.released = now
                released.append(report.report_id)
        return {"released": released}

    def list_reports(request: Request) -> Any:
        with api.lock:
            reports = list(api.state.reports.values())
        return {
            "reports": [
                {
                    **report.wire(app.clock),
                    "sellerId": report.seller_id,
                    "reportOptions": report.options,
                    "stuck": report.stuck and report.released is None,
                    # the pace seconds from creation to the end, for usage-plan bounds
                    "processingSeconds": report.done - report.created.pace,
                }
                for report in sorted(reports, key=lambda r: r.created.pace)
                if report.report_type != SETTLEMENT
            ]
        }

    add_control(app, "POST", "reports/faults", add_faults)
    add_control(app, "GET", "reports/faults", list_faults)
    add_control(app, "DELETE", "reports/faults", clear_faults)
    add_control(app, "POST", "reports/release", release)
    add_control(app, "GET", "reports", list_reports)
