"""Loading the sandbox with the real source, pipeline and DuckDB file, as tests need it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import duckdb

from sources.common.failures import Failures
from sources.common.stats import ApiStats
from sources.sp_api import sp_api_source
from tests.conftest import START_DATE


@dataclass
class Load:
    pipeline: Any
    stats: ApiStats
    failures: Failures
    duckdb_path: Path

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def count(self, table: str) -> int:
        return self.query(f"select count(*) from sp_api.{table}")[0][0]


def sp_api_kwargs(accounts: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    kwargs = {
        "accounts": accounts["accounts"],
        "client_id": accounts["lwa"]["client_id"],
        "client_secret": accounts["lwa"]["client_secret"],
        "lwa_token_url": accounts["lwa"]["token_url"],
        "endpoint": accounts["sp_api"]["endpoint"],
        "quota_scale": accounts["sp_api"]["time_scale"],
        "start_date": START_DATE,
        "retry_backoff_seconds": 0.01,
        # orders only, unless a test asks for reports (report_types=None: the catalog's six)
        # or finances
        "report_types": (),
        "finances": False,
    }
    kwargs.update(overrides)
    return kwargs


def load_sp_api(accounts: dict[str, Any], workdir: Path, **overrides: Any) -> Load:
    """One pipeline run into `workdir`/warehouse.duckdb; state lives in `workdir`/pipelines."""
    stats, failures = ApiStats(), Failures()
    duckdb_path = workdir / "warehouse.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name="test_sp_api",
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name="sp_api",
        pipelines_dir=str(workdir / "pipelines"),
    )
    source = sp_api_source(**sp_api_kwargs(accounts, stats=stats, failures=failures, **overrides))
    pipeline.run(source, loader_file_format="parquet")
    return Load(pipeline, stats, failures, duckdb_path)


def run_source(source: Any, workdir: Path, dataset: str) -> Any:
    """One run of any source into `workdir`/warehouse.duckdb (dataset `dataset`), its state in
    `workdir`/pipelines; the pipeline, for its trace and state."""
    pipeline = dlt.pipeline(
        pipeline_name=f"test_{dataset}",
        destination=dlt.destinations.duckdb(str(workdir / "warehouse.duckdb")),
        dataset_name=dataset,
        pipelines_dir=str(workdir / "pipelines"),
    )
    pipeline.run(source, loader_file_format="parquet")
    return pipeline
