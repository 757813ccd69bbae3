"""A run's dbt process (`pipelines/dbt_process.py`) ends as soon as the run stops without asking
for a build (an error or a Ctrl-C during the loads), even while it is still parsing; it never
imports dlt, whose import would take CPU from the loads beside it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_a_dbt_process_imports_no_dlt() -> None:
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, pipelines.dbt_process; print('dlt' in sys.modules)"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert imported.stdout.strip() == "False", imported.stderr[-2000:]
