"""Catalog refresh benchmark: 10,000 ASINs of one marketplace, described 20 per call.

    python bench/catalog.py [--asins 10000] [--time-scale 10]

A sandbox whose Far East seller lists `--asins` products in Japan; one worker process loads
its listings and catalog through the real source, pipeline and DuckDB file, then loads again
(nothing is old yet). Printed: calls per operation against ceil(ASINs / 20), throttles, the
simulated time of the searchCatalogItems calls against the usage-plan lower bound for that
many calls (the ratio), wall time and peak RSS. The last line is one JSON object of every
figure.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import control, emit, finish, peak_rss_mb, run_worker, sandbox_process

SEARCH = "catalogItems_2022-04-01.searchCatalogItems"
SINGLE = "catalogItems_2022-04-01.getCatalogItem"
PLAN = (2.0, 2)  # searchCatalogItems: rate, burst (catalogItems_2022-04-01 model)
FE_SHARE = 0.4  # the Far East seller lists 40% of the catalog


def worker(url: str, workdir: str) -> None:
    """The measured process: listings then catalog of the Far East seller, loaded twice."""
    import dlt

    from sources.common.memory import lean_process_memory
    from sources.common.stats import ApiStats
    from sources.sp_api import sp_api_source

    lean_process_memory()
    target = control(url, "GET", "accounts")
    accounts = [a for a in target["accounts"] if a["region"] == "fe"]
    pipeline = dlt.pipeline(
        pipeline_name="bench_catalog",
        destination=dlt.destinations.duckdb(f"{workdir}/bench.duckdb"),
        dataset_name="sp_api",
        pipelines_dir=f"{workdir}/pipelines",
    )
    runs = []
    for _ in range(2):
        stats = ApiStats()
        source = sp_api_source(
            accounts=accounts,
            client_id=target["lwa"]["client_id"],
            client_secret=target["lwa"]["client_secret"],
            lwa_token_url=target["lwa"]["token_url"],
            endpoint=url,
            resources=["catalog_items"],
            stats=stats,
        )
        started = time.perf_counter()
        pipeline.run(source, loader_file_format="parquet")
        rows = pipeline.last_trace.last_normalize_info.row_counts
        runs.append(
            {
                "wall_s": time.perf_counter() - started,
                "catalog_rows": rows.get("catalog_items", 0),
                "calls": {k: v.calls for k, v in stats.snapshot().items()},
                "errors": {k: v.errors for k, v in stats.snapshot().items()},
                "throttled": sum(v.throttled for v in stats.snapshot().values()),
            }
        )
    emit({"runs": runs, "peak_rss_mb": peak_rss_mb()})


def measure(url: str, asins: int, time_scale: float) -> dict[str, Any]:
    control(url, "POST", "reset")
    control(url, "POST", "world/freeze", {"at": "now"})
    control(url, "POST", "clock/scale", {"time_scale": time_scale})
    with tempfile.TemporaryDirectory() as workdir:
        result = run_worker(Path(__file__), url, workdir)
    log = control(url, "GET", "calls?detail=1")
    searches = sorted(c["at"] for c in log["calls"] if c["operation"] == SEARCH)
    first_run = result["runs"][0]
    retries = first_run["errors"].get(SEARCH, 0) + first_run["errors"].get(SINGLE, 0)
    # requests that carried ASINs: a throttled request is sent again and counted once here
    calls = first_run["calls"].get(SEARCH, 0) + first_run["calls"].get(SINGLE, 0) - retries
    simulated = searches[-1] - searches[0] if searches else 0.0
    bound = max(calls - PLAN[1], 0) / PLAN[0]  # throttled requests take no token
    return {
        "asins": asins,
        "time_scale": time_scale,
        "catalog_rows": first_run["catalog_rows"],
        "calls": first_run["calls"],
        "catalog_calls": calls,
        "catalog_retries": retries,
        "catalog_calls_target": math.ceil(asins / 20),
        "throttled": first_run["throttled"],
        "simulated_s": simulated,
        "lower_bound_s": bound,
        "ratio": simulated / bound if bound else None,
        "wall_s": first_run["wall_s"],
        "rerun_catalog_calls": result["runs"][1]["calls"].get(SEARCH, 0)
        + result["runs"][1]["calls"].get(SINGLE, 0),
        "rerun_wall_s": result["runs"][1]["wall_s"],
        "peak_rss_mb": result["peak_rss_mb"],
    }


def report(figures: dict[str, Any]) -> None:
    print(
        f"\n== catalog refresh: {figures['asins']:,} ASINs, time scale {figures['time_scale']:g} =="
    )
    for name, count in sorted(figures["calls"].items()):
        print(f"  {name:<48}{count:>8,}")
    print(f"  {'throttled':<48}{figures['throttled']:>8,}")
    print(
        f"  catalog calls {figures['catalog_calls']:,} (target ceil(N/20) = "
        f"{figures['catalog_calls_target']:,}) plus {figures['catalog_retries']} throttled and "
        f"sent again; rows {figures['catalog_rows']:,}"
    )
    print(
        f"  simulated {figures['simulated_s']:,.1f} s / lower bound "
        f"{figures['lower_bound_s']:,.1f} s = ratio {figures['ratio']:.3f}"
    )
    print(
        f"  wall {figures['wall_s']:.1f} s; rerun within the age limit: "
        f"{figures['rerun_catalog_calls']} catalog calls, {figures['rerun_wall_s']:.1f} s; "
        f"peak RSS {figures['peak_rss_mb']:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--asins", type=int, default=10_000, help="ASINs the FE seller lists")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=10,
        help="a scale where the usage plan (2 calls/s), not the client, is the limit",
    )
    parser.add_argument("--worker", nargs=2, metavar=("URL", "WORKDIR"))
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    products = math.ceil(args.asins / FE_SHARE)
    with sandbox_process("--orders", "2000", "--products", str(products)) as url:
        figures = measure(url, args.asins, args.time_scale)
    report(figures)
    targets = {
        "catalog_calls_le_ceil_n_20": figures["catalog_calls"] <= figures["catalog_calls_target"],
        "ratio_le_1_10": figures["ratio"] is not None and figures["ratio"] <= 1.10,
        "rerun_makes_no_catalog_calls": figures["rerun_catalog_calls"] == 0,
    }
    print("\ntargets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items()))
    finish({"catalog": figures, "targets_met": targets})


if __name__ == "__main__":
    main()
