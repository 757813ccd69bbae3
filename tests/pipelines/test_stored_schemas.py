"""`Runner.store_schemas`: units in other processes (Dagster's partitions, runs of other
accounts) each store the schema of their own load, so the newest stored version can lack the
tables another unit made meanwhile; the version a run stores last holds them all."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import dlt
import pendulum
import pytest

from pipelines.builders import RunContext
from pipelines.pool import Runner
from pipelines.warehouse import choose
from tests.warehouses import postgres  # noqa: F401

DATASET = "shop"


@pytest.fixture(params=["duckdb", "postgres"])
def runner(request, tmp_path, monkeypatch) -> Callable[[str], Runner]:
    """A run's runner on one warehouse, as each process has its own."""
    if request.param == "postgres":
        server = request.getfixturevalue("postgres")
        database = server.create_database(f"schemas_{uuid.uuid4().hex[:12]}")
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", server.dsn(database))
    return lambda name: make_runner(request.param, tmp_path, name)


def make_runner(kind: str, tmp_path: Path, name: str) -> Runner:
    """A runner with a pipelines folder of its own on the `kind` warehouse."""
    duckdb_path = tmp_path / "agency.duckdb" if kind == "duckdb" else None
    return Runner(
        context=RunContext(mode="sandbox", sandbox=None, start_date=None),
        mode="sandbox",
        warehouse=choose(kind, duckdb_path, tmp_path / name),
        pipelines_dir=tmp_path / name,
        arguments=lambda _: nullcontext({}),
        now=lambda: pendulum.datetime(2026, 12, 1),  # the purge is not run
    )


def load(run: Runner, pipeline_name: str, table: str) -> dlt.Pipeline:
    """One unit's load of a row into `table`, its schema stored as dlt stores it."""
    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=run.warehouse.destination(),
        dataset_name=DATASET,
        pipelines_dir=str(run.pipelines_dir),
    )
    pipeline.run([{"id": 1}], table_name=table, schema=dlt.Schema(DATASET))
    return pipeline


def test_the_last_stored_version_holds_the_tables_of_units_in_other_processes(runner) -> None:
    first, second = runner("first"), runner("second")
    load(first, "setup", "orders")  # a dataset both runs find
    first.begin(DATASET)
    second.begin(DATASET)

    first.made(DATASET, load(first, "seller_a", "returns"))
    first.store_schemas()
    # the second run's unit started before the first stored: its load stores a version
    # without `returns`, and that version is the newest
    second.made(DATASET, load(second, "seller_b", "fees"))
    assert "returns" not in first.warehouse.dataset(DATASET).schema.tables
    second.store_schemas()

    stored = first.warehouse.dataset(DATASET).schema.data_table_names()
    assert {"orders", "returns", "fees"} <= set(stored)


def test_a_run_on_a_new_dataset_stores_every_version_made_since(runner) -> None:
    first, second = runner("first"), runner("second")
    first.begin(DATASET)  # nothing stored yet
    second.begin(DATASET)

    first.made(DATASET, load(first, "seller_a", "returns"))
    second.made(DATASET, load(second, "seller_b", "fees"))
    second.store_schemas()

    assert {"returns", "fees"} <= set(first.warehouse.dataset(DATASET).schema.data_table_names())
