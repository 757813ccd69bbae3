"""What a run prints: per table rows new, updated and now; API calls against their lower bound.

The warehouse is read only through dlt (its datasets and SQL client), so this works on any
destination.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from pipelines.transform import DbtSummary
from sources.common.hints import SNAPSHOT_HINT
from sources.common.stats import OperationStats

# a polled operation -> the one that starts what it polls: one poll per job is the least
POLLS = {
    "reports_2021-06-30.getReport": "reports_2021-06-30.createReport",
    "dataKiosk_2023-11-15.getQuery": "dataKiosk_2023-11-15.createQuery",
}


@dataclass(frozen=True)
class TableRows:
    new: int
    updated: int
    now: int
    snapshot: bool


@dataclass(frozen=True)
class SourceRun:
    """What one source's pipeline did: its tables' rows and its API calls."""

    tables: dict[str, TableRows]
    operations: dict[str, OperationStats]


def row_counts(dataset: Any, load_ids: Sequence[str] = ()) -> dict[str, tuple[int, int]]:
    """(rows, rows the loads `load_ids` wrote last) per data table of a dlt dataset, through
    dlt's SQL client (dlt's relations need a sqlglot that dbt does not allow); none before its
    first load. A run's load ids are the dataset's newest, so the second count also filters on
    the oldest of them: a range the warehouse's min/max statistics answer without reading
    older rows (DuckDB: 4M rows in milliseconds, not a scan)."""
    ids = sorted(load_ids)
    try:
        tables = dataset.schema.data_table_names(seen_data_only=True)
        with dataset.sql_client as client:
            found = {}
            for table in tables:
                name = client.make_qualified_table_name(table)
                rows = _count(client, f"select count(*) from {name}")
                found[table] = (rows, _stamped(client, name, ids) if ids else 0)
            return found
    except (DatabaseUndefinedRelation, DestinationUndefinedEntity):
        return {}


def _stamped(client: Any, name: str, ids: list[str]) -> int:
    placeholders = ", ".join(["%s"] * len(ids))
    query = (
        f"select count(*) from {name} where _dlt_load_id >= %s and _dlt_load_id in ({placeholders})"
    )
    return _count(client, query, ids[0], *ids)


def _count(client: Any, query: str, *values: str) -> int:
    with client.execute_query(query, *values) as cursor:
        return int(cursor.fetchone()[0])


def table_rows(
    dataset: Any, before: dict[str, tuple[int, int]], load_ids: list[str]
) -> dict[str, TableRows]:
    """Every row carries the `_dlt_load_id` of the load that wrote it last, and a merge keeps
    one row per key: rows new = rows now - rows before, rows updated = rows this run's loads
    (every seller's) wrote - rows new (a merge that replaced a row stamps it anew)."""
    tables = dataset.schema.tables
    found = {}
    for table, (rows, written) in sorted(row_counts(dataset, load_ids).items()):
        new = min(max(rows - before.get(table, (0, 0))[0], 0), written)
        snapshot = bool(tables.get(table, {}).get(SNAPSHOT_HINT))
        found[table] = TableRows(new, written - new, rows, snapshot)
    return found


def lower_bound(name: str, operations: dict[str, OperationStats]) -> int:
    """The calls a run could not have done without: every answer it used (a call that failed,
    was throttled or timed out is extra), but no more pages than a paginated operation's items
    needed at the page size each query asked for, and one poll per job its creating operation
    started (a job resumed from an earlier run counts none)."""
    stats = operations[name]
    used = stats.calls - stats.errors
    if stats.queries:
        return min(used, stats.pages_needed)
    for polled, creator in POLLS.items():
        if name.endswith(polled):
            created = operations.get(name.removesuffix(polled) + creator)
            return min(used, created.calls - created.errors if created else 0)
    return used


def render(
    warehouse: str,
    sources: dict[str, SourceRun],
    operations: dict[str, OperationStats],
    dbt: DbtSummary | None,
    seconds: float,
    detail: bool = False,
) -> str:
    """A line per source (with `detail`: per table, and per API operation of `operations`)."""
    lines = [f"warehouse: {warehouse}"]
    if detail:
        lines += _tables(sources) + _operations(operations)
    else:
        lines.append(
            f"  {'source':<12}{'tables':>8}{'new':>12}{'updated':>12}{'rows':>14}"
            f"{'API calls':>11}{'least':>8}"
        )
        for name, run in sources.items():
            rows = run.tables.values()
            snapshots = sum(r.snapshot for r in rows)
            calls = sum(op.calls for op in run.operations.values())
            least = sum(lower_bound(op, run.operations) for op in run.operations)
            lines.append(
                f"  {name:<12}{len(rows):>8}{sum(r.new for r in rows):>12,}"
                f"{sum(r.updated for r in rows):>12,}{sum(r.now for r in rows):>14,}"
                f"{calls:>11,}{least:>8,}"
                + (f"  ({snapshots} snapshot tables)" if snapshots else "")
            )
    if dbt is not None:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(dbt.counts.items()))
        lines.append(f"dbt build: {'ok' if dbt.success else 'FAILED'} ({counts or 'nothing run'})")
    more = "" if detail else " (-v: every table and API operation)"
    lines.append(f"time: {seconds:.1f} s{more}")
    return "\n".join(lines)


def _tables(sources: dict[str, SourceRun]) -> list[str]:
    lines = [f"  {'table':<44}{'new':>10}{'updated':>10}{'rows':>12}"]
    for dataset, run in sources.items():
        for table, rows in run.tables.items():
            name = f"{dataset}.{table}" + (" (snapshots)" if rows.snapshot else "")
            lines.append(f"  {name:<44}{rows.new:>10,}{rows.updated:>10,}{rows.now:>12,}")
    return lines


def _operations(operations: dict[str, OperationStats]) -> list[str]:
    if not operations:
        return []
    lines = [f"  {'API operation':<44}{'calls':>8}{'least':>8}{'throttled':>11}{'retries':>9}"]
    for name, op in operations.items():
        bound = lower_bound(name, operations)
        lines.append(f"  {name:<44}{op.calls:>8,}{bound:>8,}{op.throttled:>11,}{op.retries:>9,}")
    calls = sum(op.calls for op in operations.values())
    least = sum(lower_bound(name, operations) for name in operations)
    throttled = sum(op.throttled for op in operations.values())
    lines.append(f"  {'total':<44}{calls:>8,}{least:>8,}{throttled:>11,}")
    return lines
