"""pipelines/run.py end to end: the user's command, its output, exit codes and crash recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import sandbox
from tests.battery import runs
from tests.battery.killpoint import MARKER
from tests.conftest import ROOT, WORLD_ORIGIN
from tests.e2e.runner import environment, run_py, run_py_command

pytestmark = pytest.mark.e2e


def _rows(path, sql: str) -> set[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return set(connection.execute(sql).fetchall())


ORDERS_SQL = (
    "select seller_id, order_id, last_updated_time, fulfillment__fulfillment_status "
    "from sp_api.orders"
)
ITEMS_SQL = "select seller_id, order_id, order_item_id, quantity_ordered from sp_api.order_items"


def test_embedded_sandbox_run_loads_and_builds_the_marts(default_run) -> None:
    result = default_run.result
    assert "sp_api.orders" in result.stdout and "searchOrders" in result.stdout
    assert "dbt build: ok" in result.stdout
    assert "sandbox serving on http://127.0.0.1:" in result.stderr
    assert "sp_api.report_order_items" in result.stdout and "settlement_lines" in result.stdout
    path = default_run.warehouse
    # recent orders from the Orders API, older ones from the orders report: each once
    raw = _rows(
        path,
        "select count(*) from (select seller_id, order_id from sp_api.orders union "
        "select seller_id, amazon_order_id from sp_api.report_order_items)",
    )
    sp_api = "from main.orders where source_system in ('sp_api_orders', 'sp_api_reports')"
    mart = _rows(path, f"select count(distinct (seller_id, order_id)) {sp_api}")
    assert raw == mart == _rows(path, f"select count(*) {sp_api}")
    # the legacy services load by default in the sandbox and keep the orders mart's grain;
    # AIM's live reports cover the last days, which the Orders API knows too and wins
    systems = _rows(path, "select distinct source_system from main.orders")
    assert {("sp_api_orders",), ("sp_api_reports",), ("mws",)} <= systems
    assert systems <= {("sp_api_orders",), ("sp_api_reports",), ("mws",), ("aim",)}
    assert next(iter(_rows(path, "select count(*) from aim.order_items")))[0] > 0
    orders = _rows(path, "select count(*), count(distinct (seller_id, order_id)) from main.orders")
    assert len({n for row in orders for n in row}) == 1
    assert next(iter(raw))[0] > 1900
    sales = _rows(path, "select count(*), sum(orders) from main.daily_sales")
    assert next(iter(sales))[0] > 100


def test_unknown_source_fails_with_one_line(tmp_path) -> None:
    result = run_py(tmp_path, "--sources", "sp_api,ebay", "--no-dbt")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --sources: unknown ebay; choose from sp_api, amzpecty, mws, paapi, aim "
        "(--help lists the options)"
    ]


def test_live_without_credentials_fails_with_the_keys_to_set(tmp_path) -> None:
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    (project / ".dlt" / "config.toml").write_text((ROOT / ".dlt" / "config.toml").read_text())
    result = run_py(tmp_path, "--live", "--no-dbt", DLT_PROJECT_DIR=str(project))
    assert result.returncode == 1
    assert "sources.sp_api.accounts" in result.stderr


@pytest.fixture(scope="module")
def big_sandbox():
    """Enough orders that extraction takes seconds, in a world that stands still."""
    running = sandbox.start(
        seed=9, orders=20_000, time_scale=2000, start=WORLD_ORIGIN, origin=WORLD_ORIGIN
    )
    running.app.frozen_at = running.clock.timestamp()
    yield running
    running.stop()


ORDERS_ONLY = {"SOURCES__SP_API__REPORT_TYPES": "[]", "SOURCES__SP_API__FINANCES": "false"}


def test_a_run_killed_mid_extract_then_rerun_ends_like_a_clean_run(big_sandbox, tmp_path) -> None:
    url = ["--sandbox-url", big_sandbox.url, "--sources", "sp_api", "--no-dbt"]
    process = subprocess.Popen(
        run_py_command(tmp_path, *url, name="killed"),
        stderr=subprocess.PIPE,
        text=True,
        env=environment(**ORDERS_ONLY),
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "orders so far" in line:
            break
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL
    rerun = run_py(tmp_path, *url, name="killed", **ORDERS_ONLY)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    clean = run_py(tmp_path, *url, name="clean", **ORDERS_ONLY)
    assert clean.returncode == 0, clean.stderr[-2000:]
    killed_orders = _rows(tmp_path / "killed.duckdb", ORDERS_SQL)
    assert killed_orders == _rows(tmp_path / "clean.duckdb", ORDERS_SQL)
    assert len(killed_orders) == sum(
        book.visible_count(big_sandbox.app.world_time())
        for book in big_sandbox.app.world.order_books.values()
    )
    assert _rows(tmp_path / "killed.duckdb", ITEMS_SQL) == _rows(
        tmp_path / "clean.duckdb", ITEMS_SQL
    )


def test_ctrl_c_mid_extract_exits_130_and_the_next_run_ends_clean(
    sandbox_server, accounts, tmp_path
) -> None:
    process = runs.start(tmp_path, sandbox_server)
    assert sandbox_server.app.calls.wait_for(
        lambda calls: sum(c.operation == runs.SEARCH for c in calls) >= 3, timeout=120
    )
    process.send_signal(signal.SIGINT)
    written = runs.finish(process)
    assert process.returncode == 130, written
    assert written.strip().splitlines()[-1] == (
        "error: interrupted; the next run finishes what this one left"
    )
    runs.run_ok(tmp_path, sandbox_server)
    runs.assert_clean(tmp_path, accounts)


def test_ctrl_c_mid_load_exits_130_and_the_next_run_loads_what_it_left_and_its_news(
    sandbox_server, accounts, tmp_path
) -> None:
    """dlt stops a load at Ctrl-C with its SignalReceivedException (exit 1, before); the next
    run used to load the package and stop ("loaded now 0"), leaving that day unread."""
    process = runs.start(tmp_path, sandbox_server, point="load-first-merge")
    runs.read_until(process, MARKER)
    process.send_signal(signal.SIGINT)  # dlt lets the running job end, then stops
    written = runs.resume(process)
    assert process.returncode == 130, written
    assert "SignalReceived" not in written
    left = runs.pending(tmp_path)["load/normalized"]
    assert left  # the interrupted load's package, and those of sellers waiting for their turn
    runs.advance(sandbox_server, 86400)

    rerun = runs.run_ok(tmp_path, sandbox_server)

    for load_id in left:
        assert f"finishing 1 load package(s) an interrupted run left ({load_id})" in rerun.stderr
    clean = runs.assert_clean(tmp_path, accounts)
    # every order came in this run: the package's, and the day's news
    (line,) = [row.split() for row in rerun.stdout.splitlines() if "sp_api.orders " in row]
    new, updated, rows = (int(n.replace(",", "")) for n in line[1:])
    assert new + updated == rows == clean["orders"].rows


def test_a_warehouse_open_in_another_program_is_named_and_waited_for(
    sandbox_server, tmp_path
) -> None:
    holder = duckdb.connect(str(runs.warehouse(tmp_path)))  # a notebook, say
    busy = run_py(tmp_path, *runs.target(sandbox_server), **runs.ORDERS)
    assert busy.returncode == 1
    assert busy.stderr.strip().splitlines()[-1] == (
        f"error: warehouse.duckdb is in use by {Path(sys.executable).resolve().name} "
        f"(PID {os.getpid()}); wait for it to finish or close it, or run with --wait"
    )
    assert not sandbox_server.app.calls.calls()
    waiting = runs.start(tmp_path, sandbox_server, "--wait")
    runs.read_until(waiting, "waiting for warehouse.duckdb: in use by")
    holder.close()
    runs.finish(waiting)
    assert waiting.returncode == 0
