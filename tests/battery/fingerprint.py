"""The battery's oracle: what a warehouse holds, independent of load order and load ids.

Per table: rows, distinct primary keys (equal to rows, or a duplicate slipped in) and an
order-independent checksum of the business columns (every column but dlt's own and the ones
named volatile: stamps of when a run happened rather than of what Amazon said). Besides: every
row's `_dlt_load_id` is a completed load (`_dlt_loads.status = 0`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

# columns that record when a run happened, not what Amazon said
VOLATILE = frozenset({"observed_at", "received_at", "requested_at", "loaded_at", "refreshed_at"})


@dataclass(frozen=True)
class TablePrint:
    rows: int
    keys: int
    checksum: int


def fingerprint(
    path: Path, dataset: str, ignore: frozenset[str] = frozenset()
) -> dict[str, TablePrint]:
    """Every table of `dataset` in the DuckDB file at `path`, as `TablePrint`s; `ignore`
    names more columns to leave out of checksums (ids a sandbox hands out in request order)."""
    with duckdb.connect(str(path), read_only=True) as connection:
        found = {}
        tables = connection.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_name not like '\\_dlt\\_%' escape '\\' "
            "order by 1",
            [dataset],
        ).fetchall()
        for (table,) in tables:
            columns = [
                name
                for (name,) in connection.execute(
                    # by name: runs may add a table's columns in different orders
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by column_name",
                    [dataset, table],
                ).fetchall()
            ]
            business = [
                c for c in columns if not c.startswith("_dlt_") and c not in VOLATILE | ignore
            ]
            keys = _primary_key(connection, dataset, table) or business
            quoted = ", ".join(f'"{c}"' for c in business)
            key_list = ", ".join(f'"{c}"' for c in keys)
            rows, distinct, checksum = connection.execute(
                f"select count(*), count(distinct ({key_list})), "
                f'coalesce(sum(hash({quoted})::hugeint), 0) from "{dataset}"."{table}"'
            ).fetchone()
            found[table] = TablePrint(rows, distinct, int(checksum))
        return found


def unfinished_loads(path: Path, dataset: str) -> set[str]:
    """Load ids in the data tables that `_dlt_loads` does not record as completed."""
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "select table_name from information_schema.columns "
            "where table_schema = ? and column_name = '_dlt_load_id'",
            [dataset],
        ).fetchall()
        done = {
            load_id
            for (load_id,) in connection.execute(
                f'select load_id from "{dataset}"._dlt_loads where status = 0'
            ).fetchall()
        }
        seen = set()
        for (table,) in tables:
            seen |= {
                load_id
                for (load_id,) in connection.execute(
                    f'select distinct _dlt_load_id from "{dataset}"."{table}"'
                ).fetchall()
            }
        return seen - done


def _primary_key(connection: duckdb.DuckDBPyConnection, dataset: str, table: str) -> list[str]:
    """The primary key dlt declared for `table` (from its stored schema), if any."""
    import json

    stored = connection.execute(
        f'select schema from "{dataset}"._dlt_version order by inserted_at desc limit 1'
    ).fetchone()
    if stored is None:
        return []
    columns = json.loads(stored[0]).get("tables", {}).get(table, {}).get("columns", {})
    return [name for name, column in columns.items() if column.get("primary_key")]
