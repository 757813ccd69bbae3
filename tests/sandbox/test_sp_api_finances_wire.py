"""Finances v0 and 2024-06-19 on the wire: time rules, paging, and money that agrees with the
settlement reports."""

from __future__ import annotations

import gzip
from decimal import Decimal

import pendulum
import pytest

from tests.sandbox.test_sp_api_reports_wire import REPORTS, SETTLEMENT, US, Client
from tests.sandbox.wire import control, sp_get

EVENTS = "/finances/v0/financialEvents"
GROUPS = "/finances/v0/financialEventGroups"
TRANSACTIONS = "/finances/2024-06-19/transactions"


@pytest.fixture
def na(sandbox_server, accounts) -> Client:
    control(sandbox_server.url, "clock/scale", {"time_scale": 1.0})
    return Client(sandbox_server.url, accounts, 0)


def _pages(client: Client, path: str, token_name: str, payload_key: str, **params) -> list[dict]:
    pages = []
    while True:
        body = client.get(path, **params).json()
        assert "errors" not in body, body
        pages.append(body["payload"])
        token = body["payload"].get(token_name)
        if not token:
            return pages
        params[token_name] = token


def _amounts(event: dict) -> list[Decimal]:
    items = event.get("ShipmentItemList") or event.get("ShipmentItemAdjustmentList") or []
    found = []
    for item in items:
        for key in ("ItemChargeList", "ItemChargeAdjustmentList"):
            found += [Decimal(str(c["ChargeAmount"]["CurrencyAmount"])) for c in item.get(key, [])]
        for key in ("ItemFeeList", "ItemFeeAdjustmentList"):
            found += [Decimal(str(f["FeeAmount"]["CurrencyAmount"])) for f in item.get(key, [])]
    return found


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"PostedAfter": "2026-10-31T23:59:30Z"}, "two minutes"),
        ({"PostedBefore": "2026-10-01T00:00:00Z"}, "PostedAfter"),
        (
            {"PostedAfter": "2026-10-02T00:00:00Z", "PostedBefore": "2026-10-01T00:00:00Z"},
            "later",
        ),
        ({"PostedAfter": "not-a-date"}, "PostedAfter"),
    ],
    ids=["after-too-recent", "before-without-after", "before-before-after", "bad-date"],
)
def test_list_financial_events_enforces_the_time_rules(na, params, needle) -> None:
    response = na.get(EVENTS, **params)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "InvalidInput" and needle in error["details"] + error["message"]


def test_a_range_over_180_days_answers_nothing(na) -> None:
    body = na.get(
        EVENTS, PostedAfter="2026-01-01T00:00:00Z", PostedBefore="2026-10-01T00:00:00Z"
    ).json()
    assert body["payload"]["FinancialEvents"] == {"ShipmentEventList": [], "RefundEventList": []}


def test_events_page_with_the_same_arguments_and_match_the_settlement(na) -> None:
    settlement = na.get(REPORTS, reportTypes=SETTLEMENT, marketplaceIds=US).json()["reports"][0]
    start, end = settlement["dataStartTime"], settlement["dataEndTime"]
    pages = _pages(
        na,
        EVENTS,
        "NextToken",
        "FinancialEvents",
        PostedAfter=start,
        PostedBefore=end,
        MaxResultsPerPage=20,
    )
    assert len(pages) > 1
    events = [
        event
        for page in pages
        for name in ("ShipmentEventList", "RefundEventList")
        for event in page["FinancialEvents"][name]
        if event["MarketplaceName"] == "Amazon.com"
    ]
    assert any("ShipmentItemAdjustmentList" in event for event in events)
    total = sum((amount for event in events for amount in _amounts(event)), Decimal(0))
    text = gzip.decompress(na.download(settlement["reportDocumentId"]).content).decode()
    columns, summary = (line.split("\t") for line in text.splitlines()[:2])
    assert Decimal(summary[columns.index("total-amount")]) == total
    token = na.get(EVENTS, PostedAfter=start, PostedBefore=end, MaxResultsPerPage=20).json()
    changed = na.get(
        EVENTS,
        PostedAfter=start,
        MaxResultsPerPage=20,
        NextToken=token["payload"]["NextToken"],
    )
    assert changed.status_code == 400  # the token is bound to the arguments that made it


def test_groups_close_every_14_days_with_the_settlement_totals(na) -> None:
    settlement = na.get(REPORTS, reportTypes=SETTLEMENT, marketplaceIds=US).json()["reports"][0]
    groups = [
        group
        for page in _pages(
            na,
            GROUPS,
            "NextToken",
            "FinancialEventGroupList",
            FinancialEventGroupStartedAfter="2026-08-01T00:00:00Z",
            MaxResultsPerPage=3,
        )
        for group in page["FinancialEventGroupList"]
    ]
    usd = [g for g in groups if g["OriginalTotal"]["CurrencyCode"] == "USD"]
    assert usd[-1]["ProcessingStatus"] == "Open" and "FundTransferDate" not in usd[-1]
    assert all(g["ProcessingStatus"] == "Closed" for g in usd[:-1])
    start = pendulum.parse(settlement["dataStartTime"])
    match = next(g for g in usd if pendulum.parse(g["FinancialEventGroupStart"]) == start)
    text = gzip.decompress(na.download(settlement["reportDocumentId"]).content).decode()
    columns, summary = (line.split("\t") for line in text.splitlines()[:2])
    assert Decimal(str(match["OriginalTotal"]["CurrencyAmount"])) == Decimal(
        summary[columns.index("total-amount")]
    )


def test_transactions_agree_with_events(na, sandbox_server) -> None:
    window = {"postedAfter": "2026-10-01T00:00:00Z", "postedBefore": "2026-10-15T00:00:00Z"}
    transactions = [
        t
        for page in _pages(na, TRANSACTIONS, "nextToken", "transactions", **window)
        for t in page["transactions"]
    ]
    events = [
        event
        for page in _pages(
            na,
            EVENTS,
            "NextToken",
            "FinancialEvents",
            PostedAfter=window["postedAfter"],
            PostedBefore=window["postedBefore"],
        )
        for name in ("ShipmentEventList", "RefundEventList")
        for event in page["FinancialEvents"][name]
    ]
    assert len(transactions) == len(events) > 20
    assert len({t["transactionId"] for t in transactions}) == len(transactions)
    total = sum(Decimal(str(t["totalAmount"]["currencyAmount"])) for t in transactions)
    assert total == sum((a for e in events for a in _amounts(e)), Decimal(0))
    us_only = sp_get(sandbox_server.url, na.token, TRANSACTIONS, marketplaceId=US, **window).json()[
        "payload"
    ]["transactions"]
    assert us_only and {t["marketplaceDetails"]["marketplaceId"] for t in us_only} == {US}
