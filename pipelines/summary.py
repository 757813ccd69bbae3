"""What a run prints: per table rows new, updated and now; API calls against their lower bound.

The warehouse is read only through dlt (`pipeline.dataset()`), so this works on any
destination.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.pipeline.pipeline import Pipeline

from pipelines.transform import DbtSummary
from sources.common.hints import SNAPSHOT_HINT
from sources.common.stats import ApiStats, OperationStats

LOAD_ID = re.compile(r"[0-9.]+")  # dlt's load ids are timestamps, safe to quote in SQL
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


def row_counts(pipeline: Pipeline, load_ids: Sequence[str] = ()) -> dict[str, tuple[int, int]]:
    """(rows, rows the loads `load_ids` wrote last) per data table of the pipeline's dataset,
    through dlt's SQL client (dlt's relations need a sqlglot that dbt does not allow); none
    before its first load."""
    dataset = pipeline.dataset()
    try:
        tables = dataset.schema.data_table_names(seen_data_only=True)
        with pipeline.sql_client() as client:
            found = {}
            for table in tables:
                ids = ", ".join(
                    f"'{load_id}'" for load_id in load_ids if LOAD_ID.fullmatch(load_id)
                )
                stamped = f"count(case when _dlt_load_id in ({ids}) then 1 end)" if ids else "0"
                query = f"select count(*), {stamped} from {client.make_qualified_table_name(table)}"
                with client.execute_query(query) as cursor:
                    rows, written = cursor.fetchone()
                found[table] = (int(rows), int(written))
            return found
    except (DatabaseUndefinedRelation, DestinationUndefinedEntity):
        return {}


def table_rows(
    pipeline: Pipeline, before: dict[str, tuple[int, int]], load_ids: list[str]
) -> dict[str, TableRows]:
    """Every row carries the `_dlt_load_id` of the load that wrote it last, and a merge keeps
    one row per key: rows new = rows now - rows before, rows updated = rows this run's loads
    wrote - rows new (a merge that replaced a row stamps it anew)."""
    tables = pipeline.default_schema.tables if pipeline.default_schema_name else {}
    found = {}
    for table, (rows, written) in sorted(row_counts(pipeline, load_ids).items()):
        new = min(max(rows - before.get(table, (0, 0))[0], 0), written)
        snapshot = bool(tables.get(table, {}).get(SNAPSHOT_HINT))
        found[table] = TableRows(new, written - new, rows, snapshot)
    return found


def lower_bound(name: str, operations: dict[str, OperationStats]) -> int:
    """The calls a run could not have done without: every answer it used (a call that failed,
    was throttled or timed out is extra), except that a polled operation needs one poll per
    job its creating operation started (a job resumed from an earlier run counts none)."""
    stats = operations[name]
    used = stats.calls - stats.errors
    for polled, creator in POLLS.items():
        if name.endswith(polled):
            created = operations.get(name.removesuffix(polled) + creator)
            return min(used, created.calls - created.errors if created else 0)
    return used


def render(
    warehouse: str,
    tables: dict[str, dict[str, TableRows]],
    stats: ApiStats,
    dbt: DbtSummary | None,
    seconds: float,
) -> str:
    """`tables` maps each dataset (source) to its tables' rows."""
    lines = [f"warehouse: {warehouse}"]
    lines.append(f"  {'table':<40}{'new':>10}{'updated':>10}{'rows':>12}")
    for dataset, found in tables.items():
        for table, rows in found.items():
            name = f"{dataset}.{table}" + (" (snapshots)" if rows.snapshot else "")
            lines.append(f"  {name:<40}{rows.new:>10,}{rows.updated:>10,}{rows.now:>12,}")
    operations = stats.snapshot()
    if operations:
        lines.append(
            f"  {'API operation':<44}{'calls':>8}{'least':>8}{'throttled':>11}{'retries':>9}"
        )
        least = 0
        for name, op in operations.items():
            bound = lower_bound(name, operations)
            least += bound
            lines.append(
                f"  {name:<44}{op.calls:>8,}{bound:>8,}{op.throttled:>11,}{op.retries:>9,}"
            )
        throttled = sum(op.throttled for op in operations.values())
        calls = sum(op.calls for op in operations.values())
        lines.append(f"  {'total':<44}{calls:>8,}{least:>8,}{throttled:>11,}")
    if dbt is not None:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(dbt.counts.items()))
        lines.append(f"dbt build: {'ok' if dbt.success else 'FAILED'} ({counts or 'nothing run'})")
    lines.append(f"time: {seconds:.1f} s")
    return "\n".join(lines)
