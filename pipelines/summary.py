"""What a run prints: rows per table, API calls per operation, throttles, time."""

from __future__ import annotations

from pipelines.transform import DbtSummary
from pipelines.warehouse import Warehouse
from sources.common.stats import ApiStats


def table_rows(warehouse: Warehouse, dataset: str) -> dict[str, int]:
    """Rows in every data table of `dataset` (dlt's own tables left out)."""
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
            table: connection.execute(f'select count(*) from "{dataset}"."{table}"').fetchone()[0]  # type: ignore[index]
            for table in tables
        }


def render(
    warehouse: Warehouse,
    loaded: dict[str, dict[str, int]],
    stats: ApiStats,
    dbt: DbtSummary | None,
    seconds: float,
) -> str:
    """`loaded` maps each dataset (source) to the rows this run normalized per table."""
    lines = [f"warehouse: {warehouse.path}{' (encrypted)' if warehouse.encrypted else ''}"]
    lines.append(f"  {'table':<36}{'rows':>12}{'loaded now':>12}")
    for dataset, counts in loaded.items():
        for table, rows in table_rows(warehouse, dataset).items():
            lines.append(f"  {dataset + '.' + table:<36}{rows:>12,}{counts.get(table, 0):>12,}")
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
