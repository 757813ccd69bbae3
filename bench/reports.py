"""Reports benchmark: a big orders flat file against DuckDB's own read_csv, memory at two sizes,
and a two-year order backfill against the usage plan.

    python bench/reports.py [--rows 1000000] [--big-rows 4000000] [--backfill-orders 100000]

1. A ~1M-row orders flat-file report (~250 MB of TSV, gzip'd as Amazon serves it) is
   downloaded, decompressed, decoded, parsed and loaded (appended, as backfill windows are)
   into DuckDB by the real source; rows/s is set against DuckDB's read_csv of the same gzip'd
   file into a table, in the same run. Each stage of the path is then timed alone on the same
   document with the source's own code, beside dlt's normalize and load of the real run.
   The sandbox renders the document once, before the measured run (Amazon's documents are
   files waiting on S3), and the measured run reuses that DONE report through getReports.
2. Peak RSS of the measured process at the 1M- and the 4M-row report.
3. A two-year backfill of the orders of two sellers through the orders report: API calls per
   report window and the simulated time against the usage-plan lower bound, which is
   (createReport calls - burst) / rate plus the processing time of the last report created.

The last line printed is one JSON object of every figure.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    PHASES_KEYS,
    access_headers,
    control,
    duplicate_keys,
    emit,
    finish,
    peak_rss_mb,
    phases_line,
    run_phases,
    run_worker,
    sandbox_process,
)

ORDERS_REPORT = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
ORIGIN = "2026-11-01T00:00:00Z"
START_DATE = "2024-11-02"  # the first day of the sandbox's two years of history
API_DAYS = 30  # the Orders API's share; the report covers everything before
ITEMS_PER_ORDER = 1.79  # the sandbox's mean order size
NA_SHARE, NA_EU_SHARE = 0.5, 0.85
CREATE_PLAN = (0.0167, 15)  # createReport: rate per second, burst
DOCUMENT_PLAN = (0.0167, 15)  # getReportDocument


def warm_up(url: str, path: Path) -> tuple[int, str]:
    """The report the measured run will reuse, rendered and saved as served (gzip'd); its size
    and document id."""
    accounts = control(url, "GET", "accounts")
    account = accounts["accounts"][0]
    headers = access_headers(accounts)
    import pendulum

    split = pendulum.parse(ORIGIN).subtract(days=API_DAYS)
    body = {
        "reportType": ORDERS_REPORT,
        "marketplaceIds": account["marketplace_ids"],
        "dataStartTime": f"{START_DATE}T00:00:00Z",
        "dataEndTime": split.format("YYYY-MM-DDTHH:mm:ss[Z]"),
    }
    reports = f"{url}/reports/2021-06-30/reports"
    report_id = requests.post(reports, json=body, headers=headers, timeout=600).json()["reportId"]
    control(url, "POST", "clock/advance", {"seconds": 3600})
    headers = access_headers(accounts)
    report = requests.get(f"{reports}/{report_id}", headers=headers, timeout=60).json()
    assert report["processingStatus"] == "DONE", report
    document = requests.get(
        f"{url}/reports/2021-06-30/documents/{report['reportDocumentId']}",
        headers=headers,
        timeout=60,
    ).json()
    with (
        requests.get(document["url"], stream=True, timeout=600) as response,
        path.open("wb") as out,
    ):
        response.raise_for_status()
        for chunk in response.raw.stream(1 << 20, decode_content=False):
            out.write(chunk)
    return path.stat().st_size, report["reportDocumentId"]


def source_options(url: str, regions: tuple[str, ...], span_days: int) -> dict[str, Any]:
    target = control(url, "GET", "accounts")
    return {
        "accounts": [a for a in target["accounts"] if a["region"] in regions],
        "client_id": target["lwa"]["client_id"],
        "client_secret": target["lwa"]["client_secret"],
        "lwa_token_url": target["lwa"]["token_url"],
        "endpoint": url,
        "start_date": START_DATE,
        "orders_api_days": API_DAYS,
        "report_types": [ORDERS_REPORT],
        "reports": {ORDERS_REPORT: {"span_days": span_days}},
        "finances": False,
    }


def load_worker(url: str, workdir: str, regions: str, span_days: str) -> None:
    """The measured process: the real source, only the orders report, into a fresh DuckDB."""
    import dlt
    import duckdb

    from sources.common.failures import Failures
    from sources.common.memory import lean_process_memory
    from sources.sp_api import sp_api_source

    lean_process_memory()
    failures = Failures()
    options = source_options(url, tuple(regions.split(",")), int(span_days))
    source = sp_api_source(**options, failures=failures).with_resources("report_order_items")
    pipeline = dlt.pipeline(
        pipeline_name="bench_reports",
        destination=dlt.destinations.duckdb(f"{workdir}/bench.duckdb"),
        dataset_name="sp_api",
        pipelines_dir=f"{workdir}/pipelines",
    )
    _, phases_s, phases_rss, phases_start, phases_files = run_phases(pipeline, source)
    if len(failures):
        raise RuntimeError("; ".join(str(f) for f in failures))
    with duckdb.connect(f"{workdir}/bench.duckdb", read_only=True) as connection:
        rows = connection.execute("select count(*) from sp_api.report_order_items").fetchone()[0]
    emit(
        {
            "wall_s": sum(phases_s.values()),
            "rows": rows,
            "steps_s": phases_s,
            "peak_rss_mb": max(phases_rss.values()),
            "phases_rss_mb": phases_rss,
            "phases_start_rss_mb": phases_start,
            "phases_start_files_mb": phases_files,
        }
    )


def stages_worker(url: str, document_id: str, workdir: str) -> None:
    """Each stage of the source's path alone, on the same document, with the source's own
    code: where a report's time goes (the real run overlaps the download with dlt's writes)."""
    import pyarrow.parquet as pq

    from sources.sp_api import documents
    from sources.sp_api.report_catalog import CATALOG

    spec = CATALOG[ORDERS_REPORT]
    accounts = control(url, "GET", "accounts")
    ref = documents.ReportRef(
        "bench", ORDERS_REPORT, tuple(accounts["accounts"][0]["marketplace_ids"]), "", ""
    )
    headers = access_headers(accounts)
    info = requests.get(
        f"{url}/reports/2021-06-30/documents/{document_id}", headers=headers, timeout=60
    ).json()
    seconds: dict[str, float] = {}

    def timed(stage: str, started: float) -> float:
        now = time.perf_counter()
        seconds[stage] = seconds.get(stage, 0.0) + now - started
        return now

    path = Path(workdir) / "stages.txt"
    inflater = documents._Inflater(1 << 40, ref)
    transcoder = documents._Transcoder("utf-8", ref)
    started = time.perf_counter()
    with requests.get(info["url"], stream=True, timeout=600) as response, path.open("wb") as out:
        for chunk in response.raw.stream(documents.READ_CHUNK, decode_content=False):
            started = timed("download", started)
            pieces = list(inflater.feed(chunk))
            started = timed("gunzip", started)
            for piece in pieces:
                out.write(transcoder.convert(piece))
            started = timed("decode", started)
        inflater.finish()
        out.write(transcoder.convert(b"", final=True))
    started = timed("decode", started)
    document = documents.Document(path, "utf-8", "text/tab-separated-values")
    constants = documents.engine_columns(spec, ref, "bench", "2026-11-01")
    rows, writer = 0, None
    with documents.database("128MB", Path(workdir)) as database:
        # the first pass (every row's key numbered) ends before the first batch comes
        for _, batch in documents.parse(document, spec, constants, ref, database):
            started = timed("parse" if rows else "keying", started)
            if writer is None:
                writer = pq.ParquetWriter(Path(workdir) / "stages.parquet", batch.schema)
            writer.write_table(batch)
            rows += batch.num_rows
            started = timed("arrow_to_parquet", started)
    if writer is not None:
        writer.close()
    timed("arrow_to_parquet", started)
    emit({"seconds": seconds, "rows": rows})


def duckdb_worker(path: str, workdir: str) -> None:
    """DuckDB's own read_csv of the same gzip'd document into a table of a database file."""
    import duckdb

    with duckdb.connect(f"{workdir}/baseline.duckdb") as connection:
        started = time.perf_counter()
        connection.execute(
            "create table orders as select * from read_csv(?, delim = '\t', header = true, "
            "all_varchar = true)",
            [path],
        )
        wall = time.perf_counter() - started
        rows = connection.execute("select count(*) from orders").fetchone()[0]
    emit({"wall_s": wall, "rows": rows, "peak_rss_mb": peak_rss_mb()})


def big_report(rows: int) -> dict[str, Any]:
    """One orders report of about `rows` rows: our load against DuckDB's read_csv."""
    orders = round(rows / ITEMS_PER_ORDER / NA_SHARE / (1 - API_DAYS / 730))
    with (
        sandbox_process(
            "--orders", str(orders), "--time-scale", "60", "--start", ORIGIN, "--origin", ORIGIN
        ) as url,
        tempfile.TemporaryDirectory(prefix="bench-reports-") as workdir,
    ):
        control(url, "POST", "world/freeze", {"at": ORIGIN})
        document = Path(workdir) / "document.tsv.gz"
        started = time.perf_counter()
        gzipped, document_id = warm_up(url, document)
        render_s = time.perf_counter() - started
        ours = run_worker(Path(__file__), "load", url, workdir, "na", "1000")
        duplicates = duplicate_keys(
            Path(workdir) / "bench.duckdb",
            "sp_api.report_order_items",
            ("seller_id", "marketplace_id", "amazon_order_id", "sku", "key_ordinal"),
        )
        baseline = run_worker(Path(__file__), "duckdb", str(document), workdir)
        stages = run_worker(Path(__file__), "stages", url, document_id, workdir)["seconds"]
    ours_rate = ours["rows"] / ours["wall_s"]
    duckdb_rate = baseline["rows"] / baseline["wall_s"]
    return {
        "rows": ours["rows"],
        "duplicate_keys": duplicates,
        "duckdb_rows": baseline["rows"],
        "gzip_mb": gzipped / 1e6,
        "sandbox_render_s": render_s,
        "wall_s": ours["wall_s"],
        "steps_s": ours["steps_s"],
        "rows_per_s": ours_rate,
        "duckdb_read_csv_s": baseline["wall_s"],
        "duckdb_rows_per_s": duckdb_rate,
        "ratio_to_duckdb": ours_rate / duckdb_rate,
        "stages_s": stages
        | {
            "dlt_normalize": ours["steps_s"]["normalize"],
            "duckdb_load": ours["steps_s"]["load"],
        },
        "peak_rss_mb": ours["peak_rss_mb"],
        "phases_rss_mb": ours["phases_rss_mb"],
        "phases_start_rss_mb": ours["phases_start_rss_mb"],
        "phases_start_files_mb": ours["phases_start_files_mb"],
    }


def backfill(orders: int, time_scale: float) -> dict[str, Any]:
    """Two years of two sellers' orders through the orders report, paced by the usage plan."""
    world = round(orders / NA_EU_SHARE)
    with (
        sandbox_process(
            "--orders",
            str(world),
            "--time-scale",
            str(time_scale),
            "--start",
            ORIGIN,
            "--origin",
            ORIGIN,
        ) as url,
        tempfile.TemporaryDirectory(prefix="bench-backfill-") as workdir,
    ):
        control(url, "POST", "world/freeze", {"at": ORIGIN})
        result = run_worker(Path(__file__), "load", url, workdir, "na,eu", "30")
        calls = control(url, "GET", "calls")
        reports = control(url, "GET", "reports")["reports"]
    sellers = {}
    for seller_id, operations in calls["sellers"].items():
        found = {k.split(".")[-1]: v for k, v in operations.items() if "reports_2021" in k}
        if not found:
            continue
        mine = [r for r in reports if r["sellerId"] == seller_id]  # in order of creation
        processing = mine[-1]["processingSeconds"]
        creates = found["createReport"]["calls"]
        documents = found["getReportDocument"]["calls"]
        bound = max(
            max(creates - CREATE_PLAN[1], 0) / CREATE_PLAN[0] + processing,
            max(documents - DOCUMENT_PLAN[1], 0) / DOCUMENT_PLAN[0],
        )
        first = min(v["first_at"] for v in found.values())
        simulated = max(v["last_at"] for v in found.values()) - first
        windows = creates
        sellers[seller_id] = {
            "windows": windows,
            "calls": {k: v["calls"] for k, v in found.items()},
            "calls_per_window": (creates + documents + found["getReports"]["calls"]) / windows,
            "polls_per_window": found["getReport"]["calls"] / windows,
            "simulated_s": simulated,
            "lower_bound_s": bound,
            "ratio": simulated / bound if bound else math.nan,
        }
    return {
        "orders": orders,
        "rows": result["rows"],
        "time_scale": time_scale,
        "wall_s": result["wall_s"],
        "sellers": sellers,
        "ratio": max(s["ratio"] for s in sellers.values()),
        "calls_per_window": max(s["calls_per_window"] for s in sellers.values()),
        "polls_per_window": max(s["polls_per_window"] for s in sellers.values()),
    }


def print_stages(figures: dict[str, Any]) -> None:
    """Each stage's seconds and share: the stages alone, then dlt's steps of the real run."""
    stages = figures["stages_s"]
    total = sum(stages.values())
    print(f"  stages, each alone (sum {total:.1f} s; the real run's extract overlaps them):")
    for stage, seconds in stages.items():
        print(f"    {stage:<18}{seconds:>7.2f} s {100 * seconds / total:>5.1f}%")
    print(f"    (the real run's extract, all of these: {figures['steps_s']['extract']:.2f} s)")
    load, baseline = figures["steps_s"]["load"], figures["duckdb_read_csv_s"]
    print(
        f"  dlt's load alone (DuckDB reading our parquet into a table) is {load / baseline:.0%}"
        f" of read_csv into a table: with extract free the ratio would be {baseline / load:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=4_000_000)
    parser.add_argument("--backfill-orders", type=int, default=100_000)
    parser.add_argument(
        "--backfill-scale",
        type=float,
        default=100,
        help="time scale of the backfill: the usage plan, not the client, is the limit",
    )
    parser.add_argument("--worker", nargs="+")
    args = parser.parse_args()
    if args.worker:
        mode, *rest = args.worker
        {"load": load_worker, "duckdb": duckdb_worker, "stages": stages_worker}[mode](*rest)
        return
    one = big_report(args.rows)
    print(
        f"\n== orders report, {one['rows']:,} rows ({one['gzip_mb']:.0f} MB gzip'd) ==\n"
        f"  ours: {one['wall_s']:.1f} s, {one['rows_per_s']:,.0f} rows/s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in one['steps_s'].items())}); "
        f"peak RSS {one['peak_rss_mb']:.0f} MB\n"
        f"  DuckDB read_csv of the same gzip'd file into a table: "
        f"{one['duckdb_read_csv_s']:.1f} s, {one['duckdb_rows_per_s']:,.0f} rows/s\n"
        f"  ratio {one['ratio_to_duckdb']:.2f} (target >= 0.8)"
    )
    print(f"  {phases_line(*(one[k] for k in PHASES_KEYS))}")
    print_stages(one)
    big = big_report(args.big_rows)
    print(
        f"\n== orders report, {big['rows']:,} rows ==\n"
        f"  ours: {big['wall_s']:.1f} s, {big['rows_per_s']:,.0f} rows/s; "
        f"peak RSS {big['peak_rss_mb']:.0f} MB (1M rows: {one['peak_rss_mb']:.0f} MB)\n"
        f"  DuckDB read_csv: {big['duckdb_read_csv_s']:.1f} s; ratio {big['ratio_to_duckdb']:.2f}"
    )
    print(f"  {phases_line(*(big[k] for k in PHASES_KEYS))}")
    print_stages(big)
    filled = backfill(args.backfill_orders, args.backfill_scale)
    print(f"\n== two-year backfill of {filled['orders']:,} orders ({filled['rows']:,} rows) ==")
    for seller_id, seller in filled["sellers"].items():
        print(
            f"  seller {seller_id}: {seller['windows']} windows, calls {seller['calls']}, "
            f"{seller['calls_per_window']:.2f} calls and {seller['polls_per_window']:.2f} polls "
            f"per window; simulated {seller['simulated_s']:,.0f} s / lower bound "
            f"{seller['lower_bound_s']:,.0f} s = ratio {seller['ratio']:.3f}"
        )
    targets = {
        "ratio_to_duckdb_ge_0_8": min(one["ratio_to_duckdb"], big["ratio_to_duckdb"]) >= 0.8,
        "peak_rss_le_400_mb": max(one["peak_rss_mb"], big["peak_rss_mb"]) <= 400,
        "peak_rss_flat": big["peak_rss_mb"] <= 1.25 * one["peak_rss_mb"],
        "every_document_row_once": all(
            r["rows"] == r["duckdb_rows"] and r["duplicate_keys"] == 0 for r in (one, big)
        ),
        "backfill_ratio_le_1_2": filled["ratio"] <= 1.2,
        "calls_per_window_le_4": filled["calls_per_window"] <= 4,
    }
    print("\ntargets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items()))
    finish({"report_1m": one, "report_4m": big, "backfill": filled, "targets_met": targets})


if __name__ == "__main__":
    main()
