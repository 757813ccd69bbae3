"""One dbt project, two warehouses, one way to load them: `pipelines/run.py` loads the same
sandbox world (every source, Amzpecty's planner reading the ASINs loaded before it) into
DuckDB and into PostgreSQL and builds the marts; every dbt test passes on both, and every mart
holds the same rows."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from tests.e2e.runner import run_py
from tests.warehouses import (
    SQL_DIR,
    Postgres,
    checksum_sql,
    mart_keys,
    postgres,  # noqa: F401
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("warehouses")]
MARTS = sorted(path.stem for path in (SQL_DIR / "models" / "marts").glob("*.sql"))
DATABASE = "amazon"
SOURCES = ("sp_api", "mws", "paapi", "aim", "amzpecty")
DBT_OK = re.compile(r"^dbt build: ok \((?P<counts>.+)\)$", re.MULTILINE)
# Amzpecty's request ids and snapshot times are when the sandbox processed the Adds, at its
# pace (real time at the time scale), not facts of the world: its rows are compared by what
# they observe
KEYS = {"asin_price_history": ["source_system", "asin", "marketplace_id", "item_condition"]}
# nor is our own price then: the listing valid at that moment, which a snapshot processed before
# the world moved on (the time the listings were observed at, as the client reckons the
# server's time) misses, taking the latest order's price
TIMED = {"asin_price_history": {"our_unit_price", "our_price_above_buybox"}}


@dataclass(frozen=True)
class Twins:
    work: Path
    postgres: Postgres
    duckdb_run: subprocess.CompletedProcess[str]
    postgres_run: subprocess.CompletedProcess[str]
    keys: dict[str, list[str]]

    @property
    def duckdb_path(self) -> Path:
        return self.work / "duckdb.duckdb"

    def in_duckdb(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def money(self, mart: str) -> list[str]:
        """The mart's decimal columns, as DuckDB typed them, but those that depend on when the
        sandbox processed something."""
        return [
            name
            for name, kind in self.in_duckdb(
                "select column_name, data_type from information_schema.columns "
                f"where table_schema = 'main' and table_name = '{mart}' order by ordinal_position"
            )
            if kind.startswith("DECIMAL") and name not in TIMED.get(mart, ())
        ]

    def checksums(self, mart: str) -> tuple[list[str], list[str]]:
        """The mart's checksum row on DuckDB and on PostgreSQL, as text (the two drivers' number
        types differ, not the values)."""
        sql = checksum_sql("{schema}." + mart, self.keys[mart], self.money(mart))
        (in_duckdb,) = self.in_duckdb(sql.format(schema="main"))
        (in_postgres,) = self.postgres.query(DATABASE, sql.format(schema="analytics"))
        return [str(v) for v in in_duckdb], [str(v) for v in in_postgres]


def run_postgres(server: Any, postgres: Postgres, work: Path) -> subprocess.CompletedProcess[str]:  # noqa: F811
    """`run.py --destination postgres`, the DSN in dlt's variable, as a user runs it."""
    return run_py(
        work,
        "--sandbox-url",
        server.url,
        "--destination",
        "postgres",
        name="postgres",
        **postgres.run_py_env(DATABASE),
    )


@pytest.fixture(scope="session")
def twins(sandbox_server, postgres, tmp_path_factory) -> Twins:  # noqa: F811
    """The sandbox world as a reset leaves it, loaded and built by run.py in each warehouse;
    its data held at that moment while Amzpecty's callbacks move the clock on."""
    work = tmp_path_factory.mktemp("twins")

    def reset() -> None:
        for control in ("reset", "world/freeze"):
            url = f"{sandbox_server.url}/_sandbox/{control}"
            requests.post(url, timeout=10).raise_for_status()

    reset()
    duckdb_run = run_py(work, "--sandbox-url", sandbox_server.url, name="duckdb")
    postgres.create_database(DATABASE)
    reset()
    postgres_run = run_postgres(sandbox_server, postgres, work)
    keys = {**mart_keys(work / "duckdb.dbt" / "target" / "manifest.json"), **KEYS}
    return Twins(work, postgres, duckdb_run, postgres_run, keys)


def test_run_py_loads_and_builds_every_mart_with_every_test_on_duckdb_and_postgres(
    twins: Twins,
) -> None:
    assert twins.duckdb_run.returncode == 0, twins.duckdb_run.stderr[-3000:]
    assert twins.postgres_run.returncode == 0, twins.postgres_run.stderr[-3000:]
    assert twins.postgres_run.stdout.startswith(f"warehouse: postgres database {DATABASE}\n")
    built = [DBT_OK.search(run.stdout) for run in (twins.duckdb_run, twins.postgres_run)]
    assert built[0] and built[1], twins.postgres_run.stdout[-2000:]
    assert built[0]["counts"] == built[1]["counts"]  # the same models and tests, all passing
    counts = dict(reversed(part.split()) for part in built[1]["counts"].split(", "))
    assert int(counts["pass"]) > 100 and int(counts["success"]) > 40
    assert "ADBC" not in twins.postgres_run.stderr  # parquet through ADBC, no fallback


def test_amzpecty_asks_for_the_asins_postgres_holds(twins: Twins) -> None:
    sql = "select count(distinct asin) from amzpecty.asin_snapshots"
    (in_postgres,) = twins.postgres.query(DATABASE, sql)
    # no ASIN is configured: every one came from the sp_api tables the planner read
    assert in_postgres == twins.in_duckdb(sql)[0]
    assert in_postgres[0] > 50


@pytest.mark.parametrize("mart", MARTS)
def test_a_mart_holds_the_same_rows_on_duckdb_and_postgres(twins: Twins, mart: str) -> None:
    in_duckdb, in_postgres = twins.checksums(mart)
    assert int(in_duckdb[0]) > 0, f"{mart} is empty: the comparison would prove nothing"
    assert in_postgres == in_duckdb


def test_an_incremental_rerun_on_postgres_adds_nothing(twins: Twins, sandbox_server) -> None:
    schemas = ", ".join(f"'{name}'" for name in SOURCES)
    tables = [
        name
        for (name,) in twins.postgres.query(
            DATABASE,
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in ({schemas}) and table_name not like '\\_dlt%' order by 1",
        )
    ] + [f"analytics.{mart}" for mart in MARTS]

    def counts() -> dict[str, int]:
        return {
            t: twins.postgres.query(DATABASE, f"select count(*) from {t}")[0][0] for t in tables
        }

    before = counts()
    rerun = run_postgres(sandbox_server, twins.postgres, twins.work)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert DBT_OK.search(rerun.stdout), rerun.stdout[-2000:]
    assert counts() == before
    assert len(tables) > 30 and sum(before.values()) > 10000
