"""The summary's lower bound of API calls: every answer used, no more pages than the items
needed, one poll per job created."""

from __future__ import annotations

from pipelines.summary import lower_bound
from sources.common.stats import OperationStats


def test_failed_calls_and_extra_polls_are_above_the_bound() -> None:
    operations = {
        "reports_2021-06-30.createReport": OperationStats(calls=5, errors=1),
        "reports_2021-06-30.getReport": OperationStats(calls=20, throttled=3, errors=3),
        "dataKiosk_2023-11-15.getQuery": OperationStats(calls=2),
        "orders_2026-01-01.searchOrders": OperationStats(calls=9, retries=2, errors=2),
    }
    assert lower_bound("reports_2021-06-30.createReport", operations) == 4
    assert lower_bound("reports_2021-06-30.getReport", operations) == 4  # one per report
    assert lower_bound("dataKiosk_2023-11-15.getQuery", operations) == 0  # none created here
    assert lower_bound("orders_2026-01-01.searchOrders", operations) == 7


def test_a_paginated_operation_is_bound_by_the_pages_its_items_needed() -> None:
    """Two queries whose 250 items fit 3 pages of 100, fetched in 9 calls (2 throttled): the
    bound is 3, not the 7 answers used (short pages cost calls the plans made no one take)."""
    operations = {
        "orders_2026-01-01.searchOrders": OperationStats(
            calls=9, throttled=2, errors=2, queries=2, pages_needed=3
        )
    }
    assert lower_bound("orders_2026-01-01.searchOrders", operations) == 3
