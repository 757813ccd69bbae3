"""Row 6, kill -9 mid-normalize: a month after a first load, the next run is killed while
normalizing, with its files written but the package not committed, or committed with its
extracted twin not yet deleted. The next run normalizes the package once (dlt alone then fails
on every run: "Directory not empty"), loads it, goes on to extract, and ends clean."""

from __future__ import annotations

import pytest

from tests.battery import runs


@pytest.mark.parametrize("point", ["normalize-written", "normalize-committed"])
def test_a_run_killed_mid_normalize_is_normalized_once_by_the_next(
    point, sandbox_server, accounts, tmp_path, tmp_path_factory
) -> None:
    load_id = runs.interrupted_month(tmp_path, sandbox_server, point, tmp_path_factory)
    assert runs.pending(tmp_path) == {
        "normalize/extracted": [load_id],
        "load/normalized": [load_id] if point == "normalize-committed" else [],
    }
    warehouse = runs.warehouse(tmp_path)
    assert load_id not in runs.completed_loads(warehouse)

    rerun = runs.run_ok(tmp_path, sandbox_server)

    assert f"finishing 1 load package(s) an interrupted run left ({load_id})" in rerun.stderr
    assert runs.pending(tmp_path) == runs.NOTHING_PENDING
    loads = runs.completed_loads(warehouse)
    assert loads.count(load_id) == 1 and len(loads) == len(set(loads))
    runs.assert_clean(tmp_path, accounts)
