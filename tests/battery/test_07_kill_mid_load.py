"""Row 7, kill -9 mid-load (merge): a month after a first load, the next run is killed with
jobs of its package done and one started: before any table is merged, with one table merged
and the next not, or with a job committed in DuckDB that the loader had not recorded. The
next run loads that package first and then extracts and loads as usual (dlt alone would load
it and stop, leaving the new data unread); a further run adds nothing; every row belongs to a
completed load and no key is doubled (dlt#3023)."""

from __future__ import annotations

import pytest

from tests.battery import runs
from tests.battery.fingerprint import fingerprint, unfinished_loads

A_DAY = 86400.0


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
    after = fingerprint(warehouse, runs.DATASET)
    assert after == runs.clean_print(tmp_path, accounts)  # the day's news is in too
    assert all(table.rows == table.keys for table in after.values())
    assert not unfinished_loads(warehouse, runs.DATASET)
    runs.run_ok(tmp_path, sandbox_server)
    assert fingerprint(warehouse, runs.DATASET) == after
