"""Warehouses benchmark: the same loads into DuckDB and into PostgreSQL 16, then dbt build on each.

    python bench/warehouses.py [--orders 100000] [--rows 1000000] [--time-scale 20000]

Per warehouse, two loads of the real source into the `sp_api` dataset, each in a measured
process that opens the warehouse as `pipelines/run.py` does (`pipelines.warehouse.choose`: the
destination and its loader file format, parquet into both, through ADBC's COPY into
PostgreSQL):
1. the Orders API: 100k orders of two sellers and their items (2026-01-01), at a time scale
   where the client, not the usage plan, is the limit;
2. a ~1M-row orders flat-file report (the DONE report bench/reports.py renders first, reused).
Then `dbt build` (`pipelines.transform.build`, every model and test) on what they loaded.
PostgreSQL is the kind the tests start: pgserver's PostgreSQL 16 on a Unix socket. Figures per
warehouse and load: wall seconds, rows/s, peak RSS of the measured process, dlt's warnings (a
loader's fallback would show there); rows and duplicate keys are counted outside it. The last
line printed is one JSON object of every figure.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pendulum

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import control, emit, finish, peak_rss_mb, run_worker, sandbox_process
from bench.postgres_formats import Warnings
from bench.reports import ORIGIN, source_options, warm_up

SELLER_SHARE = 0.85  # the NA and EU sellers hold 85% of the seeded orders
REPORT_ORDERS_SHARE = 0.5 * 0.96 * 1.79  # report rows per seeded order: NA, past 30 days, items
DATABASE = "bench"
# pgserver trusts local connections: the password is only a placeholder dlt asks for
DSN = "postgresql://postgres:trusted@localhost/{}?host={}"  # pragma: allowlist secret
WAREHOUSES = ("duckdb", "postgres")
# table: its key, for the duplicate count
KEYS = {
    "orders": ("seller_id", "order_id"),
    "order_items": ("seller_id", "order_id", "order_item_id"),
    "report_order_items": ("seller_id", "marketplace_id", "amazon_order_id", "sku", "key_ordinal"),
}


def open_warehouse(destination: str, workdir: str) -> Any:
    from pipelines.warehouse import choose

    duckdb_path = Path(workdir) / "bench.duckdb" if destination == "duckdb" else None
    return choose(destination, duckdb_path, Path(workdir) / "pipelines")


def load_worker(kind: str, url: str, workdir: str, destination: str) -> None:
    """The measured process: one load of `kind` (orders or report) into the warehouse."""
    import dlt

    from sources.common.failures import Failures
    from sources.common.memory import lean_process_memory
    from sources.sp_api import sp_api_source

    lean_process_memory()
    warnings = Warnings()
    logging.getLogger("dlt").addHandler(warnings)
    warehouse = open_warehouse(destination, workdir)
    failures = Failures()
    if kind == "orders":
        # the Orders API alone reads the whole history when no report backfills it
        options = {
            k: v
            for k, v in source_options(url, ("na", "eu"), 30).items()
            if k not in ("orders_api_days", "report_types", "reports")
        }
        options.update(
            start_date="2020-01-01",
            orders_api_version="2026-01-01",
            resources=["orders", "order_items"],
        )
        source = sp_api_source(**options, failures=failures)
    else:
        source = sp_api_source(**source_options(url, ("na",), 1000), failures=failures)
        source = source.with_resources("report_order_items")
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{kind}",
        destination=warehouse.destination(),
        dataset_name="sp_api",
        pipelines_dir=f"{workdir}/pipelines",
    )
    started = time.perf_counter()
    pipeline.run(source, loader_file_format=warehouse.loader_file_format)
    wall = time.perf_counter() - started
    if len(failures):
        raise RuntimeError("; ".join(str(f) for f in failures))
    rows = pipeline.last_trace.last_normalize_info.row_counts
    emit(
        {
            "wall_s": wall,
            "rows": sum(v for k, v in rows.items() if not k.startswith("_dlt")),
            "file_format": warehouse.loader_file_format,
            "steps_s": {
                step.step: (step.finished_at - step.started_at).total_seconds()
                for step in pipeline.last_trace.steps
                if step.step != "run"
            },
            "peak_rss_mb": peak_rss_mb(),
            "warnings": warnings.messages,
        }
    )


def dbt_worker(workdir: str, destination: str) -> None:
    """The measured process: `dbt build` of every model and test on the warehouse."""
    from pipelines import transform

    warehouse = open_warehouse(destination, workdir)
    started = time.perf_counter()
    built = transform.build(warehouse)
    emit(
        {
            "wall_s": time.perf_counter() - started,
            "success": built.success,
            "counts": built.counts,
            "failures": built.failures[:5],
            "peak_rss_mb": peak_rss_mb(),
        }
    )


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL 16 from pgserver's wheel, as the tests start it: its DSN of `DATABASE`."""
    from urllib.parse import parse_qs, urlsplit

    import pgserver
    import psycopg2

    with (
        tempfile.TemporaryDirectory(prefix="bench-postgres-") as folder,
        pgserver.get_server(folder, cleanup_mode="stop") as server,
    ):
        socket = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
        connection = psycopg2.connect(DSN.format("postgres", socket))
        connection.autocommit = True
        connection.cursor().execute(f"create database {DATABASE}")
        connection.close()
        yield DSN.format(DATABASE, socket)


@contextmanager
def pointed_at(destination: str, dsn: str) -> Iterator[None]:
    """PostgreSQL's DSN in dlt's variable while a worker loads there, and only then (a setting
    of a warehouse a run does not load is refused)."""
    if destination == "postgres":
        os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = dsn
    try:
        yield
    finally:
        os.environ.pop("DESTINATION__POSTGRES__CREDENTIALS", None)


def count(destination: str, workdir: str, dsn: str, sql: str) -> int:
    """One number from the warehouse, read outside the measured processes."""
    if destination == "duckdb":
        import duckdb

        with duckdb.connect(f"{workdir}/bench.duckdb", read_only=True) as connection:
            return int(connection.execute(sql).fetchone()[0])
    import psycopg2

    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def checks(destination: str, workdir: str, dsn: str) -> dict[str, dict[str, int]]:
    """Rows and duplicate keys per table."""
    found = {}
    for table, key in KEYS.items():
        columns = ", ".join(key)
        rows = count(destination, workdir, dsn, f"select count(*) from sp_api.{table}")
        distinct = count(
            destination,
            workdir,
            dsn,
            f"select count(*) from (select distinct {columns} from sp_api.{table}) as keys",
        )
        found[table] = {"rows": rows, "duplicate_keys": rows - distinct}
    return found


def measure(orders: int, rows: int, time_scale: float) -> dict[str, Any]:
    report_world = round(rows / REPORT_ORDERS_SHARE)
    figures: dict[str, Any] = {}
    with (
        postgres_server() as dsn,
        sandbox_process("--orders", str(round(orders / SELLER_SHARE))) as orders_url,
        sandbox_process(
            "--orders",
            str(report_world),
            "--time-scale",
            "60",
            "--start",
            ORIGIN,
            "--origin",
            ORIGIN,
        ) as report_url,
    ):
        # the orders world stops five minutes back, past the Orders API's two-minute horizon
        shown = pendulum.parse(control(orders_url, "GET", "clock")["now"]).subtract(minutes=5)
        control(orders_url, "POST", "world/freeze", {"at": shown.isoformat()})
        control(orders_url, "POST", "clock/scale", {"time_scale": time_scale})
        control(report_url, "POST", "world/freeze", {"at": ORIGIN})
        accounts = control(orders_url, "GET", "accounts")["accounts"]
        sellers = {a["seller_id"] for a in accounts if a["region"] in ("na", "eu")}
        world = sum(
            s["visible_orders"]
            for s in control(orders_url, "GET", "world")["sellers"]
            if s["seller_id"] in sellers
        )
        with tempfile.TemporaryDirectory(prefix="bench-warehouses-") as scratch:
            warm_up(report_url, Path(scratch) / "document.tsv.gz")
            for destination in WAREHOUSES:
                workdir = tempfile.mkdtemp(prefix=f"{destination}-", dir=scratch)
                with pointed_at(destination, dsn):
                    loads = {
                        kind: run_worker(Path(__file__), "load", kind, url, workdir, destination)
                        for kind, url in (("orders", orders_url), ("report", report_url))
                    }
                    dbt = run_worker(Path(__file__), "dbt", workdir, destination)
                for load in loads.values():
                    load["rows_per_s"] = load["rows"] / load["wall_s"]
                figures[destination] = {
                    **loads,
                    "dbt_build": dbt,
                    "tables": checks(destination, workdir, dsn),
                }
    figures["world_orders"] = world
    return figures


def print_figures(figures: dict[str, Any]) -> None:
    for destination in WAREHOUSES:
        found = figures[destination]
        print(f"\n== {destination} ==")
        for kind in ("orders", "report"):
            load = found[kind]
            steps = ", ".join(f"{k} {v:.1f} s" for k, v in load["steps_s"].items())
            print(
                f"  {kind:<8}{load['rows']:>11,} rows in {load['wall_s']:6.1f} s = "
                f"{load['rows_per_s']:>9,.0f} rows/s, peak RSS {load['peak_rss_mb']:5.0f} MB "
                f"({load['file_format']}; {steps})"
            )
        dbt = found["dbt_build"]
        counts = ", ".join(f"{n} {status}" for status, n in sorted(dbt["counts"].items()))
        print(
            f"  dbt build {dbt['wall_s']:.1f} s, {'ok' if dbt['success'] else 'FAILED'} ({counts})"
        )
        for table, check in found["tables"].items():
            print(
                f"  {table:<20}{check['rows']:>11,} rows, {check['duplicate_keys']} duplicate keys"
            )


WORKERS = {"load": load_worker, "dbt": dbt_worker}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000, help="orders of the two sellers")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the orders report")
    parser.add_argument(
        "--time-scale", type=float, default=20_000, help="where the client is the limit"
    )
    parser.add_argument(
        "--worker", nargs="+", help="the measured process: load or dbt, then its arguments"
    )
    args = parser.parse_args()
    if args.worker:
        return WORKERS[args.worker[0]](*args.worker[1:])
    figures = measure(args.orders, args.rows, args.time_scale)
    print_figures(figures)
    duckdb_, postgres = figures["duckdb"], figures["postgres"]
    targets = {
        "same_rows_on_both": duckdb_["tables"] == postgres["tables"],
        "every_order_once": duckdb_["tables"]["orders"]["rows"] == figures["world_orders"]
        and all(
            c["duplicate_keys"] == 0 for w in (duckdb_, postgres) for c in w["tables"].values()
        ),
        "dbt_build_ok_on_both": duckdb_["dbt_build"]["success"]
        and postgres["dbt_build"]["success"],
        "parquet_without_fallback_warnings": all(
            load["file_format"] == "parquet"
            and not any("adbc" in w.lower() or "fall" in w.lower() for w in load["warnings"])
            for w in (duckdb_, postgres)
            for load in (w["orders"], w["report"])
        ),
        "peak_rss_le_512_mb": all(
            load["peak_rss_mb"] <= 512
            for w in (duckdb_, postgres)
            for load in (w["orders"], w["report"])
        ),
    }
    print("\ntargets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items()))
    finish({**figures, "targets_met": targets})


if __name__ == "__main__":
    main()
