"""Reports API 2021-06-30 on the wire: lifecycle on the virtual clock, getReports paging,
settlements, presigned documents (gzip, charsets, expiry) and the report controls."""

from __future__ import annotations

import gzip
import itertools
import zlib

import pytest
import requests

from tests.sandbox.wire import control, lwa_token, sp_get

REPORTS = "/reports/2021-06-30/reports"
DOCUMENTS = "/reports/2021-06-30/documents"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
US, DE, JP = "ATVPDKIKX0DER", "A1PA6795UKMFR9", "A1VC38T7YXB528"
SEPTEMBER = {"dataStartTime": "2026-09-01T00:00:00Z", "dataEndTime": "2026-10-01T00:00:00Z"}


class Client:
    """One seller's raw SP-API calls; the token is renewed after the clock jumps."""

    def __init__(self, url: str, accounts: dict, index: int) -> None:
        self.url, self.accounts, self.index = url, accounts, index
        self.token = lwa_token(accounts, index)

    def advance(self, seconds: float) -> None:
        control(self.url, "clock/advance", {"seconds": seconds})
        self.token = lwa_token(self.accounts, self.index)

    def create(self, report_type: str, marketplaces: list[str], **extra) -> requests.Response:
        body = {"reportType": report_type, "marketplaceIds": marketplaces, **extra}
        return requests.post(
            self.url + REPORTS, json=body, headers={"x-amz-access-token": self.token}, timeout=30
        )

    def get(self, path: str, **params) -> requests.Response:
        return sp_get(self.url, self.token, path, **params)

    def report(self, report_id: str) -> dict:
        return self.get(f"{REPORTS}/{report_id}").json()

    def download(self, document_id: str) -> requests.Response:
        document = self.get(f"{DOCUMENTS}/{document_id}").json()
        return requests.get(document["url"], timeout=60)


@pytest.fixture
def na(sandbox_server, accounts) -> Client:
    """Real time at scale 1, so that only `advance` moves reports along."""
    control(sandbox_server.url, "clock/scale", {"time_scale": 1.0})
    return Client(sandbox_server.url, accounts, 0)


def _done(client: Client, report_id: str) -> dict:
    client.advance(3600)
    report = client.report(report_id)
    assert report["processingStatus"] == "DONE", report
    return report


def test_a_report_queues_processes_and_serves_a_gzipped_document(na) -> None:
    created = na.create(ORDERS, [US], **SEPTEMBER)
    assert created.status_code == 202
    assert float(created.headers["x-amzn-RateLimit-Limit"]) > 0
    report_id = created.json()["reportId"]
    assert report_id.isdigit() and len(report_id) == 11
    first = na.report(report_id)
    assert first["processingStatus"] == "IN_QUEUE" and "reportDocumentId" not in first
    na.advance(31)
    assert na.report(report_id)["processingStatus"] == "IN_PROGRESS"
    report = _done(na, report_id)
    assert report["dataStartTime"] == "2026-09-01T00:00:00+00:00"
    assert report["processingStartTime"] < report["processingEndTime"]
    document = na.get(f"{DOCUMENTS}/{report['reportDocumentId']}").json()
    assert document["compressionAlgorithm"] == "GZIP"
    assert "X-Amz-Signature=" in document["url"]
    download = requests.get(document["url"], timeout=30)
    assert download.headers["Content-Type"] == "text/plain; charset=UTF-8"
    lines = gzip.decompress(download.content).decode("utf-8").splitlines()
    assert lines[0].split("\t")[:3] == ["amazon-order-id", "merchant-order-id", "purchase-date"]
    rows = [line.split("\t") for line in lines[1:]]
    assert rows and all(len(row) == len(lines[0].split("\t")) for row in rows)
    updated = [row[3] for row in rows]
    assert all("2026-09-01" <= value < "2026-10-01" for value in updated)
    assert {row[6] for row in rows} == {"Amazon.com"}


def test_the_document_url_expires_five_virtual_minutes_after_issue(na) -> None:
    report = _done(na, na.create(ORDERS, [US], **SEPTEMBER).json()["reportId"])
    url = na.get(f"{DOCUMENTS}/{report['reportDocumentId']}").json()["url"]
    assert requests.get(url, timeout=30).status_code == 200
    na.advance(301)
    expired = requests.get(url, timeout=30)
    assert expired.status_code == 403
    assert b"<Code>AccessDenied</Code>" in expired.content
    assert b"Request has expired" in expired.content
    assert na.download(report["reportDocumentId"]).status_code == 200  # a new URL works


@pytest.mark.parametrize(
    ("index", "marketplace", "charset", "codec", "text"),
    [
        (0, US, "UTF-8", "utf-8", "Seattle"),
        (1, DE, "Cp1252", "cp1252", "München"),
        (2, JP, "Windows-31J", "cp932", "東京都"),
    ],
    ids=["us-utf8", "de-cp1252", "jp-windows31j"],
)
def test_flat_files_carry_their_marketplace_charset(
    sandbox_server, accounts, index, marketplace, charset, codec, text
) -> None:
    control(sandbox_server.url, "clock/scale", {"time_scale": 1.0})
    client = Client(sandbox_server.url, accounts, index)
    start = {"dataStartTime": "2026-07-01T00:00:00Z", "dataEndTime": "2026-10-01T00:00:00Z"}
    report = _done(client, client.create(ORDERS, [marketplace], **start).json()["reportId"])
    download = client.download(report["reportDocumentId"])
    assert download.headers["Content-Type"] == f"text/plain; charset={charset}"
    raw = gzip.decompress(download.content)
    assert text.encode(codec) in raw
    if codec != "utf-8":
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")


def test_get_reports_filters_and_pages_with_the_token_alone(na) -> None:
    ids = [na.create(ORDERS, [US], **SEPTEMBER).json()["reportId"] for _ in range(3)]
    ids.append(na.create(LISTINGS, [US]).json()["reportId"])
    page = na.get(REPORTS, reportTypes=ORDERS, pageSize=2).json()
    assert [r["reportId"] for r in page["reports"]] == ids[2:0:-1]  # newest first
    bad = na.get(REPORTS, nextToken=page["nextToken"], pageSize=2)
    assert bad.status_code == 400
    error = bad.json()["errors"][0]
    assert error["code"] == "InvalidInput" and "nextToken" in error["details"]
    rest = na.get(REPORTS, nextToken=page["nextToken"]).json()
    assert [r["reportId"] for r in rest["reports"]] == ids[:1] and "nextToken" not in rest
    both = na.get(REPORTS, reportTypes=f"{ORDERS},{LISTINGS}", processingStatuses="IN_QUEUE")
    assert {r["reportId"] for r in both.json()["reports"]} == set(ids)
    assert na.get(REPORTS).status_code == 400  # reportTypes or nextToken is required
    assert na.get(REPORTS, reportTypes=ORDERS, processingStatuses="DONE").json()["reports"] == []


def test_settlements_are_amazons_every_14_days_and_reconcile(na) -> None:
    refused = na.create(SETTLEMENT, [US])
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "InvalidInput"
    listed = na.get(REPORTS, reportTypes=SETTLEMENT, marketplaceIds=US, pageSize=100).json()
    reports = listed["reports"]
    assert 5 <= len(reports) <= 7  # 90 days of retention, one every 14 days
    starts = sorted(r["dataStartTime"] for r in reports)
    assert all(r["processingStatus"] == "DONE" for r in reports)
    import pendulum

    gaps = {
        (pendulum.parse(b) - pendulum.parse(a)).in_days() for a, b in itertools.pairwise(starts)
    }
    assert gaps == {14}
    text = gzip.decompress(na.download(reports[0]["reportDocumentId"]).content).decode()
    lines = [line.split("\t") for line in text.splitlines()]
    columns = lines[0]
    summary, details = dict(zip(columns, lines[1], strict=True)), lines[2:]
    amount = columns.index("amount")
    assert summary["settlement-start-date"].endswith(" UTC") and summary["currency"] == "USD"
    total = sum(round(float(row[amount]) * 100) for row in details)
    assert total == round(float(summary["total-amount"]) * 100)
    assert {row[columns.index("transaction-type")] for row in details} <= {"Order", "Refund"}


def test_a_report_without_data_is_cancelled(na) -> None:
    ancient = {"dataStartTime": "2023-01-01T00:00:00Z", "dataEndTime": "2023-01-10T00:00:00Z"}
    report_id = na.create(ORDERS, [US], **ancient).json()["reportId"]
    na.advance(3600)
    report = na.report(report_id)
    assert report["processingStatus"] == "CANCELLED" and "reportDocumentId" not in report


@pytest.mark.parametrize(
    "body",
    [
        {"reportType": ORDERS, "marketplaceIds": [US], "dataEndTime": "2027-06-01T00:00:00Z"},
        {"reportType": ORDERS, "marketplaceIds": [JP]},
        {"reportType": ORDERS, "marketplaceIds": []},
        {"reportType": "GET_NO_SUCH_REPORT", "marketplaceIds": [US]},
        {"marketplaceIds": [US]},
    ],
    ids=["future", "foreign-marketplace", "no-marketplace", "unknown-type", "no-type"],
)
def test_create_report_rejects_bad_requests_with_400(na, body) -> None:
    response = requests.post(
        na.url + REPORTS, json=body, headers={"x-amz-access-token": na.token}, timeout=30
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"


def test_create_report_takes_body_times_with_any_utc_offset(na) -> None:
    # what Python's datetime.isoformat() sends (Amazon's SDK does): a "+" that is no query's space
    start, end = "2026-09-01T02:00:00+02:00", "2026-09-30T19:00:00-05:00"
    created = na.create(ORDERS, [US], dataStartTime=start, dataEndTime=end)
    assert created.status_code == 202, created.json()
    report = na.report(created.json()["reportId"])
    assert report["dataStartTime"] == "2026-09-01T00:00:00+00:00"
    assert report["dataEndTime"] == "2026-10-01T00:00:00+00:00"


def test_controls_make_reports_fatal_cancelled_or_stuck(sandbox_server, na) -> None:
    control(sandbox_server.url, "reports/faults", {"kind": "fatal", "report_type": ORDERS})
    fatal = na.create(ORDERS, [US], **SEPTEMBER).json()["reportId"]
    control(sandbox_server.url, "reports/faults", {"kind": "cancelled"})
    cancelled = na.create(LISTINGS, [US]).json()["reportId"]
    control(sandbox_server.url, "reports/faults", {"kind": "stuck"})
    stuck = na.create(ORDERS, [US], **SEPTEMBER).json()["reportId"]
    normal = na.create(ORDERS, [US], **SEPTEMBER).json()["reportId"]
    na.advance(7200)
    statuses = {
        rid: na.report(rid)["processingStatus"] for rid in (fatal, cancelled, stuck, normal)
    }
    assert statuses == {
        fatal: "FATAL",
        cancelled: "CANCELLED",
        stuck: "IN_PROGRESS",
        normal: "DONE",
    }
    error = na.download(na.report(fatal)["reportDocumentId"])
    assert error.status_code == 200 and "errorDetails" in error.json()
    control(sandbox_server.url, "reports/release")
    na.advance(3600)
    assert na.report(stuck)["processingStatus"] == "DONE"


@pytest.mark.parametrize("kind", ["truncate", "corrupt"])
def test_controls_spoil_the_next_document(sandbox_server, na, kind) -> None:
    report = _done(na, na.create(ORDERS, [US], **SEPTEMBER).json()["reportId"])
    control(sandbox_server.url, "reports/faults", {"kind": kind})
    with pytest.raises((EOFError, zlib.error, gzip.BadGzipFile)):
        gzip.decompress(na.download(report["reportDocumentId"]).content)
    assert gzip.decompress(na.download(report["reportDocumentId"]).content)  # only once


def test_controls_serve_undecodable_bytes_a_bomb_no_charset_and_expired_urls(
    sandbox_server, na
) -> None:
    report = _done(na, na.create(ORDERS, [US], **SEPTEMBER).json()["reportId"])
    document_id = report["reportDocumentId"]
    control(sandbox_server.url, "reports/faults", {"kind": "undecodable"})
    with pytest.raises(UnicodeDecodeError):
        gzip.decompress(na.download(document_id).content).decode("utf-8")
    control(sandbox_server.url, "reports/faults", {"kind": "no_charset"})
    assert na.download(document_id).headers["Content-Type"] == "text/plain"
    control(sandbox_server.url, "reports/faults", {"kind": "expire_url"})
    assert na.download(document_id).status_code == 403
    control(sandbox_server.url, "reports/faults", {"kind": "bomb"})
    bomb = na.download(document_id).content
    assert len(bomb) < 1 << 20 and len(gzip.decompress(bomb)) >= 64 << 20


def test_a_text_fault_serves_its_text_in_the_documents_charset(sandbox_server, accounts) -> None:
    control(sandbox_server.url, "clock/scale", {"time_scale": 1.0})
    de = Client(sandbox_server.url, accounts, 1)
    report = _done(de, de.create(LISTINGS, [DE]).json()["reportId"])
    text = "item-name\tprice\nPiña colada, están\t1.00\n"
    control(sandbox_server.url, "reports/faults", {"kind": "text", "text": text})
    given = de.download(report["reportDocumentId"])
    assert given.headers["Content-Type"] == "text/plain; charset=Cp1252"
    assert gzip.decompress(given.content) == text.encode("cp1252")
    assert gzip.decompress(de.download(report["reportDocumentId"]).content) != text.encode("cp1252")
    for spec in ({"kind": "text"}, {"kind": "truncate", "text": "x"}):
        response = requests.post(
            f"{sandbox_server.url}/_sandbox/reports/faults", json=spec, timeout=10
        )
        assert response.status_code == 400
