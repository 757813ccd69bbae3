"""Row 8, kill -9 and a wiped working folder (an ephemeral host): a month after a first load,
the next run is killed mid-load once its state row is committed, and its pipelines folder is
deleted with the package. The next run restores the state of the last *completed* load from
the warehouse, not the one the killed load wrote (dlt#4052), so it reads the month again from
where the killed run started: no gap. The dead load's state row goes; the run ends clean."""

from __future__ import annotations

import shutil

from tests.battery import runs


def test_a_killed_run_whose_folder_is_wiped_leaves_no_gap(
    sandbox_server, accounts, tmp_path, tmp_path_factory
) -> None:
    load_id = runs.interrupted_month(
        tmp_path, sandbox_server, "load-state-committed", tmp_path_factory
    )
    warehouse = runs.warehouse(tmp_path)
    assert load_id in {row[2] for row in runs.state_rows(warehouse)}
    assert load_id not in runs.completed_loads(warehouse)
    killed_from = runs.take_searches(sandbox_server)
    shutil.rmtree(runs.pipelines_folder(tmp_path))

    runs.run_ok(tmp_path, sandbox_server)

    assert runs.searched_again(
        runs.take_searches(sandbox_server), killed_from
    )  # the last completed load's cursors
    assert load_id not in {row[2] for row in runs.state_rows(warehouse)}
    runs.assert_clean(tmp_path, accounts)
