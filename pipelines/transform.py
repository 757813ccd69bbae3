"""`dbt build` on sql/ from Python, offline, on the warehouse the run loaded (its target)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines import dbt_selection
from sources.common.imports import unreachable

if TYPE_CHECKING:
    from pipelines.warehouse import Warehouse

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@dataclass(frozen=True)
class DbtSummary:
    success: bool
    counts: dict[str, int]  # status -> nodes (pass, success, error, fail, skipped, ...)
    failures: list[str]


@dataclass(frozen=True)
class Target:
    """Where dbt builds: sql/profiles.yml's target for the warehouse, the variables it reads
    (credentials), the folder beside the warehouse for dbt's target, logs and state, and the
    project (a test builds a changed copy of sql/)."""

    profile: str
    environment: dict[str, str]
    work: Path
    project: Path = SQL_DIR

    @classmethod
    def of(cls, target: Path | Warehouse) -> Target:
        # dlt's, imported here: run.py's dbt process is handed its target and never loads dlt
        from pipelines.duckdb_file import DuckDbFile
        from pipelines.warehouse import Warehouse

        warehouse = (
            target
            if isinstance(target, Warehouse)
            else Warehouse.of_file(DuckDbFile(target.resolve()))
        )
        profile, environment = warehouse.dbt_target()
        return cls(profile, environment, warehouse.beside(".dbt").resolve())


# the events a build's progress shows: of ~4,400 a first build fires (a query, a connection,
# a cache action each), the rest would only cross the pipe from run.py's dbt process
PROGRESS = frozenset({"FoundStats", "NodeFinished"})


@dataclass(frozen=True)
class Step:
    """What a build's progress shows of one of dbt's events."""

    name: str  # dbt's event: FoundStats, NodeFinished, ...
    stat_line: str = ""  # FoundStats: "Found 45 models, ..."
    resource_type: str = ""  # NodeFinished: model, test, seed, ...

    @classmethod
    def of(cls, event: Any) -> Step:
        node = getattr(event.data, "node_info", None)
        return cls(
            event.info.name,
            getattr(event.data, "stat_line", ""),
            getattr(node, "resource_type", "") if node is not None else "",
        )


def parse(target: Target) -> Any:
    """dbt's manifest of sql/ for `target`, for `build` to run without parsing again; None if
    the project does not parse (the build then says why)."""
    with _invocation(target) as (runner, args):
        result = runner().invoke(["--quiet", "parse", *args])
    return result.result if result.success else None


def build(
    target: Path | Warehouse | Target,
    full_refresh: bool = False,
    on_event: Callable[[Step], None] | None = None,
    manifest: Any = None,
) -> DbtSummary:
    """Run `dbt build` quietly; the summary names any model or test that failed. Unless
    `full_refresh`, it runs only the nodes that loads, changed definitions or failures since
    the last passing build can affect (pipelines/dbt_selection.py), incremental marts rebuild
    only what was loaded since their last build, and data tests check those rows. dbt's target
    (with its partial parse), state and logs sit beside the warehouse (`amazon.dbt/`), so
    builds of two warehouses (parallel tests) never share them; the profile's variables
    (credentials) live only while it runs. `on_event` gets the events progress shows; a
    `manifest` of `parse` saves parsing again."""
    target = target if isinstance(target, Target) else Target.of(target)

    def heard(event: Any) -> None:
        if on_event is not None and event.info.name in PROGRESS:
            on_event(Step.of(event))

    manifest = manifest or parse(target)  # one parse for the selection and the build
    found = (
        _build_selection(target, manifest)
        if not full_refresh and manifest is not None and dbt_selection.passed_before(target.work)
        else None
    )
    selection = (
        dbt_selection.choose(target.work, manifest, found)
        if found is not None and dbt_selection.comparable(target.work, manifest)
        else None
    )
    with _invocation(target) as (runner, args):
        args = [
            "--quiet",
            "build",
            *args,
            # unit tests check the models' logic, which a load does not change: a full refresh
            # runs them (as the suite does), an incremental build of new rows does not
            *(["--full-refresh"] if full_refresh else ["--exclude-resource-type", "unit_test"]),
            *(selection.arguments() if selection else dbt_selection.whole(found)),
        ]
        result = runner(manifest=manifest, callbacks=[heard] if on_event else None).invoke(args)
    counts: dict[str, int] = {}
    failures: list[str] = []
    ran = getattr(result.result, "results", None)
    for node in ran or []:
        status = str(node.status)
        counts[status] = counts.get(status, 0) + 1
        if status in ("error", "fail"):
            failures.append(f"{node.node.name}: {(node.message or status).strip()}")
    if result.exception is not None:
        failures.append(f"dbt: {result.exception}")
    dbt_selection.keep(target.work, ran=ran is not None, passed=bool(result.success))
    return DbtSummary(bool(result.success), counts, failures)


def _build_selection(target: Target, manifest: Any) -> dict[str, Any] | None:
    """What sql/macros/build_selection.sql finds in the warehouse (its one logged line), or None
    if it failed (the build then runs every node)."""
    lines: list[str] = []

    def heard(event: Any) -> None:
        if event.info.name == "JinjaLogInfo":
            lines.append(event.data.msg)

    with _invocation(target) as (runner, args):
        result = runner(manifest=manifest, callbacks=[heard]).invoke(
            ["--quiet", "--no-write-json", "run-operation", "build_selection", *args]
        )
    return json.loads(lines[-1]) if result.success and lines else None


@contextmanager
def _invocation(target: Target) -> Iterator[tuple[Any, list[str]]]:
    """dbt's runner and the arguments naming the project, its target and where its files go,
    with the profile's variables set until the invocation ends."""
    os.environ.update(target.environment)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    try:
        yield (
            dbt_runner(),
            [
                "--project-dir",
                str(target.project),
                "--profiles-dir",
                str(target.project),
                "--target-path",
                str(target.work / "target"),
                "--log-path",
                str(target.work / "logs"),
                *_file_log_level(),
                "--target",
                target.profile,
            ],
        )
    finally:
        _release_duckdb()
        for name in target.environment:
            os.environ.pop(name, None)


def _file_log_level() -> list[str]:
    """dbt's log file at info (each node's start, end and errors), not dbt's default debug
    (every statement: ~4 MB and 8% of a build of every node, measured 7.3-7.8 s against
    7.7-8.5 s); a user's `DBT_LOG_LEVEL_FILE` wins. A failed node's SQL is in the target's
    `run/` folder either way."""
    return [] if "DBT_LOG_LEVEL_FILE" in os.environ else ["--log-level-file", "info"]


def dbt_runner() -> Any:
    """dbt's runner, imported without rfc3987-syntax: dbt imports jsonschema, which compiles that
    package's IRI grammar as it is imported when it is installed (the notebook extra brings it),
    and dbt checks no IRI. Measured: importing dbt took 2.5-3.0 s with it, 1.5 s without."""
    with unreachable("rfc3987_syntax"):
        from dbt.cli.main import dbtRunner
    return dbtRunner


def _release_duckdb() -> None:
    """dbt-duckdb keeps its database open for the process's life; close it so that this
    process (the run summary, tests) can open the file read-only afterwards."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None
