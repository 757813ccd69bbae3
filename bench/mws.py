"""MWS orders benchmark: 50k orders with their items, against MWS's quotas.

    python bench/mws.py [--orders 50000] [--time-scale 100]

One run of the mws source (orders and items only, every order the sellers have) over a frozen
sandbox world in its own process. From the sandbox's call log: API calls per operation and
seller, and the simulated extraction time divided by the quota lower bound for those calls
(max quota used as burst, then the restore rate): the ratio, target <= 1.2. The last line
printed is one JSON object of every figure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import control, emit, finish, peak_rss_mb, run_worker, sandbox_process

ARCHIVE_SHARE = 0.1  # the sandbox adds this many archive orders per live order
QUOTAS = {  # (restore rate per second, max quota), shared by an operation and its ByNextToken
    "ListOrders": (1 / 60, 6),
    "ListOrderItems": (1 / 2, 30),
}


def worker(url: str, scale: str, workdir: str) -> None:
    """The measured process: one load of every seller's MWS orders into a fresh DuckDB file."""
    import dlt

    from sources.common.memory import lean_process_memory
    from sources.mws import mws_source

    lean_process_memory()
    target = control(url, "GET", "accounts")["mws"]
    pipeline = dlt.pipeline(
        pipeline_name="bench_mws",
        destination=dlt.destinations.duckdb(f"{workdir}/bench.duckdb"),
        dataset_name="mws",
        pipelines_dir=f"{workdir}/pipelines",
    )
    source = mws_source(
        accounts=target["accounts"],
        access_key_id=target["access_key_id"],
        secret_key=target["secret_key"],
        endpoint=url,
        end_date="now",
        reports=False,
        quota_scale=float(scale),
    )
    started = time.perf_counter()
    pipeline.run(source, loader_file_format="parquet")
    wall = time.perf_counter() - started
    rows = pipeline.last_trace.last_normalize_info.row_counts
    emit(
        {
            "wall_s": wall,
            "orders": rows.get("orders", 0),
            "order_items": rows.get("order_items", 0),
            "peak_rss_mb": peak_rss_mb(),
        }
    )


def measure(url: str, time_scale: float) -> dict[str, Any]:
    control(url, "POST", "reset")
    control(url, "POST", "world/freeze", {"at": "now"})
    control(url, "POST", "clock/scale", {"time_scale": time_scale})
    with tempfile.TemporaryDirectory() as workdir:
        result = run_worker(Path(__file__), url, str(time_scale), workdir)
    calls = control(url, "GET", "calls")
    sellers = {}
    for seller_id, operations in calls["sellers"].items():
        spans = {}
        for quota, (rate, burst) in QUOTAS.items():
            used = [
                operations[f"mws.{name}"]
                for name in (quota, f"{quota}ByNextToken")
                if f"mws.{name}" in operations
            ]
            if not used:
                continue
            count = sum(e["calls"] - e["throttled"] for e in used)
            first = min(e["first_at"] for e in used)
            last = max(e["last_at"] for e in used)
            spans[quota] = (last - first, max(count - burst, 0) / rate, count)
        span = max(s for s, _, _ in spans.values())
        bound = max(b for _, b, _ in spans.values())
        sellers[seller_id] = {
            "calls": {k.removeprefix("mws."): v["calls"] for k, v in operations.items()},
            "simulated_s": span,
            "lower_bound_s": bound,
            "ratio": span / bound if bound else None,
        }
    return {
        "time_scale": time_scale,
        "orders": result["orders"],
        "order_items": result["order_items"],
        "calls": {k.removeprefix("mws."): v["calls"] for k, v in calls["operations"].items()},
        "throttled": calls["throttled"],
        "sellers": sellers,
        "ratio": max((s["ratio"] or 0) for s in sellers.values()),
        "wall_s": result["wall_s"],
        "orders_per_s": result["orders"] / result["wall_s"],
        "peak_rss_mb": result["peak_rss_mb"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=50_000, help="MWS orders to load")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=100,
        help="a scale where the quotas, not the client, are the limit (ListOrderItems: 0.5/s "
        "a seller, three sellers: 150 calls/s at 100)",
    )
    parser.add_argument("--worker", nargs=3, metavar=("URL", "SCALE", "WORKDIR"))
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    seeded = round(args.orders / (1 + ARCHIVE_SHARE))
    with sandbox_process("--orders", str(seeded)) as url:
        figures = measure(url, args.time_scale)
    print(f"== MWS orders and items, time scale {figures['time_scale']:g} ==")
    for name, count in sorted(figures["calls"].items()):
        print(f"  {name:<36}{count:>10,}")
    print(f"  {'throttled':<36}{figures['throttled']:>10,}")
    print(f"  orders {figures['orders']:,}, items {figures['order_items']:,}")
    for seller_id, seller in figures["sellers"].items():
        print(
            f"  seller {seller_id}: simulated {seller['simulated_s']:,.0f} s / lower bound "
            f"{seller['lower_bound_s']:,.0f} s = ratio {seller['ratio']:.3f}"
        )
    print(
        f"  wall {figures['wall_s']:.1f} s; {figures['orders_per_s']:,.0f} orders/s; "
        f"peak RSS {figures['peak_rss_mb']:.0f} MB"
    )
    targets = {"ratio_le_1_2": figures["ratio"] <= 1.2}
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items()))
    finish({"mws": figures, "targets_met": targets})


if __name__ == "__main__":
    main()
