"""The Data Kiosk lifecycle through a real client: records of a query, no data, a failure."""

from __future__ import annotations

import pytest

from sources.common.clock import SYSTEM_CLOCK
from sources.common.retry import RetryPolicy
from sources.common.stats import ApiStats
from sources.sp_api.client import Account, make_client
from sources.sp_api.data_kiosk import SALES_AND_TRAFFIC, DataKioskQueryError, run_query

US = "ATVPDKIKX0DER"


@pytest.fixture
def client(accounts):
    raw = accounts["accounts"][0]
    account = Account("na", raw["seller_id"], raw["refresh_token"], marketplace_ids=(US,))
    lwa = accounts["lwa"]
    return make_client(
        account,
        lwa["client_id"],
        lwa["client_secret"],
        lwa["token_url"],
        SYSTEM_CLOCK,
        ApiStats(),
        RetryPolicy(backoff_base=0.01),
        accounts["sp_api"]["endpoint"],
    )


def _records(client, start: str, end: str) -> list[dict]:
    return list(run_query(client, SALES_AND_TRAFFIC.format(start=start, end=end, marketplace=US)))


def test_a_query_yields_its_records_and_follows_its_pages(sandbox_server, client) -> None:
    records = _records(client, "2024-11-05", "2026-10-31")
    days = [r["startDate"] for r in records]
    assert len(days) == len(set(days)) > 500  # two documents, in order, none twice
    assert {r["marketplaceId"] for r in records} == {US}
    assert all(r["sales"]["unitsOrdered"] > 0 for r in records)
    created = client.session.stats.snapshot()["dataKiosk_2023-11-15.createQuery"].calls
    assert created == 2


def test_done_without_a_document_is_no_data(sandbox_server, client) -> None:
    assert _records(client, "2027-06-01", "2027-06-30") == []


def test_a_fatal_query_fails_with_its_error_document(sandbox_server, client) -> None:
    with pytest.raises(DataKioskQueryError, match="starts before"):
        _records(client, "2023-01-01", "2023-01-31")
