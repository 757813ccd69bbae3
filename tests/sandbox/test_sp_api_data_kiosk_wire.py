"""Data Kiosk on the wire: queries processed on the virtual clock, JSONL documents at URLs that
expire in virtual time, no-data and failed queries, paginated results, cancellation."""

from __future__ import annotations

import json

import pendulum
import pytest
import requests

from tests.sandbox.wire import control, lwa_token, sp_get, sp_send

QUERIES = "/dataKiosk/2023-11-15/queries"
US = "ATVPDKIKX0DER"
QUERY = (
    'query {{ analytics_salesAndTraffic_2024_04_24 {{ salesAndTrafficByDate(startDate: "{start}",'
    ' endDate: "{end}", aggregateBy: DAY, marketplaceIds: ["{marketplace}"]) {{ startDate'
    " marketplaceId sales {{ unitsOrdered orderedProductSales {{ amount currencyCode }} }}"
    " traffic {{ sessions }} }} }} }}"
)


@pytest.fixture
def token(sandbox_server, accounts) -> str:
    control(sandbox_server.url, "clock/scale", {"time_scale": 0.001})  # the clock stands still
    return lwa_token(accounts, 0)


def _create(url: str, token: str, start: str, end: str, **extra) -> str:
    body = {"query": QUERY.format(start=start, end=end, marketplace=US), **extra}
    response = sp_send("POST", url, token, QUERIES, body)
    assert response.status_code == 202, response.text
    return response.json()["queryId"]


def _query(url: str, token: str, query_id: str) -> dict:
    return sp_get(url, token, f"{QUERIES}/{query_id}").json()


def _document(url: str, token: str, document_id: str) -> str:
    return sp_get(url, token, f"/dataKiosk/2023-11-15/documents/{document_id}").json()[
        "documentUrl"
    ]


def test_a_query_is_processed_on_the_clock_into_a_jsonl_document(sandbox_server, token) -> None:
    url = sandbox_server.url
    query_id = _create(url, token, "2026-10-01", "2026-10-14")
    assert _query(url, token, query_id)["processingStatus"] == "IN_QUEUE"
    control(url, "clock/advance", {"seconds": 20})
    assert _query(url, token, query_id)["processingStatus"] == "IN_PROGRESS"
    control(url, "clock/advance", {"seconds": 60})
    done = _query(url, token, query_id)
    assert done["processingStatus"] == "DONE" and "pagination" not in done
    lines = requests.get(_document(url, token, done["dataDocumentId"]), timeout=30).text
    records = [json.loads(line) for line in lines.splitlines()]
    assert records and all(
        set(r) == {"startDate", "marketplaceId", "sales", "traffic"} for r in records
    )
    first = pendulum.datetime(2026, 10, 1, tz="America/Los_Angeles")
    metrics = sp_get(
        url,
        token,
        "/sales/v1/orderMetrics",
        marketplaceIds=US,
        interval=f"{first.isoformat()}--{first.add(days=14).isoformat()}",
        granularity="Day",
        granularityTimeZone="America/Los_Angeles",
    ).json()["payload"]
    units = {m["interval"][:10]: m["unitCount"] for m in metrics if m["unitCount"]}
    assert {r["startDate"]: r["sales"]["unitsOrdered"] for r in records} == units


def test_document_urls_expire_in_virtual_time_and_cannot_be_forged(sandbox_server, token) -> None:
    url = sandbox_server.url
    query_id = _create(url, token, "2026-10-01", "2026-10-03")
    control(url, "clock/advance", {"seconds": 61})
    document_id = _query(url, token, query_id)["dataDocumentId"]
    link = _document(url, token, document_id)
    forged = requests.get(link.replace("X-Amz-Signature=", "X-Amz-Signature=0"), timeout=30)
    assert forged.status_code == 403 and b"SignatureDoesNotMatch" in forged.content
    control(url, "clock/advance", {"seconds": 301})
    expired = requests.get(link, timeout=30)
    assert expired.status_code == 403 and b"Request has expired" in expired.content
    assert requests.get(_document(url, token, document_id), timeout=30).status_code == 200


def test_no_data_is_done_without_a_document_and_too_old_is_fatal(sandbox_server, token) -> None:
    url = sandbox_server.url
    empty = _create(url, token, "2027-06-01", "2027-06-02")
    fatal = _create(url, token, "2023-01-01", "2023-01-31")
    control(url, "clock/advance", {"seconds": 61})
    nothing = _query(url, token, empty)
    assert nothing["processingStatus"] == "DONE" and "dataDocumentId" not in nothing
    failed = _query(url, token, fatal)
    assert failed["processingStatus"] == "FATAL"
    error = requests.get(_document(url, token, failed["errorDocumentId"]), timeout=30).json()
    assert "before" in error["errorMessage"]


def test_large_results_continue_with_a_pagination_token(sandbox_server, token) -> None:
    url = sandbox_server.url
    start, end = "2024-11-05", "2026-10-31"
    first = _create(url, token, start, end)
    control(url, "clock/advance", {"seconds": 61})
    page = _query(url, token, first)
    next_token = page["pagination"]["nextToken"]
    second = _create(url, token, start, end, paginationToken=next_token)
    control(url, "clock/advance", {"seconds": 61})
    rest = _query(url, token, second)
    days = []
    for done in (page, rest):
        text = requests.get(_document(url, token, done["dataDocumentId"]), timeout=30).text
        days += [json.loads(line)["startDate"] for line in text.splitlines()]
    assert len(days) == len(set(days)) > 500 and "pagination" not in rest
    assert days == sorted(days)
    changed = sp_send(
        "POST",
        url,
        token,
        QUERIES,
        {
            "query": QUERY.format(start=start, end="2026-10-30", marketplace=US),
            "paginationToken": next_token,
        },
    )
    assert changed.status_code == 400  # a token belongs to its query's text


def test_queued_queries_can_be_cancelled_once_and_listed(sandbox_server, token) -> None:
    url = sandbox_server.url
    kept = _create(url, token, "2026-10-01", "2026-10-02")
    cancelled = _create(url, token, "2026-10-03", "2026-10-04")
    response = sp_send("DELETE", url, token, f"{QUERIES}/{cancelled}")
    assert response.status_code == 204 and response.content == b""
    assert sp_send("DELETE", url, token, f"{QUERIES}/{cancelled}").status_code == 400
    listed = sp_get(url, token, QUERIES, processingStatuses="CANCELLED").json()["queries"]
    assert [q["queryId"] for q in listed] == [cancelled]
    queued = sp_get(url, token, QUERIES, processingStatuses="IN_QUEUE").json()["queries"]
    assert [q["queryId"] for q in queued] == [kept]
    assert sp_get(url, token, QUERIES, processingStatuses="SOON").status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "query { analytics_other_2024_01_01 { things { id } } }",
        QUERY.format(start="2026-10-01", end="2026-10-02", marketplace=US).replace(
            "sessions", "heartbeats"
        ),
        "query { analytics_salesAndTraffic_2024_04_24 { salesAndTrafficByDate( } }",
        QUERY.format(start="2026-10-05", end="2026-10-02", marketplace=US),
        QUERY.format(start="2026-10-01", end="2026-10-02", marketplace="A1VC38T7YXB528"),
    ],
    ids=["dataset", "field", "syntax", "dates", "foreign-marketplace"],
)
def test_invalid_queries_answer_400(sandbox_server, token, query) -> None:
    response = sp_send("POST", sandbox_server.url, token, QUERIES, {"query": query})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"
