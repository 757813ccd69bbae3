"""What a run prints: rows per table, API calls per operation, throttles, time."""

from __future__ import annotations

from pipelines.transform import DbtSummary
from pipelines.warehouse import Warehouse
from sources.common.stats import ApiStats


def table_rows(
    warehouse: Warehouse, dataset: str, load_ids: list[str]
) -> dict[str, tuple[int, int]]:
    """(rows, rows of the loads `load_ids`) in every data table of `dataset` (dlt's own tables
    left out): every row carries the `_dlt_load_id` of the load that wrote it last."""
    with warehouse.connect(read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? and table_name not like '\\_dlt%' escape '\\' "
                "order by table_name",
                [dataset],
            ).fetchall()
        ]
        return {
            table: connection.execute(  # type: ignore[misc]
                "select count(*), count(*) filter (where list_contains(?::varchar[], "
                f'_dlt_load_id)) from "{dataset}"."{table}"',
                [load_ids],
            ).fetchone()
            for table in tables
        }


def render(
    warehouse: Warehouse,
    loaded: dict[str, list[str]],
    stats: ApiStats,
    dbt: DbtSummary | None,
    seconds: float,
) -> str:
    """`loaded` maps each dataset (source) to the load ids this run completed, those an
    interrupted run left among them."""
    lines = [f"warehouse: {warehouse.path}{' (encrypted)' if warehouse.encrypted else ''}"]
    lines.append(f"  {'table':<36}{'rows':>12}{'loaded now':>12}")
    for dataset, load_ids in loaded.items():
        for table, (rows, now) in table_rows(warehouse, dataset, load_ids).items():
            lines.append(f"  {dataset + '.' + table:<36}{rows:>12,}{now:>12,}")
    operations = stats.snapshot()
    if operations:
        lines.append(f"  {'API operation':<44}{'calls':>8}{'throttled':>11}{'retries':>9}")
        for name, op in operations.items():
            lines.append(f"  {name:<44}{op.calls:>8,}{op.throttled:>11,}{op.retries:>9,}")
        throttled = sum(op.throttled for op in operations.values())
        calls = sum(op.calls for op in operations.values())
        lines.append(f"  {'total':<44}{calls:>8,}{throttled:>11,}")
    if dbt is not None:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(dbt.counts.items()))
        lines.append(f"dbt build: {'ok' if dbt.success else 'FAILED'} ({counts or 'nothing run'})")
    lines.append(f"time: {seconds:.1f} s")
    return "\n".join(lines)
