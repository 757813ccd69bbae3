"""Incremental marts: after the world moves on and is loaded again, an incremental build leaves
every mart exactly as a full refresh builds it (rows and every column): in DuckDB through
`pipelines/run.py` (SP-API and Amzpecty), in PostgreSQL through dlt (SP-API and the archives)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from pipelines import transform
from pipelines.warehouse import choose
from tests.e2e.runner import run_py
from tests.warehouses import (
    SQL_DIR,
    Postgres,
    checksum_sql,
    postgres,  # noqa: F401
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("warehouses")]
INCREMENTAL = sorted(
    path.stem
    for path in (SQL_DIR / "models" / "marts").glob("*.sql")
    if "materialized='incremental'" in path.read_text()
)
LATER = 86_400.0  # a day on: orders placed, shipped and cancelled, fees posted, stock moved
COLUMNS = (
    "select column_name, data_type from information_schema.columns "
    "where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position"
)

Query = Callable[[str], list[tuple[Any, ...]]]


def checksums(query: Query, schema: str) -> dict[str, tuple[str, ...]]:
    """Each incremental mart's rows and order-independent checksum of every column."""
    found = {}
    for mart in INCREMENTAL:
        columns = query(COLUMNS.format(schema=schema, table=mart))
        money = [name for name, kind in columns if kind.lower().startswith(("decimal", "numeric"))]
        others = [name for name, _ in columns if name not in money]
        (row,) = query(checksum_sql(f"{schema}.{mart}", others, money))
        found[mart] = tuple(str(value) for value in row)
    return found


def advance(server: Any) -> None:
    requests.post(
        f"{server.url}/_sandbox/clock/advance", json={"seconds": LATER}, timeout=30
    ).raise_for_status()


def assert_built_incrementally(target: Path) -> None:
    """The last build read each mart's cursor: no mart was rebuilt whole for want of one."""
    for mart in INCREMENTAL:
        (compiled,) = (target / "compiled").rglob(f"marts/{mart}.sql")
        assert "loaded_at > cast('" in compiled.read_text(), mart  # the newest, or the epoch


def assert_incremental_equals_full(
    first: dict[str, tuple[str, ...]],
    incremental: dict[str, tuple[str, ...]],
    full: dict[str, tuple[str, ...]],
) -> None:
    assert incremental == full
    for mart in INCREMENTAL:
        assert int(full[mart][0]) > 0, f"{mart} is empty: the comparison would prove nothing"
    changed = {mart for mart in INCREMENTAL if first[mart] != incremental[mart]}
    # the day's news reached the marts that grow with orders, settlements and stock
    assert {"orders", "order_items", "daily_sales", "inventory_daily"} <= changed


def keep_marts(path: Path) -> Any:
    """A copy of the incremental marts (schema `kept`) and the newest load their tests checked."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema kept")
        for mart in INCREMENTAL:
            connection.execute(f"create table kept.{mart} as select * from main.{mart}")
        return connection.execute("select tested_through from main.dbt_tested_loads").fetchone()[0]


def assert_changed_rows_are_newer(path: Path, tested_through: Any) -> None:
    """Every mart row the incremental build wrote has a loaded_at past the last tested load: the
    data tests of an incremental build, which check those rows only, checked all it changed."""
    with duckdb.connect(str(path), read_only=True) as connection:
        for mart in INCREMENTAL:
            (older,) = connection.execute(
                f"select count(*) from (select * from main.{mart} except "
                f"select * from kept.{mart}) where loaded_at <= ?",
                [tested_through],
            ).fetchone()
            assert older == 0, mart


def test_incremental_build_equals_a_full_refresh_on_duckdb(sandbox_server, tmp_path) -> None:
    path = tmp_path / "warehouse.duckdb"

    def query(sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    # the archives' orders and ECS prices are the PostgreSQL test's
    url = ("--sandbox-url", sandbox_server.url, "--sources", "sp_api,amzpecty")
    assert (done := run_py(tmp_path, *url)).returncode == 0, done.stderr[-3000:]
    first = checksums(query, "main")
    tested_through = keep_marts(path)
    advance(sandbox_server)
    assert (done := run_py(tmp_path, *url)).returncode == 0, done.stderr[-3000:]
    incremental = checksums(query, "main")
    assert_changed_rows_are_newer(path, tested_through)
    assert_built_incrementally(tmp_path / "warehouse.dbt" / "target")
    rebuilt = transform.build(path, full_refresh=True)
    assert rebuilt.success, rebuilt.failures
    assert_incremental_equals_full(first, incremental, checksums(query, "main"))


def test_incremental_build_equals_a_full_refresh_on_postgres(
    sandbox_server,
    postgres: Postgres,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = postgres.create_database("incremental")
    pipelines = tmp_path / "postgres-pipelines"  # run_py's, for the warehouse named postgres

    def query(sql: str) -> list[tuple[Any, ...]]:
        return postgres.query(database, sql)

    def load_and_build() -> None:
        done = run_py(
            tmp_path,
            "--sandbox-url",
            sandbox_server.url,
            "--destination",
            "postgres",
            name="postgres",
            **postgres.run_py_env(database),
        )
        assert done.returncode == 0, done.stderr[-3000:]

    load_and_build()
    first = checksums(query, "analytics")
    advance(sandbox_server)
    load_and_build()
    incremental = checksums(query, "analytics")
    assert_built_incrementally(pipelines / "postgres.dbt" / "target")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres.dsn(database))
    rebuilt = transform.build(choose("postgres", None, pipelines), full_refresh=True)
    assert rebuilt.success, rebuilt.failures
    assert_incremental_equals_full(first, incremental, checksums(query, "analytics"))
