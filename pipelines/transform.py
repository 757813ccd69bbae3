"""`dbt build` on sql/ from Python, offline, on the warehouse the run loaded (its target)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.duckdb_file import DuckDbFile
from pipelines.warehouse import Warehouse

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@dataclass(frozen=True)
class DbtSummary:
    success: bool
    counts: dict[str, int]  # status -> nodes (pass, success, error, fail, skipped, ...)
    failures: list[str]


def build(
    target: Path | Warehouse,
    full_refresh: bool = False,
    on_event: Callable[[Any], None] | None = None,
) -> DbtSummary:
    """Run `dbt build` quietly; the summary names any model or test that failed. Incremental
    marts rebuild only what was loaded since their last build, and data tests check those rows,
    unless `full_refresh`. dbt's target (with its partial parse) and logs sit beside the
    warehouse (`amazon.dbt/`), so builds of two warehouses (parallel tests) never share them;
    the profile's variables (credentials) live only while it runs. `on_event` gets dbt's events
    (progress)."""
    warehouse = (
        target if isinstance(target, Warehouse) else Warehouse.of_file(DuckDbFile(target.resolve()))
    )
    work = warehouse.beside(".dbt")
    profile, environment = warehouse.dbt_target()
    os.environ.update(environment)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    from dbt.cli.main import dbtRunner

    args = [
        "--quiet",
        "build",
        "--project-dir",
        str(SQL_DIR),
        "--profiles-dir",
        str(SQL_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--target",
        profile,
        # unit tests check the models' logic, which a load does not change: a full refresh runs
        # them (as the suite does), an incremental build of new rows does not
        *(["--full-refresh"] if full_refresh else ["--exclude-resource-type", "unit_test"]),
    ]
    try:
        result = dbtRunner(callbacks=[on_event] if on_event else None).invoke(args)
    finally:
        _release_duckdb()
        for name in environment:
            os.environ.pop(name, None)
    counts: dict[str, int] = {}
    failures: list[str] = []
    for node in getattr(result.result, "results", None) or []:
        status = str(node.status)
        counts[status] = counts.get(status, 0) + 1
        if status in ("error", "fail"):
            failures.append(f"{node.node.name}: {(node.message or status).strip()}")
    if result.exception is not None:
        failures.append(f"dbt: {result.exception}")
    return DbtSummary(bool(result.success), counts, failures)


def _release_duckdb() -> None:
    """dbt-duckdb keeps its database open for the process's life; close it so that this
    process (the run summary, tests) can open the file read-only afterwards."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None
