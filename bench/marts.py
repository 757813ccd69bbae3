"""dbt build at agency size: a full build of the marts against an incremental build after 1% of
the orders changed (target: incremental <= 10% of full), on DuckDB.

The sandbox's default world is loaded once through `pipelines/run.py --no-dbt`, then its
order-keyed raw tables are copied with suffixed order ids until they hold `--orders` orders.
A change is what dlt's merge leaves: 1% of the orders (and their items) replaced by rows of a
new, completed load, some of them cancelled. Each build prints its split (starting dbt, its nodes by
kind, its slowest models, from dbt's `run_results.json`); a last incremental build with nothing
new shows what any build costs however little changed."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, emit

# raw table -> its order id column and any other key column a copy must change
ORDER_TABLES = {
    "sp_api.orders": ("order_id",),
    "sp_api.order_items": ("order_id",),
    "sp_api.report_order_items": ("amazon_order_id",),
    "sp_api.financial_event_amounts": ("amazon_order_id", "event_id"),
    "sp_api.report_fba_returns": ("order_id",),
    "mws.orders": ("amazon_order_id",),
    "mws.order_items": ("amazon_order_id",),
    "aim.order_items": ("order_id",),
}
CHANGED_SHARE = 0.01


def orders(connection: duckdb.DuckDBPyConnection) -> int:
    return connection.execute(
        "select count(*) from (select seller_id, order_id from sp_api.orders union "
        "select seller_id, amazon_order_id from sp_api.report_order_items union "
        "select seller_id, amazon_order_id from mws.orders union "
        "select seller_id, order_id from aim.order_items)"
    ).fetchone()[0]


def scale(path: Path, target: int) -> int:
    """Copies of every order-keyed raw row under new order ids, up to `target` orders."""
    with duckdb.connect(str(path)) as connection:
        copies = -(-target // orders(connection))
        for table, columns in ORDER_TABLES.items():
            renamed = ", ".join(f"raw.{c} || '~' || copy as {c}" for c in columns)
            connection.execute(
                f"insert into {table} select raw.* replace ({renamed}) "
                f"from {table} as raw, (select range as copy from range(1, {copies}))"
            )
        return orders(connection)


def change(path: Path) -> int:
    """1% of the orders reloaded by a new, completed load (recorded in `_dlt_loads`): every
    raw row of them replaced, a third of them cancelled since."""
    load_id = "bench-change"  # any new id: the cursor is the time the load completed
    picked = f"hash({{column}}) % {round(1 / CHANGED_SHARE)} = 0"
    with duckdb.connect(str(path)) as connection:
        for schema in sorted({table.split(".")[0] for table in ORDER_TABLES}):
            connection.execute(
                f"insert into {schema}._dlt_loads (load_id, schema_name, status, inserted_at) "
                "values (?, ?, 0, now())",
                [load_id, schema],
            )
        for table, (column, *_) in ORDER_TABLES.items():
            connection.execute(
                f"update {table} set _dlt_load_id = ? where {picked.format(column=column)}",
                [load_id],
            )
        connection.execute(
            "update sp_api.orders set fulfillment__fulfillment_status = 'CANCELLED' "
            f"where {picked.format(column='order_id')} and hash(order_id) % 3 = 0"
        )
        connection.execute(
            "update sp_api.report_order_items set order_status = 'Cancelled' "
            f"where {picked.format(column='amazon_order_id')} and hash(amazon_order_id) % 3 = 0"
        )
        connection.execute("checkpoint")
        (changed,) = connection.execute(
            "select count(*) from (select distinct seller_id, order_id from ("
            + " union all ".join(
                f"select seller_id, {column} as order_id from {table} "
                "where _dlt_load_id = 'bench-change'"
                for table, (column, *_) in ORDER_TABLES.items()
            )
            + "))"
        ).fetchone()
    return changed


@dataclass(frozen=True)
class Build:
    wall_s: float  # the process, as run.py's build: starting Python and dbt, parsing, running
    dbt_s: float  # dbt's own elapsed time running the nodes
    kinds: dict[str, float]  # node seconds by kind (model, test, unit_test, seed)
    slowest: list[tuple[str, float]]  # the slowest models

    def report(self, label: str) -> str:
        kinds = ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in sorted(self.kinds.items()))
        models = ", ".join(f"{name} {seconds:.1f}" for name, seconds in self.slowest)
        return (
            f"  {label}: {self.wall_s:.1f} s ({self.wall_s - self.dbt_s:.1f} starting dbt, "
            f"{self.dbt_s:.1f} running nodes; node seconds: {kinds})\n    slowest models: {models}"
        )


def timed_build(path: Path, full_refresh: bool) -> Build:
    """`transform.build` in its own process, as `run.py` runs it, with dbt's split of it."""
    code = (
        "import sys; from pathlib import Path; from pipelines import transform; "
        f"r = transform.build(Path({str(path)!r}), full_refresh={full_refresh}); "
        "sys.exit(0 if r.success else print(r.failures) or 1)"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    wall = time.perf_counter() - started
    results = json.loads((path.with_suffix(".dbt") / "target" / "run_results.json").read_text())
    kinds: dict[str, float] = {}
    models = []
    for node in results["results"]:
        kind, *_, name = node["unique_id"].split(".")
        kinds[kind] = kinds.get(kind, 0.0) + node["execution_time"]
        if kind == "model":
            models.append((name, node["execution_time"]))
    slowest = sorted(models, key=lambda model: -model[1])[:5]
    return Build(wall, results["elapsed_time"], kinds, slowest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-marts-") as folder:
        path = Path(folder) / "amazon.duckdb"
        subprocess.run(
            [sys.executable, "pipelines/run.py", "--duckdb", str(path), "--no-dbt"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        total = scale(path, args.orders)
        timed_build(path, full_refresh=True)  # dbt parses the project once
        full = timed_build(path, full_refresh=True)
        changed = change(path)
        incremental = timed_build(path, full_refresh=False)
        unchanged = timed_build(path, full_refresh=False)
    ratio = incremental.wall_s / full.wall_s
    print(f"== dbt build, DuckDB, {total:,} orders (load average {os.getloadavg()[0]:.1f}) ==")
    print(full.report("full refresh"))
    print(incremental.report(f"incremental after {changed:,} orders changed ({ratio:.1%})"))
    print(unchanged.report("incremental with nothing new"))
    targets = {"incremental_le_10pct_of_full": ratio <= 0.10}
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items()))
    emit(
        {
            "orders": total,
            "changed_orders": changed,
            "full_s": round(full.wall_s, 2),
            "incremental_s": round(incremental.wall_s, 2),
            "unchanged_s": round(unchanged.wall_s, 2),
            "full_dbt_s": round(full.dbt_s, 2),
            "incremental_dbt_s": round(incremental.dbt_s, 2),
            "ratio": round(ratio, 4),
            "targets_met": targets,
        }
    )


if __name__ == "__main__":
    main()
