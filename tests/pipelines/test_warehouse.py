"""Choosing the warehouse the dlt way: DuckDB with nothing set, any destination by flag or by
dlt's `destination_type`, credentials as dlt resolves them, and every setting that would make
it the wrong warehouse refused with the fix."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import dlt
import duckdb
import pytest

from pipelines import warehouse as warehouses
from pipelines.duckdb_file import WarehouseError
from pipelines.warehouse import DEFAULT_FILE, choose

PASSWORD = "pw-unit-test"  # pragma: allowlist secret
DSN = f"postgresql://loader:{PASSWORD}@localhost/amazon?host=/run/postgresql"


def test_duckdb_is_the_default_with_nothing_set(tmp_path: Path) -> None:
    chosen = choose(None, None, tmp_path)
    assert (chosen.kind, chosen.file.path if chosen.file else None) == ("duckdb", DEFAULT_FILE)
    assert chosen.loader_file_format == "parquet"
    assert chosen.lock_path == DEFAULT_FILE.with_name("amazon.duckdb.lock")
    assert chosen.beside(".amzpecty.sqlite") == DEFAULT_FILE.with_name("amazon.amzpecty.sqlite")
    assert chosen.dbt_target() == ("dev", {"AMAZON_DUCKDB_PATH": str(DEFAULT_FILE)})


@pytest.mark.parametrize("how", ["flag", "destination_type"])
def test_postgres_by_flag_or_setting_takes_dlts_credentials(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", DSN)
    if how == "destination_type":
        monkeypatch.setenv("DESTINATION_TYPE", "postgres")
    chosen = choose("postgres" if how == "flag" else None, None, tmp_path)
    assert (chosen.kind, chosen.label, chosen.file) == (
        "postgres",
        "postgres database amazon",
        None,
    )
    assert chosen.lock_path == tmp_path / "postgres.lock"
    assert chosen.loader_file_format == "parquet"  # ADBC is installed with the extra
    target, environment = chosen.dbt_target()
    assert target == "postgres"
    assert environment["AMAZON_PG_HOST"] == "/run/postgresql"  # the socket's folder
    assert [name for name, value in environment.items() if PASSWORD in value] == [
        "DBT_ENV_SECRET_AMAZON_PG_PASSWORD"
    ]


def test_a_named_destination_of_config_is_chosen_by_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__SHARED__DESTINATION_TYPE", "postgres")
    monkeypatch.setenv("DESTINATION__SHARED__CREDENTIALS", DSN)
    chosen = choose("shared", None, tmp_path)
    assert (chosen.name, chosen.kind, chosen.lock_path.name) == (
        "shared",
        "postgres",
        "shared.lock",
    )


def test_a_destination_setting_the_run_would_not_use_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", DSN)
    with pytest.raises(WarehouseError) as refused:
        choose(None, tmp_path / "a.duckdb", tmp_path)
    assert str(refused.value) == (
        "destination.postgres.credentials is set (environment variable "
        "DESTINATION__POSTGRES__CREDENTIALS), and this run loads duckdb: run with --destination "
        'postgres (or destination_type = "postgres" in .dlt/config.toml) to load there, or '
        "remove the setting"
    )
    assert not (tmp_path / "a.duckdb").exists()


def test_duckdbs_engine_tuning_may_stay_set_for_another_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", DSN)
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG__THREADS", "2")
    assert choose("postgres", None, tmp_path).kind == "postgres"


@pytest.mark.parametrize(
    ("destination", "duckdb", "message"),
    [
        (None, "md:amazon", "--duckdb takes a DuckDB file, not the MotherDuck database md:amazon"),
        ("postgres", "x.duckdb", "--duckdb names a DuckDB file, and this run loads postgres"),
        ("oracle", None, "'oracle' is not a dlt destination"),
        (
            "postgres",
            None,
            "postgres needs its credentials: set [destination.postgres.credentials]",
        ),
    ],
    ids=["motherduck-path", "file-for-a-server", "unknown", "no-credentials"],
)
def test_a_warehouse_that_cannot_be_the_one_meant_is_refused_before_anything_runs(
    destination: str | None, duckdb: str | None, message: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    if destination == "postgres" and duckdb:
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", DSN)
    with pytest.raises(WarehouseError, match=re.escape(message)):
        choose(destination, Path(duckdb) if duckdb else None, tmp_path)
    assert list(tmp_path.iterdir()) == []  # no file named md:amazon, nothing at all


def test_postgres_without_adbc_loads_through_csv_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", DSN)
    chosen = choose("postgres", None, tmp_path)
    found = importlib.util.find_spec
    monkeypatch.setattr(
        warehouses.importlib.util,
        "find_spec",
        lambda name: None if name == "adbc_driver_postgresql" else found(name),
    )
    assert chosen.loader_file_format == "csv"


@pytest.mark.parametrize("agent", [None, "amazon-elt-test"], ids=["plain", "connect-time setting"])
def test_a_turn_keeps_the_duckdb_file_open_for_dlts_connections_and_lets_it_go_after(
    agent: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if agent:  # DuckDB refuses a second connection to an open file with other such settings
        setting = json.dumps({"custom_user_agent": agent})
        monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG", setting)
    path = tmp_path / "w.duckdb"
    warehouse = choose(None, path, tmp_path)
    pipeline = dlt.pipeline(
        "turn", destination=warehouse.destination(), pipelines_dir=str(tmp_path / "p")
    )
    duckdb.connect(str(path)).close()  # a file not made yet is not kept open
    another_process = [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1])"]
    order = "select current_setting('default_order')"
    with warehouse.kept_open():
        with warehouse.sql_client("d") as client:  # the last to close, but for the turn's
            client.execute_sql("set global default_order = 'desc'")
        pipeline.run([{"x": 1}], table_name="t", dataset_name="d")
        with warehouse.sql_client("d") as client:  # the file dlt used, never reopened
            assert client.execute_sql(order) == [("DESC",)]
        held = subprocess.run([*another_process, str(path)], capture_output=True, text=True)
        assert held.returncode != 0 and "Could not set lock" in held.stderr
    assert subprocess.run([*another_process, str(path)], check=False).returncode == 0
    with warehouse.sql_client("d") as client:  # reopened: the turn's settings are gone
        assert client.execute_sql(order) != [("DESC",)]
        assert client.execute_sql("select x from d.t") == [(1,)]
