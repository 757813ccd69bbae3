"""Row 12, 5xx bursts and broken connections on every SP-API endpoint a run uses (LWA, pages,
createReport, getReport, getReportDocument, the document download): retried within the
budget, no partial page or document loaded, a lost 202 from createReport costs at most one
extra report and no extra row, and a document whose download always breaks fails alone, named,
its cursor kept, everything else loaded."""

from __future__ import annotations

import pytest
import requests

from sources.sp_api.report_catalog import LISTINGS
from tests.battery.fetching import (
    CREATE_REPORT,
    GET_REPORT,
    GET_REPORT_DOCUMENT,
    SEARCH_ORDERS,
    calls,
    clean,
    expected_fixture,
    faults,
    sandbox_reports,
    state,
)
from tests.loading import load_sp_api

# orders (searchOrders pages) and one report type, through every step of a report; a stalled
# answer is given up on after 2 s without a byte
OPTIONS = {
    "resources": ["orders", "order_items", "reports"],
    "report_types": [LISTINGS],
    "request_timeout_seconds": 2.0,
}
BURST = 3  # answers in a row, fewer than max_attempts (8)
DOWNLOAD = {"service": "s3", "operation": "GetObject"}


expected = expected_fixture(**OPTIONS)


@pytest.fixture
def sellers(accounts: dict) -> list[str]:
    """North America's, Europe's and the Far East's seller ids."""
    return [account["seller_id"] for account in accounts["accounts"]]


def _pending(url: str) -> list[dict]:
    return requests.get(f"{url}/_sandbox/faults", timeout=10).json()["faults"]


def test_5xx_bursts_on_each_endpoint_are_retried_within_the_budget(
    sandbox_server, accounts, sellers, expected, tmp_path
) -> None:
    url, (na, eu, fe) = sandbox_server.url, sellers
    bursts = [
        (SEARCH_ORDERS, na, 500),
        (CREATE_REPORT, eu, 502),
        (GET_REPORT, fe, 503),
        (GET_REPORT_DOCUMENT, na, 504),
    ]
    faults(
        url,
        *(
            {"operation": op, "seller_id": seller, "status": status, "count": BURST}
            for op, seller, status in bursts
        ),
    )
    load = load_sp_api(accounts, tmp_path, **OPTIONS)
    assert not list(load.failures), [str(f) for f in load.failures]
    for operation, seller, status in bursts:
        # a seller's calls of one operation may run side by side (its marketplaces' documents),
        # so the burst's answers are not always logged in a row
        statuses = [call.status for call in calls(url, operation, seller)]
        assert statuses.count(status) == BURST, (operation, statuses)
        first = statuses.index(status)
        assert any(s < 400 for s in statuses[first + 1 :]), (operation, statuses)  # then through
    assert clean(load) == expected


def test_answers_broken_off_mid_body_are_asked_again_and_nothing_partial_loads(
    sandbox_server, accounts, sellers, expected, tmp_path
) -> None:
    url, (na, eu, fe) = sandbox_server.url, sellers
    cuts = [
        {"service": "lwa", "operation": "token", "seller_id": fe, "cut": "reset"},
        {"operation": SEARCH_ORDERS, "seller_id": na, "cut": "reset", "at": 0.5, "skip": 1},
        {"operation": SEARCH_ORDERS, "seller_id": eu, "cut": "close", "at": 0.6},
        {"operation": SEARCH_ORDERS, "seller_id": fe, "cut": "drip", "skip": 2},
        {"operation": GET_REPORT, "seller_id": eu, "cut": "stall", "at": 0.3},
        {**DOWNLOAD, "seller_id": na, "cut": "reset", "at": 0.5},
        {**DOWNLOAD, "seller_id": eu, "cut": "close", "at": 0.6},
        {**DOWNLOAD, "seller_id": fe, "cut": "stall", "at": 0.5},
    ]
    faults(url, *cuts)
    load = load_sp_api(accounts, tmp_path, **OPTIONS)
    assert not list(load.failures), [str(f) for f in load.failures]
    assert _pending(url) == []  # every cut broke a real answer
    downloads = {seller: len(calls(url, "s3.GetObject", seller)) for seller in (na, eu, fe)}
    reports = {seller: 0 for seller in (na, eu, fe)}
    for report in sandbox_reports(url):
        reports[report["sellerId"]] += 1
    assert downloads == {seller: count + 1 for seller, count in reports.items()}  # one again
    assert clean(load) == expected


def test_a_lost_202_creates_at_most_one_extra_report_and_no_extra_row(
    sandbox_server, accounts, sellers, expected, tmp_path
) -> None:
    url, fe = sandbox_server.url, sellers[2]
    faults(url, {"operation": CREATE_REPORT, "seller_id": fe, "cut": "reset", "at": 0.5})
    load = load_sp_api(accounts, tmp_path, **OPTIONS)
    assert not list(load.failures)
    created = [r["reportId"] for r in sandbox_reports(url) if r["sellerId"] == fe]
    assert len(created) == 2  # the one whose answer was lost, and the one asked for again
    loaded = load.query(
        f"select distinct report_id from sp_api.report_listings where seller_id = '{fe}'"
    )
    assert loaded == [(created[1],)]
    assert clean(load) == expected


def test_a_document_whose_download_always_breaks_fails_alone_and_the_next_run_heals(
    sandbox_server, accounts, expected, tmp_path
) -> None:
    url = sandbox_server.url
    fe = accounts["accounts"][2]
    faults(url, {**DOWNLOAD, "seller_id": fe["seller_id"], "cut": "reset", "count": 100})
    broken = load_sp_api(accounts, tmp_path, **OPTIONS)
    (failure,) = broken.failures
    assert failure.key == f"{fe['name']} {LISTINGS} (A1VC38T7YXB528)"
    assert "the download failed" in str(failure.error) and "broke 8 times" in str(failure.error)
    assert len(calls(url, "s3.GetObject", fe["seller_id"])) == 8  # bounded: max_attempts
    got = clean(broken)
    assert (got["orders"], got["order_items"]) == (expected["orders"], expected["order_items"])
    loaded = {r[0] for r in broken.query("select distinct seller_id from sp_api.report_listings")}
    assert loaded == {a["seller_id"] for a in accounts["accounts"][:2]}  # only the others
    job = state(broken, "report_documents")["jobs"][fe["seller_id"]]
    assert "cursor" not in job[f"{LISTINGS}|A1VC38T7YXB528"]

    requests.delete(f"{url}/_sandbox/faults", timeout=10).raise_for_status()
    healed = load_sp_api(accounts, tmp_path, **OPTIONS)
    assert not list(healed.failures)
    assert clean(healed) == expected
