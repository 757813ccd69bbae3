"""Row 7, kill -9 mid-load (merge): a month after a first load, the next run is killed with
jobs of its package done and one started: before any table is merged, with one table merged
and the next not, or with a job committed in DuckDB that the loader had not recorded. The
next run loads that package first and then extracts and loads as usual (dlt alone would load
it and stop, leaving the new data unread); a further run adds nothing; every row belongs to a
completed load and no key is doubled (dlt#3023). The same holds for a table that appends
(the orders report's backfill), where dlt alone would append the unrecorded job twice."""

from __future__ import annotations

import json

import pytest

from sources.sp_api.report_catalog import ORDERS as ORDERS_REPORT
from tests.battery import runs
from tests.battery.fingerprint import fingerprint

A_DAY = 86400.0
BACKFILL = ("orders", "order_items", "reports")  # the orders report, appended window by window


@pytest.mark.parametrize(
    "point", ["load-first-merge", "load-second-merge", "load-committed-unrecorded"]
)
def test_a_run_killed_mid_load_is_finished_by_the_next_which_then_extracts(
    point, sandbox_server, accounts, tmp_path, tmp_path_factory
) -> None:
    load_id = runs.interrupted_month(tmp_path, sandbox_server, point, tmp_path_factory)
    assert runs.pending(tmp_path)["load/normalized"] == [load_id]
    warehouse = runs.warehouse(tmp_path)
    assert load_id not in runs.completed_loads(warehouse)
    runs.advance(sandbox_server, A_DAY)  # the next run has news of its own to load

    rerun = runs.run_ok(tmp_path, sandbox_server)

    assert f"finishing 1 load package(s) an interrupted run left ({load_id})" in rerun.stderr
    assert load_id in runs.completed_loads(warehouse)
    after = runs.assert_clean(tmp_path, accounts)  # the day's news is in too
    assert all(table.rows == table.keys for table in after.values())
    runs.run_ok(tmp_path, sandbox_server)
    assert fingerprint(warehouse, runs.DATASET) == after


def test_an_appending_job_committed_but_unrecorded_is_not_appended_twice(
    sandbox_server, accounts, tmp_path
) -> None:
    backfill = {
        "SOURCES__SP_API__RESOURCES": json.dumps(BACKFILL),
        "SOURCES__SP_API__REPORT_TYPES": json.dumps([ORDERS_REPORT]),
    }
    runs.kill_at(tmp_path, sandbox_server, "load-append-committed-unrecorded", **backfill)
    (load_id,) = runs.pending(tmp_path)["load/normalized"]

    rerun = runs.run_ok(tmp_path, sandbox_server, **backfill)

    assert f"report_order_items of package {load_id} load again" in rerun.stderr
    found = runs.assert_clean(tmp_path, accounts, resources=BACKFILL, report_types=[ORDERS_REPORT])
    assert found["report_order_items"].rows > 1000
