"""MWS reports on the wire, rendered from the world SP-API's are: each report type lists the
same rows as the SP-API report of the same window, settlement reports are Amazon's alone, and
documents come in the marketplace's charset with a Content-MD5."""

from __future__ import annotations

import base64
import gzip
import hashlib

import pytest
import requests
from lxml import etree

from tests.sandbox.test_sp_api_reports_wire import REPORTS, SETTLEMENT, US, Client
from tests.sandbox.wire import control, mws_call

MWS_REPORTS = "/Reports/2009-01-01"
NS = {"m": "http://mws.amazonaws.com/doc/2009-01-01/"}
MWS_SETTLEMENT = f"_{SETTLEMENT}_"
SEPTEMBER = {"StartDate": "2026-09-01T00:00:00Z", "EndDate": "2026-10-01T00:00:00Z"}
SAFE = etree.XMLParser(resolve_entities=False, no_network=True)
# MWS report type -> (SP-API report type, a date column the window selects on)
SAME_AS_SP_API = {
    "_GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_": (
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
        "last-updated-date",
    ),
    "_GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_": (
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
        "purchase-date",
    ),
    "_GET_MERCHANT_LISTINGS_DATA_": ("GET_MERCHANT_LISTINGS_ALL_DATA", None),
    "_GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA_": ("GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", None),
}


class Mws:
    """One seller's MWS report calls (POST to the Reports section, as the source makes them)."""

    def __init__(self, url: str, accounts: dict, index: int) -> None:
        self.url, self.mws, self.index = url, accounts["mws"], index

    def call(self, action: str, **params: str) -> requests.Response:
        return mws_call(self.url, self.mws, "POST", MWS_REPORTS, action, self.index, **params)

    def xml(self, action: str, **params: str) -> etree._Element:
        response = self.call(action, **params)
        assert response.status_code == 200, response.content
        return etree.fromstring(response.content, SAFE)

    def request(self, report_type: str, **params: str) -> str:
        info = self.xml("RequestReport", ReportType=report_type, **params)
        return info.findtext(".//m:ReportRequestId", namespaces=NS)

    def status(self, request_id: str) -> tuple[str, str | None]:
        """(ReportProcessingStatus, GeneratedReportId) of one request."""
        listed = self.xml("GetReportRequestList", **{"ReportRequestIdList.Id.1": request_id})
        info = listed.find(".//m:ReportRequestInfo", NS)
        status = info.findtext("m:ReportProcessingStatus", namespaces=NS)
        return status, info.findtext("m:GeneratedReportId", namespaces=NS)

    def report(self, report_id: str) -> requests.Response:
        response = self.call("GetReport", ReportId=report_id)
        assert response.status_code == 200, response.content
        return response


@pytest.fixture
def frozen(sandbox_server) -> str:
    """Real time at scale 1 and the world frozen now, so both APIs read the same moment."""
    control(sandbox_server.url, "clock/scale", {"time_scale": 1.0})
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    return sandbox_server.url


def _rows(text: str) -> list[dict[str, str]]:
    lines = text.splitlines()
    names = lines[0].split("\t")
    return [dict(zip(names, line.split("\t"), strict=True)) for line in lines[1:]]


def _mws_text(response: requests.Response, wire: str, codec: str) -> str:
    """The report's text, once its charset and Content-MD5 are checked."""
    assert response.headers["Content-Type"] == f"text/plain;charset={wire}"
    digest = base64.b64encode(hashlib.md5(response.content).digest()).decode()  # noqa: S324
    assert response.headers["Content-MD5"] == digest
    return response.content.decode(codec)


def _sp_api_text(client: Client, report_type: str, **window: str) -> str:
    """An SP-API report of the same kind, as MWS's windows-1252 would carry it."""
    body = (
        {"dataStartTime": window["StartDate"], "dataEndTime": window["EndDate"]} if window else {}
    )
    created = client.create(report_type, [US], **body)
    assert created.status_code == 202, created.content
    client.advance(3600)
    report = client.report(created.json()["reportId"])
    assert report["processingStatus"] == "DONE", report
    text = gzip.decompress(client.download(report["reportDocumentId"]).content).decode()
    return text.encode("cp1252", "replace").decode("cp1252")


@pytest.mark.parametrize("report_type", list(SAME_AS_SP_API))
def test_a_report_lists_what_the_sp_api_report_of_the_same_window_lists(
    frozen, accounts, report_type
) -> None:
    mws, client = Mws(frozen, accounts, 0), Client(frozen, accounts, 0)
    sp_type, selected_on = SAME_AS_SP_API[report_type]
    window = SEPTEMBER if selected_on else {}
    request_id = mws.request(report_type, **{"MarketplaceIdList.Id.1": US}, **window)
    expected = _rows(_sp_api_text(client, sp_type, **window))  # advances the clock an hour
    status, report_id = mws.status(request_id)
    assert status == "_DONE_" and report_id
    rows = _rows(_mws_text(mws.report(report_id), "windows-1252", "cp1252"))
    if sp_type == "GET_MERCHANT_LISTINGS_ALL_DATA":  # the active listings, without status
        statuses = [row.pop("status") for row in expected]
        assert "Inactive" in statuses
        expected = [row for row, s in zip(expected, statuses, strict=True) if s == "Active"]
    assert rows == expected and len(rows) > 10
    if selected_on:
        assert all("2026-09-01" <= row[selected_on] < "2026-10-01" for row in rows)


def test_a_narrower_window_lists_a_subset_and_an_empty_one_no_report(frozen, accounts) -> None:
    mws = Mws(frozen, accounts, 0)
    by_date = "_GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_"
    month = mws.request(by_date, **SEPTEMBER)
    week = mws.request(by_date, StartDate="2026-09-10T00:00:00Z", EndDate="2026-09-17T00:00:00Z")
    ancient = mws.request(by_date, StartDate="2023-01-01T00:00:00Z", EndDate="2023-01-10T00:00:00Z")
    control(frozen, "clock/advance", {"seconds": 3600})
    orders = {}
    for name, request_id in (("month", month), ("week", week)):
        status, report_id = mws.status(request_id)
        assert status == "_DONE_"
        text = _mws_text(mws.report(report_id), "windows-1252", "cp1252")
        orders[name] = {row["amazon-order-id"] for row in _rows(text)}
    assert orders["week"] and orders["week"] < orders["month"]
    assert mws.status(ancient) == ("_DONE_NO_DATA_", None)
    listed = mws.xml("GetReportList", **{"ReportTypeList.Type.1": by_date})
    assert len(listed.findall(".//m:ReportInfo", NS)) == 2


def test_settlement_reports_are_amazons_and_match_sp_apis(frozen, accounts) -> None:
    mws, client = Mws(frozen, accounts, 0), Client(frozen, accounts, 0)
    refused = mws.call("RequestReport", ReportType=MWS_SETTLEMENT)
    assert refused.status_code == 400 and b"<Code>InvalidParameterValue</Code>" in refused.content
    assert b"cannot be requested" in refused.content
    settled = {"ReportTypeList.Type.1": MWS_SETTLEMENT, "MaxCount": "100"}
    listed = mws.xml("GetReportList", **settled)
    ids = [e.text for e in listed.iterfind(".//m:ReportInfo/m:ReportId", NS)]
    sp_api = client.get(REPORTS, reportTypes=SETTLEMENT, pageSize=100).json()["reports"]
    assert set(ids) == {r["reportId"] for r in sp_api} and len(ids) >= 10  # US and CA
    requests_listed = mws.xml("GetReportRequestList", **{"ReportTypeList.Type.1": MWS_SETTLEMENT})
    assert requests_listed.find(".//m:ReportRequestInfo", NS) is None  # nobody requested them
    newest = next(r for r in sp_api if r["marketplaceIds"] == [US])
    document = client.download(newest["reportDocumentId"]).content
    expected = gzip.decompress(document).decode().encode("cp1252", "replace").decode("cp1252")
    text = _mws_text(mws.report(newest["reportId"]), "windows-1252", "cp1252")
    assert text == expected and _rows(text)[0]["currency"] == "USD"


def test_japanese_reports_come_in_windows_31j(frozen, accounts) -> None:
    mws = Mws(frozen, accounts, 2)
    request_id = mws.request("_GET_MERCHANT_LISTINGS_DATA_")
    control(frozen, "clock/advance", {"seconds": 3600})
    response = mws.report(mws.status(request_id)[1])
    rows = _rows(_mws_text(response, "windows-31j", "cp932"))
    assert rows and all(row["open-date"].endswith(" JST") for row in rows)
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")


@pytest.mark.parametrize(
    "report_type", ["_GET_AFN_INVENTORY_DATA_", "_GET_NO_SUCH_REPORT_", SETTLEMENT]
)
def test_unknown_report_types_are_invalid_parameter_values(frozen, accounts, report_type) -> None:
    refused = Mws(frozen, accounts, 0).call("RequestReport", ReportType=report_type)
    assert refused.status_code == 400
    assert b"<Code>InvalidParameterValue</Code>" in refused.content
    assert f"Invalid ReportType: {report_type}.".encode() in refused.content
