"""dbt build on a sandbox load: models and tests pass, marts agree with the raw rows."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pytest

from pipelines import transform
from tests.loading import load_sp_api

pytestmark = pytest.mark.e2e


def test_build_passes_and_daily_sales_equal_the_raw_items(
    sandbox_server, accounts, tmp_path
) -> None:
    load = load_sp_api(accounts, tmp_path)
    result = transform.build(load.duckdb_path)
    assert result.success, result.failures
    assert result.counts.get("pass", 0) >= 20 and not result.failures
    with duckdb.connect(str(load.duckdb_path), read_only=True) as connection:
        raw = connection.execute("""
            select i.product__price__unit_price__currency_code,
                   sum(cast(i.product__price__unit_price__amount as decimal(18, 4))
                       * i.quantity_ordered)
            from sp_api.order_items i join sp_api.orders o using (seller_id, order_id)
            where o.fulfillment__fulfillment_status <> 'CANCELLED'
            group by 1 order by 1""").fetchall()
        mart = connection.execute(
            "select currency_code, sum(gross_sales) from main.daily_sales group by 1 order by 1"
        ).fetchall()
        assert mart == raw
        assert {r[0] for r in mart} == {"USD", "CAD", "GBP", "EUR", "JPY"}
        local_days = connection.execute("""
            select count(*) from main.orders
            where order_date <> cast(purchased_at as date)""").fetchone()[0]
        assert local_days > 0  # marketplace days differ from UTC days for some orders


def test_a_duplicated_raw_order_fails_the_build_by_name(sandbox_server, accounts, tmp_path) -> None:
    load = load_sp_api(accounts, tmp_path)
    with duckdb.connect(str(load.duckdb_path)) as connection:
        connection.execute("insert into sp_api.orders select * from sp_api.orders limit 1")
    result = transform.build(load.duckdb_path)
    assert not result.success
    assert any("unique_combination_stg_sp_api__orders" in f for f in result.failures)


def test_every_model_builds_on_a_warehouse_where_nothing_was_loaded(tmp_path) -> None:
    """A user may load any subset of sources and resources: missing raw tables are empty."""
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    steps: list[transform.Step] = []
    result = transform.build(path, on_event=steps.append)
    assert result.success, result.failures
    assert result.counts.get("success", 0) >= 40
    # progress hears what it shows (each test once): not the thousands of dbt's other events
    assert {step.name for step in steps} == transform.PROGRESS
    tests = sum(step.name == "NodeFinished" and step.resource_type == "test" for step in steps)
    assert tests == result.counts["pass"]
    with duckdb.connect(str(path), read_only=True) as connection:
        assert connection.execute("select count(*) from main.orders").fetchone() == (0,)


def test_tests_of_an_incremental_build_check_the_new_rows_until_they_pass(
    sandbox_server, accounts, tmp_path
) -> None:
    """After a passing build, data tests check the rows loaded since (macros/tested_loads.sql):
    a new load repeating an old order fails the build, and every build after, until fixed."""
    load = load_sp_api(accounts, tmp_path)
    assert (first := transform.build(load.duckdb_path)).success, first.failures
    with duckdb.connect(str(load.duckdb_path)) as connection:
        connection.execute(
            "insert into sp_api._dlt_loads (load_id, schema_name, status, inserted_at) "
            "values ('late', 'sp_api', 0, now())"
        )
        connection.execute(
            "insert into sp_api.orders select * replace ('late' as _dlt_load_id) "
            "from sp_api.orders limit 1"
        )
    for _ in range(2):
        result = transform.build(load.duckdb_path)
        assert not result.success
        assert any("unique_combination_stg_sp_api__orders" in f for f in result.failures)
    (compiled,) = (load.duckdb_path.with_suffix(".dbt") / "target" / "run").rglob(
        "unique_combination_stg_sp_api__orders_*.sql"
    )
    assert "loaded_at > cast(" in compiled.read_text()  # the test read the new rows' orders
    with duckdb.connect(str(load.duckdb_path)) as connection:
        connection.execute("delete from sp_api.orders where _dlt_load_id = 'late'")
    assert (fixed := transform.build(load.duckdb_path)).success, fixed.failures


def test_a_build_of_every_node_after_a_passing_one_hands_its_tests_the_tested_loads(
    sandbox_server, accounts, tmp_path
) -> None:
    """Nothing to compare with (a mart's relation is gone), every node builds; its tests check
    the rows loaded since the last passing build, told once rather than each asking."""
    load = load_sp_api(accounts, tmp_path)
    assert (first := transform.build(load.duckdb_path)).success, first.failures
    with duckdb.connect(str(load.duckdb_path)) as connection:
        connection.execute("drop table main.daily_sales")
        (through,) = connection.execute("select tested_through from dbt_tested_loads").fetchone()
    assert through is not None
    assert (whole := transform.build(load.duckdb_path)).success, whole.failures
    assert whole.counts == first.counts  # every node again
    work = load.duckdb_path.with_suffix(".dbt") / "target"
    arguments = json.loads((work / "run_results.json").read_text())["args"]
    assert not arguments.get("select")
    assert datetime.fromisoformat(arguments["vars"]["tested_through"]) == through
    (compiled,) = (work / "run").rglob("not_null_orders_order_id.sql")
    assert "loaded_at > cast(" in compiled.read_text()
