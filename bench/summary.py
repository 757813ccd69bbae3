"""Run summary benchmark: what counting rows new, updated and now costs on a large dataset.

    python bench/summary.py [--rows 4000000] [--tables 4]

Loads `--tables` merge tables of `--rows` rows each into a DuckDB file with dlt, merges a
tenth of each again (a rerun that updates), then times `pipelines.summary.row_counts` (the
count before a load) and `table_rows` (after it, with this run's load ids) through dlt's SQL
client, as run.py does. Targets: the summary adds under 2 s to a run of 16M rows, and its
counts are exact (new 0, updated = the rows merged again). The last line printed is one JSON
object of every figure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dlt
import pyarrow as pa

from bench.harness import finish
from pipelines import summary

TARGET_SECONDS = 2.0


def _table(start: int, rows: int) -> pa.Table:
    ids = pa.array(range(start, start + rows), pa.int64())
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), ("value", pa.int64())])
    return pa.table({"id": ids, "value": pa.compute.multiply(ids, 2)}, schema=schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--tables", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-summary-") as folder:
        pipeline = dlt.pipeline(
            pipeline_name="bench_summary",
            destination=dlt.destinations.duckdb(f"{folder}/warehouse.duckdb"),
            dataset_name="bench",
            pipelines_dir=f"{folder}/pipelines",
        )

        def load(rows: int) -> list[str]:
            resources = [
                dlt.resource(
                    [_table(0, rows)], name=f"t{n}", primary_key="id", write_disposition="merge"
                )
                for n in range(args.tables)
            ]
            return list(pipeline.run(resources, loader_file_format="parquet").loads_ids)

        load(args.rows)
        started = time.perf_counter()
        before = summary.row_counts(pipeline)
        before_s = time.perf_counter() - started
        load_ids = load(args.rows // 10)
        started = time.perf_counter()
        tables = summary.table_rows(pipeline, before, load_ids)
        after_s = time.perf_counter() - started
    exact = (
        all(
            (rows.new, rows.updated, rows.now) == (0, args.rows // 10, args.rows)
            for rows in tables.values()
        )
        and len(tables) == args.tables
    )
    seconds = before_s + after_s
    print(f"rows: {args.tables} tables x {args.rows:,}")
    print(f"count before the load: {before_s:.3f} s; new/updated/now after it: {after_s:.3f} s")
    print(f"counts exact: {exact}")
    finish(
        {
            "tables": args.tables,
            "rows_per_table": args.rows,
            "before_seconds": round(before_s, 3),
            "after_seconds": round(after_s, 3),
            "summary_seconds": round(seconds, 3),
            "counts_exact": exact,
            "targets_met": exact and seconds < TARGET_SECONDS,
        }
    )


if __name__ == "__main__":
    main()
