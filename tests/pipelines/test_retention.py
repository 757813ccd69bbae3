"""Retention on a real pipeline and DuckDB file (plain and encrypted): which rows lose their
personal columns, and that staging copies and package files go too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import pendulum
import pytest

from pipelines import retention
from pipelines.duckdb_file import DuckDbFile

NOW = pendulum.datetime(2026, 11, 1, tz="UTC")
# order id -> (status, last update): A and D closed over 30 days ago, B recently, C still open
ORDERS = {
    "A": ("SHIPPED", "2026-09-01T10:00:00Z"),
    "B": ("SHIPPED", "2026-10-20T10:00:00Z"),
    "C": ("UNSHIPPED", "2026-08-01T10:00:00Z"),
    "D": ("CANCELLED", "2026-09-15T10:00:00Z"),
}
KEYS = ["seller_id", "order_id"]


@dlt.resource(primary_key=KEYS, write_disposition="merge")
def orders() -> Any:
    yield [
        {
            "seller_id": "S1",
            "order_id": o,
            "fulfillment__fulfillment_status": s,
            "last_updated_time": t,
        }
        for o, (s, t) in ORDERS.items()
    ]


@dlt.resource(primary_key=KEYS, write_disposition="merge")
def order_buyers() -> Any:
    yield [
        {"seller_id": "S1", "order_id": o, "marketplace_id": "M", "buyer_name": f"Name {o}",
         "buyer_email": f"{o}@marketplace.example"}
        for o in ORDERS
    ]  # fmt: skip


def _load(warehouse: DuckDbFile, workdir: Path) -> dlt.Pipeline:
    pipeline = dlt.pipeline(
        pipeline_name=f"retention_{workdir.name}",
        destination=warehouse.destination(),
        dataset_name="sp_api",
        pipelines_dir=str(workdir / "pipelines"),
    )
    pipeline.run([orders(), order_buyers()], loader_file_format="parquet")
    return pipeline


def _package_tables(pipeline: dlt.Pipeline) -> set[str]:
    return {
        job.job_file_info.table_name
        for load_id in pipeline.list_completed_load_packages()
        for jobs in pipeline.get_load_package_info(load_id).jobs.values()
        for job in jobs
    }


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_closed_orders_past_retention_lose_their_buyers_everywhere(tmp_path, encrypted) -> None:
    path = tmp_path / "warehouse.duckdb"
    warehouse = DuckDbFile(path, "k", force_mbedtls_unsafe=True) if encrypted else DuckDbFile(path)
    try:
        pipeline = _load(warehouse, tmp_path)
        assert "order_buyers" in _package_tables(pipeline)
        purged = retention.purge(pipeline, NOW, 30)
        again = retention.purge(pipeline, NOW, 30)
    finally:
        warehouse.close()
    assert purged.cutoff == NOW.subtract(days=30)
    assert purged.rows == {"order_buyers": 2} and purged.staging == ["order_buyers"]
    assert purged.files >= 1 and "order_buyers" not in _package_tables(pipeline)
    assert "orders" in _package_tables(pipeline)  # only personal tables' files go
    assert (again.rows, again.staging, again.files) == ({}, [], 0)
    with warehouse.connect(read_only=True) as connection:
        rows = connection.execute(
            "select order_id, marketplace_id, buyer_name, buyer_email from sp_api.order_buyers "
            "order by order_id"
        ).fetchall()
        staged = connection.execute("select count(*) from sp_api_staging.order_buyers").fetchone()
    assert rows == [
        ("A", "M", None, None),
        ("B", "M", "Name B", "B@marketplace.example"),
        ("C", "M", "Name C", "C@marketplace.example"),
        ("D", "M", None, None),
    ]
    assert staged == (0,)


def test_a_source_without_personal_data_is_left_alone(tmp_path) -> None:
    pipeline = dlt.pipeline(
        pipeline_name="retention_other",
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        dataset_name="paapi",
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    pipeline.run([order_buyers()], loader_file_format="parquet")
    purged = retention.purge(pipeline, NOW, 0)
    assert (purged.rows, purged.staging, purged.files) == ({}, [], 0)


def test_include_pii_of_a_source_with_personal_data_is_what_asks_for_a_key(monkeypatch) -> None:
    monkeypatch.setenv("SOURCES__MWS__INCLUDE_PII", "true")
    monkeypatch.setenv("SOURCES__PAAPI__INCLUDE_PII", "true")
    assert retention.loading_personal_data(["sp_api", "mws", "paapi"]) == ["mws"]
