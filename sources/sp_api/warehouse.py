"""Reading back what earlier runs loaded (the ASINs orders and listings carry, when the
catalog last described each), from the running pipeline's destination."""

from __future__ import annotations

from typing import Any

from dlt.common.configuration.container import Container
from dlt.common.pipeline import PipelineContext
from dlt.destinations.exceptions import DatabaseUndefinedRelation


def read_rows(table: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql`, `{table}` standing for a table of the running pipeline's dataset; none
    outside a pipeline run or before the table exists."""
    context = Container()[PipelineContext]
    if not context.is_active():
        return []
    pipeline = context.pipeline()
    if pipeline.destination is None:
        return []
    try:
        with pipeline.sql_client() as client:
            qualified = client.make_qualified_table_name(table)
            with client.execute_query(sql.format(table=qualified)) as cursor:
                return [tuple(row) for row in cursor.fetchall()]
    except DatabaseUndefinedRelation:
        return []
