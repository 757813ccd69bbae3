"""What a run prints: rows per table, API calls per operation, throttles, time."""

from __future__ import annotations

from dlt.destinations.exceptions import DatabaseUndefinedRelation

from pipelines.transform import DbtSummary
from pipelines.warehouse import Warehouse
from sources.common.stats import ApiStats


def table_rows(
    warehouse: Warehouse, dataset: str, load_ids: list[str]
) -> dict[str, tuple[int, int]]:
    """(rows, rows of the loads `load_ids`) in every data table of `dataset` that dlt's stored
    schema names, on any destination: every row carries the `_dlt_load_id` of the load that
    wrote it last."""
    view = warehouse.dataset(dataset)
    ids = ", ".join(f"'{load_id}'" for load_id in load_ids if load_id.replace(".", "").isdigit())
    now = f"case when _dlt_load_id in ({ids}) then 1 else 0 end" if ids else "0"
    found: dict[str, tuple[int, int]] = {}
    with view.sql_client as client:
        for table in sorted(view.schema.data_table_names(seen_data_only=True)):
            sql = f"select count(*), sum({now}) from {client.make_qualified_table_name(table)}"
            try:
                ((rows, loaded_now),) = client.execute_sql(sql)
            except DatabaseUndefinedRelation:
                continue
            found[table] = (int(rows), int(loaded_now or 0))
    return found


def render(
    warehouse: Warehouse,
    loaded: dict[str, list[str]],
    stats: ApiStats,
    dbt: DbtSummary | None,
    seconds: float,
) -> str:
    """`loaded` maps each dataset (source) to the load ids this run completed, those an
    interrupted run left among them."""
    lines = [f"warehouse: {warehouse.where}{' (encrypted)' if warehouse.encrypted else ''}"]
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
