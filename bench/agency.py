"""Agency benchmark: 50 sellers x 2,000 orders, loaded by 1, 4 and 16 workers into DuckDB and
into PostgreSQL, then dbt's full and incremental builds at 1M orders.

    python bench/agency.py [--sellers 50] [--orders-per-seller 2000] [--time-scale 120]

A sandbox of `--sellers` sellers (`python -m sandbox --sellers N`), its world held five minutes
back (past the Orders API's two-minute horizon) and two years deep: each seller's history loads
through the Orders API (items inline) and one orders report window (the oldest 30 days). Each
load runs `pipelines/pool.py`'s units (one pipeline per seller) in a measured process, at a
time scale where usage plans and report processing take real turns. Per run:
- wall time, and its ratio to the slowest seller's lower bound (its usage plans' waits and its
  report's processing, in wall seconds at the time scale), and to the pool's bound (a pool of
  W workers needs ceil(N / W) turns of the slowest seller at least);
- API calls against the sum of the sellers' minimums (ceil(orders / 100) searches, one
  createReport and one getReportDocument, one token per seller-hour; getReport polls are shown
  apart: they wait for the report, however many a client makes; a presigned download names
  no seller in the call log);
- peak RSS of the measured process.
Then dbt: `bench/marts.py` (full against incremental after 1% change) unless `--no-dbt`.
The last line is one JSON object of every figure, with `targets_met`.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pendulum

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, control, emit, finish, peak_rss_mb, sandbox_process

WORKERS = (1, 4, 16)
HISTORY_DAYS = 730  # the world's depth, and the first run's reach
REPORT_DAYS = 30  # one orders report window: the oldest month
SEARCH = "orders_2026-01-01.searchOrders"
PLANS = {  # (rate, burst) from the models, for the lower bound of a number of calls
    SEARCH: (0.0056, 20),
    "reports_2021-06-30.createReport": (0.0167, 15),
    "reports_2021-06-30.getReportDocument": (0.0167, 15),
}
ONCE = ("reports_2021-06-30.createReport", "reports_2021-06-30.getReportDocument")
POLL = "reports_2021-06-30.getReport"
TOKEN = "lwa.token"
SETTINGS = {  # orders, their items, the orders report; the Orders API for all but a month
    "SOURCES__SP_API__RESOURCES": '["orders", "order_items", "reports"]',
    "SOURCES__SP_API__REPORT_TYPES": '["GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"]',
    "SOURCES__SP_API__FINANCES": "false",
    "SOURCES__SP_API__ORDERS_API_DAYS": str(HISTORY_DAYS - REPORT_DAYS),
}


def worker(url: str, warehouse: str, workers: int, workdir: str) -> None:
    """The measured process: every seller's unit into a fresh warehouse (`duckdb` or a DSN)."""
    from contextlib import nullcontext

    from pipelines import pool, units
    from pipelines.builders import RunContext
    from pipelines.sandbox_time import SandboxTime
    from pipelines.warehouse import choose
    from sources.common.memory import lean_process_memory

    lean_process_memory()
    target = control(url, "GET", "accounts")
    start = SandboxTime(url).now().subtract(days=HISTORY_DAYS).to_date_string()
    context = RunContext(mode="sandbox", sandbox=target, start_date=start)
    if warehouse == "duckdb":
        found = choose("duckdb", Path(workdir) / "agency.duckdb", Path(workdir) / "pipelines")
    else:
        os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = warehouse
        found = choose("postgres", None, Path(workdir) / "pipelines")
    runner = pool.Runner(
        context=context,
        mode="sandbox",
        warehouse=found,
        pipelines_dir=Path(workdir) / "pipelines",
        arguments=lambda name: nullcontext({}),
        now=lambda: SandboxTime(url).now(),
    )
    planned = units.plan(["sp_api"], "sandbox", found.where, target)
    started = time.perf_counter()
    outcomes = pool.run_units(planned, runner, workers)
    wall = time.perf_counter() - started
    rss = peak_rss_mb()
    pipeline = runner.pipeline(planned[0])
    with pipeline.sql_client() as client:
        orders = dict(client.execute_sql("select seller_id, count(*) from orders group by 1"))
        reported = dict(
            client.execute_sql("select seller_id, count(*) from report_order_items group by 1")
        )
        duplicates = client.execute_sql(
            "select count(*) - count(distinct (seller_id, order_id)) from orders"
        )[0][0]
    emit(
        {
            "wall_s": wall,
            "peak_rss_mb": rss,
            "api_orders_per_seller": orders,
            "report_rows_per_seller": reported,
            "duplicate_order_keys": duplicates,
            "errors": [f"{o.unit.label}: {o.error}" for o in outcomes if o.error],
            "failures": [str(f) for f in context.failures],
        }
    )


def run_worker(*args: str) -> dict[str, Any]:
    """`agency.py --worker ...` with the load's settings; its last line."""
    import json

    result = subprocess.run(
        [sys.executable, str(Path(__file__)), "--worker", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **SETTINGS},
    )
    if result.returncode != 0:
        raise RuntimeError(f"worker failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(url: str, warehouse: str, workers: int, time_scale: float) -> dict[str, Any]:
    """One load of every seller; the sandbox's call log and reports give the bounds."""
    control(url, "POST", "reset")
    shown = pendulum.parse(control(url, "GET", "clock")["now"]).subtract(minutes=5)
    control(url, "POST", "world/freeze", {"at": shown.isoformat()})
    control(url, "POST", "clock/scale", {"time_scale": time_scale})
    with tempfile.TemporaryDirectory(prefix="bench-agency-") as workdir:
        result = run_worker(url, warehouse, str(workers), workdir)
    calls = control(url, "GET", "calls")
    reports = control(url, "GET", "reports")["reports"]
    processing = {r["sellerId"]: r.get("processingSeconds") or 0 for r in reports}
    sellers = {}
    for seller_id, operations in calls["sellers"].items():
        count = {k.removeprefix("sp_api."): v["calls"] for k, v in operations.items()}
        spans = {k.removeprefix("sp_api."): v for k, v in operations.items()}
        waits = {
            name: max(count.get(name, 0) - burst, 0) / rate for name, (rate, burst) in PLANS.items()
        }
        bound = max(waits[SEARCH], waits[ONCE[0]] + processing.get(seller_id, 0), waits[ONCE[1]])
        hours = (
            max(v["last_at"] for v in spans.values()) - min(v["first_at"] for v in spans.values())
        ) / 3600
        orders = result["api_orders_per_seller"].get(seller_id, 0)
        minimum = math.ceil(orders / 100) + len(ONCE)  # searches, createReport, document
        used = count.get(SEARCH, 0) + sum(count.get(k, 0) for k in ONCE)
        sellers[seller_id] = {
            "orders_api": orders,
            "calls": used,
            "minimum_calls": minimum,
            "tokens": count.get(TOKEN, 0),
            "tokens_allowed": math.ceil(hours) + 1,
            "polls": count.get(POLL, 0),
            "lower_bound_wall_s": bound / time_scale,
        }
    slowest = max(s["lower_bound_wall_s"] for s in sellers.values())
    turns = math.ceil(len(sellers) / workers)
    return {
        "warehouse": "duckdb" if warehouse == "duckdb" else "postgres",
        "workers": workers,
        "wall_s": result["wall_s"],
        "slowest_seller_bound_s": slowest,
        "ratio_to_slowest_seller": result["wall_s"] / slowest if slowest else math.nan,
        "ratio_to_pool_bound": result["wall_s"] / (turns * slowest) if slowest else math.nan,
        "calls": sum(s["calls"] for s in sellers.values()),
        "minimum_calls": sum(s["minimum_calls"] for s in sellers.values()),
        "tokens": sum(s["tokens"] for s in sellers.values()),
        "tokens_allowed": sum(s["tokens_allowed"] for s in sellers.values()),
        "polls": sum(s["polls"] for s in sellers.values()),
        "throttled": calls["throttled"],
        "throttled_by_operation": {
            k: v["throttled"] for k, v in calls["operations"].items() if v["throttled"]
        },
        "orders_api": sum(s["orders_api"] for s in sellers.values()),
        "report_rows": sum(result["report_rows_per_seller"].values()),
        "sellers_without_report_rows": sorted(set(sellers) - set(result["report_rows_per_seller"])),
        "duplicate_order_keys": result["duplicate_order_keys"],
        "errors": result["errors"] + result["failures"],
        "peak_rss_mb": result["peak_rss_mb"],
    }


def report(figures: dict[str, Any]) -> None:
    print(
        f"{figures['warehouse']:>8}, {figures['workers']:>2} workers: wall "
        f"{figures['wall_s']:7.1f} s; slowest seller's bound "
        f"{figures['slowest_seller_bound_s']:.1f} s "
        f"(ratio {figures['ratio_to_slowest_seller']:.2f}; to the pool's bound "
        f"{figures['ratio_to_pool_bound']:.2f}); calls {figures['calls']:,} / minimum "
        f"{figures['minimum_calls']:,}, tokens {figures['tokens']} / {figures['tokens_allowed']}, "
        f"polls {figures['polls']:,}, throttled {figures['throttled']}"
        f"{' ' + str(figures['throttled_by_operation']) if figures['throttled'] else ''}; orders "
        f"{figures['orders_api']:,} + report rows {figures['report_rows']:,}; peak RSS "
        f"{figures['peak_rss_mb']:.0f} MB; errors {len(figures['errors'])}; sellers without "
        f"report rows {len(figures['sellers_without_report_rows'])}",
        flush=True,
    )


def marts() -> dict[str, Any]:
    """`bench/marts.py`'s figures (dbt at 1M orders, full against incremental after 1% of the
    orders changed); its last line is its JSON."""
    import json

    path = ROOT / "bench" / "marts.py"
    result = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, cwd=ROOT, check=True
    )
    print(result.stdout.rstrip().rsplit("\n", 1)[0], flush=True)  # its report, not its JSON
    return json.loads(result.stdout.strip().splitlines()[-1])


def met(figures: dict[str, Any]) -> bool:
    """A benchmark's `targets_met`: one flag, or one per target."""
    found = figures.get("targets_met")
    return all(found.values()) if isinstance(found, dict) else bool(found)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sellers", type=int, default=50)
    parser.add_argument("--orders-per-seller", type=int, default=2000)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=30,
        help="virtual seconds per second: report processing and plan waits take real turns",
    )
    parser.add_argument("--workers", default=",".join(map(str, WORKERS)))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-dbt", action="store_true", help="skip bench/marts.py's builds")
    parser.add_argument("--worker", nargs=4, metavar=("URL", "WAREHOUSE", "WORKERS", "WORKDIR"))
    args = parser.parse_args()
    if args.worker:
        url, warehouse, workers, workdir = args.worker
        worker(url, warehouse, int(workers), workdir)
        return
    counts = [int(n) for n in args.workers.split(",")]
    runs: list[dict[str, Any]] = []
    world = str(args.sellers * args.orders_per_seller)
    with (
        sandbox_process("--sellers", str(args.sellers), "--orders", world) as url,
        tempfile.TemporaryDirectory(prefix="bench-agency-pg-") as folder,
    ):
        warehouses = ["duckdb"]
        server = None
        if not args.no_postgres:
            import pgserver

            server = pgserver.get_server(Path(folder), cleanup_mode="stop")
            socket = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
        for workers in counts:
            for warehouse in warehouses + ([] if server is None else ["postgres"]):
                if warehouse == "postgres":
                    assert server is not None
                    database = f"agency_{workers}"
                    server.psql(f"create database {database};")
                    # the server trusts its socket; dlt wants a password: a placeholder
                    dsn = "postgresql://postgres:unused@localhost"  # pragma: allowlist secret
                    warehouse = f"{dsn}/{database}?host={socket}"
                figures = measure(url, warehouse, workers, args.time_scale)
                report(figures)
                runs.append(figures)
        if server is not None:
            server.cleanup()
    dbt = None if args.no_dbt else marts()
    at16 = [r for r in runs if r["workers"] == max(counts)]
    targets = {
        "ratio_le_1_5_at_16_workers": all(r["ratio_to_slowest_seller"] <= 1.5 for r in at16),
        "calls_equal_minimum_plus_tokens": all(
            r["calls"] <= r["minimum_calls"] and r["tokens"] <= r["tokens_allowed"] for r in runs
        ),
        "peak_rss_le_1_gb_at_16_workers": all(r["peak_rss_mb"] <= 1024 for r in at16),
        "every_order_once_no_errors": all(
            r["duplicate_order_keys"] == 0
            and not r["errors"]
            and not r["sellers_without_report_rows"]
            for r in runs
        ),
    }
    if dbt is not None:
        targets["incremental_le_10_percent_of_full"] = met(dbt)
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items()))
    finish(
        {
            "sellers": args.sellers,
            "orders_per_seller": args.orders_per_seller,
            "time_scale": args.time_scale,
            "runs": runs,
            "dbt": dbt,
            "targets": targets,
            "targets_met": all(targets.values()),
        }
    )


if __name__ == "__main__":
    main()
