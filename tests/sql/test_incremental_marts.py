"""Incremental marts: after the world moves on and is loaded again, an incremental build leaves
every mart exactly as a full refresh builds it (rows and every column): in DuckDB through
`pipelines/run.py` (SP-API and Amzpecty), in PostgreSQL through dlt (SP-API and the archives).
The incremental build runs fewer nodes than a whole one, a build after nothing new runs none,
and a changed definition is rebuilt with nothing new (pipelines/dbt_selection.py)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from pipelines import transform
from pipelines.warehouse import choose
from tests.battery.volume import ORDERS_REPORT
from tests.e2e.runner import run_py
from tests.loading import load_sp_api
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


def nodes_run(work: Path) -> list[str]:
    """The unique ids of the nodes the last build in `work` ran."""
    results = json.loads((work / "target" / "run_results.json").read_text())
    return [node["unique_id"] for node in results["results"]]


def assert_selected_and_idle(work: Path, whole: int, build_again: Callable[[], Any]) -> None:
    """The incremental build in `work` ran fewer of its nodes than the whole build's `whole`,
    and a build after it, with nothing new, runs none."""
    ran = nodes_run(work)
    assert 0 < len(ran) < whole
    again = build_again()
    assert again.success, again.failures
    assert again.counts == {} and nodes_run(work) == []


def assert_built_incrementally(work: Path) -> None:
    """The last build read the cursor of each mart it ran: none was rebuilt whole for want of
    one (the marts it left out had nothing new; the comparison with a full refresh shows it)."""
    ran = [mart for mart in INCREMENTAL if f"model.amazon_elt.{mart}" in nodes_run(work)]
    assert {"orders", "order_items", "daily_sales", "inventory_daily"} <= set(ran)
    for mart in ran:
        (compiled,) = (work / "target" / "compiled").rglob(f"marts/{mart}.sql")
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
    work = tmp_path / "warehouse.dbt"
    assert (done := run_py(tmp_path, *url)).returncode == 0, done.stderr[-3000:]
    whole = len(nodes_run(work))
    first = checksums(query, "main")
    tested_through = keep_marts(path)
    advance(sandbox_server)
    assert (done := run_py(tmp_path, *url)).returncode == 0, done.stderr[-3000:]
    incremental = checksums(query, "main")
    assert_changed_rows_are_newer(path, tested_through)
    assert_built_incrementally(work)
    assert_selected_and_idle(work, whole, lambda: transform.build(path))
    assert checksums(query, "main") == incremental
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

    work = pipelines / "postgres.dbt"
    load_and_build()
    whole = len(nodes_run(work))
    first = checksums(query, "analytics")
    advance(sandbox_server)
    load_and_build()
    incremental = checksums(query, "analytics")
    assert_built_incrementally(work)
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres.dsn(database))
    warehouse = choose("postgres", None, pipelines)
    assert_selected_and_idle(work, whole, lambda: transform.build(warehouse))
    rebuilt = transform.build(warehouse, full_refresh=True)
    assert rebuilt.success, rebuilt.failures
    assert_incremental_equals_full(first, incremental, checksums(query, "analytics"))


def test_a_changed_definition_is_rebuilt_with_nothing_new(
    sandbox_server, accounts, tmp_path
) -> None:
    """A changed model is rebuilt, and only it and what reads it; a changed macro rebuilds every
    node (dbt cannot tell every node that uses one). On a copy of sql/, which other tests read."""
    load = load_sp_api(accounts, tmp_path)
    project = tmp_path / "sql"
    shutil.copytree(SQL_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    target = dataclasses.replace(transform.Target.of(load.duckdb_path), project=project)
    assert (whole := transform.build(target)).success, whole.failures
    models = [node for node in nodes_run(target.work) if node.startswith("model.")]
    assert load.query("select count(*) from main.sales_metrics")[0][0] > 0
    mart = project / "models" / "marts" / "sales_metrics.sql"
    mart.write_text(
        mart.read_text().replace("select * from final", "select * from final where 1 = 0")
    )
    assert (changed := transform.build(target)).success, changed.failures
    ran = nodes_run(target.work)
    assert [node for node in ran if node.startswith("model.")] == ["model.amazon_elt.sales_metrics"]
    assert any(node.startswith("test.") for node in ran)  # its tests
    assert load.query("select count(*) from main.sales_metrics") == [(0,)]
    macro = project / "macros" / "money_to_decimal.sql"
    macro.write_text(macro.read_text().replace("{%- endmacro %}", "{# changed #}{%- endmacro %}"))
    assert (everything := transform.build(target)).success, everything.failures
    assert sorted(n for n in nodes_run(target.work) if n.startswith("model.")) == sorted(models)


def test_an_order_won_by_a_source_without_its_items_leaves_the_marts_a_full_refresh_builds(
    accounts, sandbox_server, tmp_path
) -> None:
    """The Orders API shows an order the orders report won, before its items are fetched: the
    live API wins it, the report's items of it go (drop_items_of_sources_that_lost), and the
    days they were sold on are made again without them (drop_changed_days), as a full refresh
    makes them: no new item row tells those marts of it."""
    load = load_sp_api(accounts, tmp_path, report_types=[ORDERS_REPORT])
    path = load.duckdb_path

    def query(sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    assert (first := transform.build(path)).success, first.failures
    with duckdb.connect(str(path)) as connection:
        seller_id, order_id, marketplace_id, purchased_at = connection.execute(
            "select seller_id, order_id, marketplace_id, purchased_at from main.orders "
            "where source_system = 'sp_api_reports' and item_lines > 0 "
            "order by seller_id, order_id limit 1"
        ).fetchone()
        connection.execute(
            "insert into sp_api._dlt_loads (load_id, schema_name, status, inserted_at) "
            "values ('seen', 'sp_api', 0, now())"
        )
        connection.execute(
            "insert into sp_api.orders select * replace (? as order_id, ? as marketplace_id, "
            "? as created_time, 'seen' as _dlt_load_id) from sp_api.orders "
            "where seller_id = ? limit 1",
            [order_id, marketplace_id, purchased_at, seller_id],
        )
    assert (incremental := transform.build(path)).success, incremental.failures
    won = query(
        "select source_system, item_lines, (select count(*) from main.order_items as items "
        "where items.seller_id = orders.seller_id and items.order_id = orders.order_id) "
        f"from main.orders where seller_id = '{seller_id}' and order_id = '{order_id}'"
    )
    assert won == [("sp_api_orders", 0, 0)]
    built = checksums(query, "main")
    assert (full := transform.build(path, full_refresh=True)).success, full.failures
    assert checksums(query, "main") == built
