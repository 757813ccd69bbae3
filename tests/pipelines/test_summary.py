"""The summary's lower bound of API calls: every answer used, one poll per job created."""

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
