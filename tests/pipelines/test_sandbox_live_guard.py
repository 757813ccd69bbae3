"""run.py's guard against mixing sandbox and live data in one warehouse, read through dlt's SQL
client: the same on a DuckDB file and on PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import dlt
import pytest

from pipelines.run import RunError, known_pipelines
from pipelines.warehouse import Warehouse, choose
from tests.warehouses import postgres  # noqa: F401

FIXES = {
    "duckdb": "into another file with --duckdb, or delete w.duckdb",
    "postgres": "into another database, or drop the sp_api schema",
}


def _warehouse(kind: str, tmp_path: Path, request, monkeypatch) -> Warehouse:  # type: ignore[no-untyped-def]
    if kind == "duckdb":
        return choose(None, tmp_path / "w.duckdb", tmp_path)
    server = request.getfixturevalue("postgres")
    database = server.create_database(f"guard_{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", server.dsn(database))
    return choose("postgres", None, tmp_path)


@pytest.mark.parametrize("kind", sorted(FIXES))
def test_a_dataset_another_pipeline_loaded_is_refused_naming_it(
    kind: str, tmp_path: Path, request, monkeypatch
) -> None:
    warehouse = _warehouse(kind, tmp_path, request, monkeypatch)
    assert known_pipelines(warehouse, "live", "sp_api") == set()  # nothing loaded yet
    pipeline = dlt.pipeline(
        pipeline_name="sandbox_sp_api__shop_one__w_abc123",
        destination=warehouse.destination(),
        dataset_name="sp_api",
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    pipeline.run([{"order_id": "1"}], table_name="orders")
    mine = known_pipelines(warehouse, "sandbox", "sp_api")  # its own data
    assert mine == {"sandbox_sp_api__shop_one__w_abc123"}
    assert known_pipelines(warehouse, "live", "mws") == set()  # another dataset
    with pytest.raises(RunError) as refused:
        known_pipelines(warehouse, "live", "sp_api")
    assert str(refused.value) == (
        f"{warehouse.label} holds sp_api data of pipeline 'sandbox_sp_api__shop_one__w_abc123'; "
        f"load live data {FIXES[kind]}"
    )
