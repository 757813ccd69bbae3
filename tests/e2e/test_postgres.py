"""`run.py --destination postgres` where a run can go wrong: killed mid-load, then re-run, it
ends where an uninterrupted load ends; a second run on the same database, even from another
pipelines folder, is refused naming the first."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import dlt
import duckdb
import pytest

from tests.battery import runs
from tests.battery.killpoint import MARKER
from tests.e2e.runner import run_py
from tests.loading import load_sp_api
from tests.warehouses import Postgres, checksum_sql, postgres  # noqa: F401

pytestmark = pytest.mark.e2e
ON_POSTGRES = ("--destination", "postgres")


def _database(server: Postgres) -> str:
    return server.create_database(f"run_{uuid.uuid4().hex[:12]}")


def _tables(pipeline: dlt.Pipeline) -> dict[str, list[str]]:
    """Each data table dlt loaded, with its primary key (none for child tables)."""
    schema = pipeline.default_schema
    return {
        table: [
            c for c, column in schema.get_table_columns(table).items() if column.get("primary_key")
        ]
        for table in schema.data_table_names(seen_data_only=True)
    }


def _prints(tables: dict[str, list[str]], query) -> dict[str, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    """Per table: rows and an order-independent checksum of its keys (rows alone if keyless)."""
    return {
        table: tuple(str(v) for v in query(checksum_sql(f"sp_api.{table}", keys or ["1"], [])))
        for table, keys in tables.items()
    }


def test_a_run_killed_mid_load_on_postgres_is_finished_by_the_next(
    sandbox_server,
    accounts,
    postgres: Postgres,  # noqa: F811
    tmp_path: Path,
) -> None:
    database = _database(postgres)
    env = postgres.run_py_env(database)
    process = runs.start(
        tmp_path, sandbox_server, *ON_POSTGRES, point="load-committed-unrecorded", **env
    )
    runs.read_until(process, MARKER)
    runs.kill(process)
    (load_id,) = runs.pending(tmp_path)["load/normalized"]

    rerun = runs.run_ok(tmp_path, sandbox_server, *ON_POSTGRES, **env)

    assert f"finishing 1 load package(s) an interrupted run left ({load_id})" in rerun.stderr
    clean = load_sp_api(accounts, tmp_path / "clean", resources=("orders", "order_items"))
    tables = _tables(clean.pipeline)
    with duckdb.connect(str(clean.duckdb_path), read_only=True) as connection:
        expected = _prints(tables, lambda sql: connection.execute(sql).fetchone())

    def found() -> dict[str, tuple[str, ...]]:
        return _prints(tables, lambda sql: postgres.query(database, sql)[0])

    assert found() == expected
    assert int(expected["orders"][0]) > 1000 and all(tables[t] for t in ("orders", "order_items"))
    unfinished = postgres.query(
        database,
        "select count(*) from sp_api.orders where _dlt_load_id not in "
        "(select load_id from sp_api._dlt_loads where status = 0)",
    )
    assert unfinished == [(0,)]
    runs.run_ok(tmp_path, sandbox_server, *ON_POSTGRES, **env)
    assert found() == expected


def test_a_second_run_on_one_postgres_database_is_refused_naming_the_first(
    sandbox_server,
    postgres: Postgres,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = postgres.run_py_env(_database(postgres))
    first = runs.start(
        tmp_path / "a", sandbox_server, *ON_POSTGRES, point="normalize-committed", **env
    )
    try:
        runs.read_until(first, MARKER)
        # another pipelines folder: only the database's own lock can tell
        second = run_py(tmp_path / "b", *runs.target(sandbox_server), *ON_POSTGRES, **env)
    finally:
        runs.resume(first)
    assert first.returncode == 0
    assert second.returncode == 1
    assert re.fullmatch(
        r"error: postgres database run_\w+ is in use by another run\.py \(PostgreSQL session "
        r"\d+ from this server, since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\); wait for it to "
        r"finish or close it, or run with --wait\n",
        second.stderr,
    ), second.stderr
