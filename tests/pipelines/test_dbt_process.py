"""A run's dbt process (`pipelines/dbt_process.py`) ends as soon as the run stops without asking
for a build (an error or a Ctrl-C during the loads), even while it is still parsing."""

from __future__ import annotations

import duckdb

from pipelines.dbt_process import DbtProcess
from pipelines.transform import Target


def test_a_dbt_process_not_asked_to_build_ends_when_the_run_stops(tmp_path) -> None:
    path = tmp_path / "amazon.duckdb"
    duckdb.connect(str(path)).close()
    dbt = DbtProcess(Target.of(path))
    dbt.stop()
    assert dbt.process.returncode == 0  # ended on its own, not killed after the 30 s grace
    assert not (tmp_path / "amazon.dbt" / "target" / "manifest.json").exists()
