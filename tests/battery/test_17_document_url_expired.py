"""Row 17, a document URL that expired before its download (S3's 403 AccessDenied "Request has
expired", as five minutes after getReportDocument): one more getReportDocument, no more
createReport, and the rows of a clean run."""

from __future__ import annotations

from sources.sp_api.report_catalog import LISTINGS
from tests.battery.fetching import (
    CREATE_REPORT,
    GET_REPORT_DOCUMENT,
    calls,
    clean,
    expected_fixture,
    report_faults,
)
from tests.loading import load_sp_api

OPTIONS = {"resources": ["reports"], "report_types": [LISTINGS]}


expected = expected_fixture(**OPTIONS)


def test_an_expired_document_url_costs_one_get_report_document_and_nothing_else(
    sandbox_server, accounts, expected, tmp_path
) -> None:
    url, fe = sandbox_server.url, accounts["accounts"][2]["seller_id"]
    report_faults(url, {"kind": "expire_url", "report_type": LISTINGS, "seller_id": fe})
    load = load_sp_api(accounts, tmp_path, **OPTIONS)
    assert not list(load.failures)
    downloads = [call.status for call in calls(url, "s3.GetObject", fe)]
    assert downloads == [403, 200]  # the expired URL, then the fresh one
    assert len(calls(url, GET_REPORT_DOCUMENT, fe)) == 2  # one report, one URL more
    assert len(calls(url, CREATE_REPORT, fe)) == 1
    assert clean(load) == expected
