"""Every recorded, documented or spec-literal legacy file in the reference folder parses."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.aim import batches, order_rows, refund_rows, reports
from sources.common import tsv
from sources.common.timefmt import TimeFormatError, utc_iso
from sources.legacy_files import files as archive
from sources.mws import documents as mws_documents
from sources.paapi import documents as paapi_documents

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "legacy-samples"
ALL = sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix in (".xml", ".tsv", ".txt"))


def _file(path: Path) -> archive.ArchiveFile:
    return archive.ArchiveFile(path.name, "S", "digest", path.read_bytes())


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_every_sample_parses(path: Path) -> None:
    file = _file(path)
    kind = archive.kind(file)
    if kind == archive.MWS_ORDERS:
        assert all(o.get("AmazonOrderId") for o in mws_documents.orders(file.xml()))
    elif kind == archive.MWS_ORDER_ITEMS:
        assert mws_documents.order_items(file.xml())[1]
    elif kind == archive.MWS_REPORT_REQUESTS:
        assert mws_documents.report_requests(file.xml())
    elif kind == archive.MWS_REPORTS:
        assert all(r["ReportId"] and r["AvailableDate"] for r in mws_documents.reports(file.xml()))
    elif kind == archive.MWS_FEED_SUBMISSIONS:
        assert mws_documents.feed_submissions(file.xml())
    elif kind == archive.PAAPI_ITEMS:
        assert paapi_documents.parse(file.xml()).items
    elif kind == archive.AIM_BATCHES:
        assert batches(file.xml())[0]["itemsnotactivated"] == "0"
    elif kind == archive.AIM_ORDER_REPORT:
        assert order_rows(file.text(), include_pii=False)[0]["purchase-date"] == (
            "2009-07-23T16:59:03Z"
        )
    elif kind == archive.AIM_BATCH_ERRORS:
        assert tsv.processing_summary(file.text()).records_processed == 82
    elif kind == archive.AIM_OPEN_LISTINGS:
        assert tsv.rows(file.text()) == [{"seller-sku": "SKU-FOO", "quantity": "14"}]
    else:
        assert kind == archive.OTHER
        file.xml()  # acknowledgements and error documents are still well-formed


def test_the_samples_cover_every_system() -> None:
    kinds = {archive.kind(_file(p)) for p in ALL}
    assert {archive.MWS_ORDERS, archive.MWS_ORDER_ITEMS, archive.PAAPI_ITEMS} <= kinds
    assert {archive.AIM_ORDER_REPORT, archive.AIM_BATCHES, archive.AIM_BATCH_ERRORS} <= kinds


def test_report_lists_read_by_local_name_with_times_in_utc() -> None:
    sample = _file(SAMPLES / "mws/doc-samples/reports_get_report_list_nt.xml")
    assert archive.kind(sample) == archive.MWS_REPORTS
    assert mws_documents.reports(sample.xml()) == [
        {
            "ReportId": "898899473",
            "ReportType": "_GET_MERCHANT_LISTINGS_DATA_",
            "ReportRequestId": "2278662938",
            "AvailableDate": "2009-02-10T09:22:33Z",
            "Acknowledged": "false",
        }
    ]
    mock = _file(SAMPLES / "mws/client-library-mocks/GetReportListByNextTokenResponse.xml")
    (listed,) = mws_documents.reports(mock.xml())  # another namespace, a time without a zone
    assert (listed["AvailableDate"], listed["AcknowledgedDate"]) == (
        "2007-10-25T23:36:28Z",
        "2014-06-09T15:15:04Z",
    )


def test_partial_errors_keep_the_good_items() -> None:
    path = SAMPLES / "ecs/2011-08-01/ItemLookup-InvalidParameterValue-errors-and-results.xml"
    parsed = paapi_documents.parse(_file(path).xml())
    assert [i["asin"] for i in parsed.items] == ["B01M7SI4AE"]
    assert [e["code"] for e in parsed.errors] == ["AWS.InvalidParameterValue"] * 2
    assert parsed.items[0]["marketplace_id"] == "A1PA6795UKMFR9"  # from www.amazon.de


def test_aim_report_status_times_and_zone_abbreviations() -> None:
    listed = reports(_file(SAMPLES / "aim/get-report-status-Order.xml").xml())
    assert listed[0] == {
        "reportstarttime": "2009-12-27T03:00:02Z",
        "reportendtime": "2010-01-11T03:00:02Z",
        "reportid": "2893717072",
    }
    assert utc_iso("08/07/2009 01:48:23 PDT") == "2009-08-07T08:48:23Z"
    assert utc_iso("2017-02-05T00%3A06%3A07.000Z") == "2017-02-05T00:06:07Z"
    with pytest.raises(TimeFormatError):
        utc_iso("08/07/2009 01:48:23 XST")


def test_aim_quickfix_files_are_told_by_name_and_refund_reports_by_header() -> None:
    errorlog = (SAMPLES / "aim/download-errorlog.tsv").read_bytes()
    bare = b"sku\tprice\tquantity\r\nSKU-1\t\t\r\nSKU-2\t9.99\t3\r\n"
    for data in (errorlog, bare):  # with or without a Feed Processing Summary preamble
        file = archive.ArchiveFile("S/quickfix-2585199250.tsv", "S", "d", data)
        assert archive.kind(file) == archive.AIM_QUICKFIX
        assert archive.digits(file.name) == "2585199250"
    assert tsv.processing_summary(bare.decode()).errors == [
        {"sku": "SKU-1", "price": None, "quantity": None},
        {"sku": "SKU-2", "price": "9.99", "quantity": "3"},
    ]
    errors = archive.ArchiveFile("S/errorlog-2585199250.tsv", "S", "d", errorlog)
    assert archive.kind(errors) == archive.AIM_BATCH_ERRORS
    report = (
        "order-id\tpayments-transaction-id\trefund-amount\treason\tstatus\r\n"
        "002-1234567-1234567\tT-1\t12.50\tCouldNotShip\tSUCCESS\r\n"
        "002-1234567-7654321\t\t3.99\tGeneralAdjustment\tSUCCESS\r\n"
    )
    refunds = archive.ArchiveFile("S/BatchRefund.txt", "S", "d", report.encode("cp1252"))
    assert archive.kind(refunds) == archive.AIM_REFUNDS
    rows = refund_rows(refunds.text())
    assert [(r["order-id"], r["payments-transaction-id"], r["refund-amount"]) for r in rows] == [
        ("002-1234567-1234567", "T-1", "12.50"),
        ("002-1234567-7654321", "", "3.99"),  # no transaction: a blank, so the key stays whole
    ]
