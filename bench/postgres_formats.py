"""PostgreSQL loader file formats: the same tables loaded as insert_values, csv and parquet.

    python bench/postgres_formats.py [--orders 50000]

The sandbox's SP-API data is loaded once into DuckDB, as `pipelines/run.py` does. Each format
then loads those tables, read back as Arrow (what our sources yield), into a dataset of its own
in one PostgreSQL 16 (pgserver): insert_values (dlt's default for PostgreSQL), csv (COPY) and
parquet (ADBC's COPY). Figures per format: rows, normalize and load seconds, rows/s of both,
the file formats of the completed jobs and dlt's warnings (a fallback would show in both). The
last line printed is one JSON object of every figure.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import control, finish, sandbox_process

FORMATS = ("insert_values", "csv", "parquet")


class Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().splitlines()[0])


def load_duckdb(url: str, path: Path, workdir: Path) -> None:
    import dlt

    from pipelines.builders import BUILDERS, RunContext

    context = RunContext(mode="sandbox", sandbox=control(url, "GET", "accounts"), start_date=None)
    pipeline = dlt.pipeline(
        pipeline_name="bench_duckdb",
        destination=dlt.destinations.duckdb(str(path)),
        dataset_name="sp_api",
        pipelines_dir=str(workdir / "pipelines"),
    )
    pipeline.run(BUILDERS["sp_api"](context), loader_file_format="parquet")


def arrow_tables(path: Path) -> list[Any]:
    """Every sp_api table as a dlt resource of its Arrow table, without dlt's own columns."""
    import dlt
    import duckdb

    with duckdb.connect(str(path), read_only=True) as connection:
        columns: dict[str, list[str]] = {}
        for table, column in connection.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'sp_api' and not starts_with(table_name, '_dlt') "
            "and not starts_with(column_name, '_dlt') order by table_name, ordinal_position"
        ).fetchall():
            columns.setdefault(table, []).append(f'"{column}"')
        tables = {
            table: connection.sql(f"select {', '.join(names)} from sp_api.{table}").to_arrow_table()
            for table, names in columns.items()
        }
    return [dlt.resource([data], name=table) for table, data in tables.items()]


def measure(duckdb_path: Path, dsn: str, file_format: str, workdir: Path) -> dict[str, Any]:
    import dlt

    warnings = Warnings()
    logging.getLogger("dlt").addHandler(warnings)
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{file_format}",
        destination=dlt.destinations.postgres(credentials=dsn),
        dataset_name=f"sp_api_{file_format}",
        pipelines_dir=str(workdir / "pipelines"),
    )
    pipeline.extract(arrow_tables(duckdb_path), loader_file_format=file_format)
    started = time.perf_counter()
    normalized = pipeline.normalize()
    normalize_s = time.perf_counter() - started
    started = time.perf_counter()
    loaded = pipeline.load()
    load_s = time.perf_counter() - started
    logging.getLogger("dlt").removeHandler(warnings)
    rows = sum(
        count for table, count in normalized.row_counts.items() if not table.startswith("_dlt")
    )
    jobs = [
        job
        for package in loaded.load_packages
        for job in package.jobs["completed_jobs"]
        if not job.job_file_info.table_name.startswith("_dlt")
    ]
    return {
        "rows": rows,
        "normalize_s": normalize_s,
        "load_s": load_s,
        "load_rows_per_s": rows / load_s,
        "rows_per_s": rows / (normalize_s + load_s),
        "job_formats": sorted({job.job_file_info.file_format for job in jobs}),
        "warnings": len(warnings.messages),
        "first_warning": warnings.messages[0] if warnings.messages else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=50000)
    args = parser.parse_args()

    import pgserver

    figures: dict[str, Any] = {"orders": args.orders}
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        duckdb_path = workdir / "bench.duckdb"
        with sandbox_process("--orders", str(args.orders), "--time-scale", "3600") as url:
            load_duckdb(url, duckdb_path, workdir)
        (workdir / "pg").mkdir()
        with pgserver.get_server(workdir / "pg", cleanup_mode="stop") as server:
            socket = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
            # dlt wants a host and a password: the socket goes in libpq's host parameter
            dsn = f"postgresql://postgres:unused@localhost/postgres?host={socket}"
            for file_format in FORMATS:
                figures[file_format] = result = measure(duckdb_path, dsn, file_format, workdir)
                print(
                    f"{file_format:>13}: {result['rows']} rows, load {result['load_s']:.2f} s "
                    f"({result['load_rows_per_s']:,.0f} rows/s), normalize + load "
                    f"{result['rows_per_s']:,.0f} rows/s, jobs {result['job_formats']}, "
                    f"{result['warnings']} warnings",
                    flush=True,
                )
    finish(figures)


if __name__ == "__main__":
    main()
