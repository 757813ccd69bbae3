"""dbt build at agency size: a full build of the marts against an incremental build after 1% of
the orders changed (target: incremental <= 10% of full), on DuckDB.

The sandbox's default world is loaded once through `pipelines/run.py --no-dbt`, then its
order-keyed raw tables are copied with suffixed order ids until they hold `--orders` orders.
A change is what dlt's merge leaves: 1% of the orders (and their items) replaced by rows of a
new, completed load, some of them cancelled: the newest 1% (Amazon changes an order in the
weeks after it is placed), and again from the same full build, 1% spread across all history
(every day and SKU then has a changed order, so the marts of days and SKUs rebuild nearly
whole). Each build is `transform.build` in a process of its own, split into importing dbt,
parsing (run.py does both in its dbt process while the sources load), selecting (the warehouse
asked which sources have new rows, pipelines/dbt_selection.py, until the build counts its
nodes) and running the selected nodes, with the nodes and node seconds by kind and the slowest
models (`run_results.json`); a last incremental build with nothing new shows what any build costs
however little changed. The target compares the build after parsing, what run.py pays once its
loads are done; the whole process's ratio is printed beside it."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, finish

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


def change(path: Path, spread: bool) -> int:
    """1% of the orders reloaded by a new, completed load (recorded in `_dlt_loads`): every
    raw row of them replaced, a third of them cancelled since. Amazon updates an order in the
    weeks after it is placed, so the changed orders are the newest 1%; `spread` picks them
    across all history instead (every day and SKU then has a changed order)."""
    load_id = "bench-change"  # any new id: the cursor is the time the load completed
    with duckdb.connect(str(path)) as connection:
        (total,) = connection.execute("select count(*) from main.orders").fetchone()
        picked = (
            f"where hash(order_id) % {round(1 / CHANGED_SHARE)} = 0"
            if spread
            else f"order by purchased_at desc, order_id limit {round(total * CHANGED_SHARE)}"
        )
        connection.execute(
            f"create temp table picked as select seller_id, order_id from main.orders {picked}"
        )
        for schema in sorted({table.split(".")[0] for table in ORDER_TABLES}):
            connection.execute(
                f"insert into {schema}._dlt_loads (load_id, schema_name, status, inserted_at) "
                "values (?, ?, 0, now())",
                [load_id, schema],
            )
        for table, (column, *_) in ORDER_TABLES.items():
            connection.execute(
                f"update {table} set _dlt_load_id = ? "
                f"where (seller_id, {column}) in (select seller_id, order_id from picked)",
                [load_id],
            )
        cancelled = "_dlt_load_id = 'bench-change' and hash({column}) % 3 = 0"
        connection.execute(
            "update sp_api.orders set fulfillment__fulfillment_status = 'CANCELLED' "
            f"where {cancelled.format(column='order_id')}"
        )
        connection.execute(
            "update sp_api.report_order_items set order_status = 'Cancelled' "
            f"where {cancelled.format(column='amazon_order_id')}"
        )
        connection.execute("checkpoint")
        (changed,) = connection.execute("select count(*) from picked").fetchone()
    return changed


@dataclass(frozen=True)
class Build:
    wall_s: float  # the process: importing dbt, parsing, selecting, running nodes
    import_s: float  # importing dbt
    parse_s: float  # `transform.parse`: flags, profile, (partial) parse
    select_s: float  # `transform.build` up to dbt's build starting: which sources have new rows
    nodes_s: float  # dbt's build: selecting nodes, running them (hooks included), artifacts
    cpu_s: float  # its CPU seconds, every thread: steadier than wall time on a busy machine
    kinds: dict[str, tuple[int, float]]  # nodes and node seconds by kind
    slowest: list[tuple[str, float]]  # the slowest models

    @property
    def build_s(self) -> float:
        """The build after parsing: what run.py waits for once its loads are done."""
        return self.select_s + self.nodes_s

    @property
    def nodes(self) -> int:
        return sum(count for count, _ in self.kinds.values())

    def report(self, label: str) -> str:
        kinds = ", ".join(
            f"{kind} {count} in {seconds:.1f}"
            for kind, (count, seconds) in sorted(self.kinds.items())
        )
        models = ", ".join(f"{name} {seconds:.1f}" for name, seconds in self.slowest)
        return (
            f"  {label}: {self.wall_s:.1f} s = {self.import_s:.1f} importing dbt "
            f"+ {self.parse_s:.1f} parsing + {self.build_s:.1f} building ({self.select_s:.1f} "
            f"selecting + {self.nodes_s:.1f} running nodes; {self.cpu_s:.1f} CPU seconds)\n"
            f"    {self.nodes} nodes selected, and node seconds by kind (4 threads): "
            f"{kinds or 'none'}\n"
            f"    slowest models: {models or 'none'}"
        )


# a build in a process of its own, as run.py's dbt process makes it: import, parse, build; with
# the moments each ended and dbt's build sent its first event
BUILD = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from pipelines import transform
transform.dbt_runner()
imported = time.perf_counter()
target = transform.Target.of(Path(sys.argv[1]))
manifest = transform.parse(target)
parsed = time.perf_counter()
seen = {}
result = transform.build(
    target, full_refresh=sys.argv[2] == "full", manifest=manifest,
    on_event=lambda step: seen.setdefault(step.name, time.perf_counter()),
)
assert result.success, result.failures
print(json.dumps([started, imported, parsed, min(seen.values()), time.perf_counter()]))
"""


def timed_build(path: Path, full_refresh: bool) -> Build:
    """`transform.build` in its own process, split by its steps, dbt's events and artifacts."""
    mode = "full" if full_refresh else "incremental"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(path), mode], cwd=ROOT, check=True, capture_output=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    started, imported, parsed, building, ended = json.loads(done.stdout.decode().splitlines()[-1])
    results = json.loads((path.with_suffix(".dbt") / "target" / "run_results.json").read_text())
    kinds: dict[str, tuple[int, float]] = {}
    models = []
    for node in results["results"]:
        kind, *_, name = node["unique_id"].split(".")
        count, seconds = kinds.get(kind, (0, 0.0))
        kinds[kind] = (count + 1, seconds + node["execution_time"])
        if kind == "model":
            models.append((name, node["execution_time"]))
    slowest = sorted(models, key=lambda model: -model[1])[:5]
    return Build(
        ended - started,
        imported - started,
        parsed - imported,
        building - parsed,
        ended - building,
        cpu,
        kinds,
        slowest,
    )


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
        built = Path(folder) / "built.duckdb"
        shutil.copy(path, built)
        changed = change(path, spread=False)
        incremental = timed_build(path, full_refresh=False)
        unchanged = timed_build(path, full_refresh=False)
        shutil.copy(built, path)
        spread_changed = change(path, spread=True)
        spread = timed_build(path, full_refresh=False)
    ratio = incremental.build_s / full.build_s
    process_ratio = incremental.wall_s / full.wall_s
    print(f"== dbt build, DuckDB, {total:,} orders (load average {os.getloadavg()[0]:.1f}) ==")
    print(full.report("full refresh"))
    print(incremental.report(f"incremental after the newest {changed:,} orders changed"))
    print(unchanged.report("incremental with nothing new"))
    print(spread.report(f"incremental after {spread_changed:,} orders across all history changed"))
    print(
        f"incremental / full: {ratio:.1%} of the build after parsing (what run.py waits for), "
        f"{process_ratio:.1%} of the process (importing dbt and parsing too); spread across "
        f"history: {spread.build_s / full.build_s:.1%}, {spread.wall_s / full.wall_s:.1%}; "
        f"nothing new: {unchanged.build_s / full.build_s:.1%}, "
        f"{unchanged.wall_s / full.wall_s:.1%}"
    )
    targets = {
        "incremental_le_10pct_of_full": ratio <= 0.10,  # the build after parsing
        "incremental_process_le_10pct_of_full": process_ratio <= 0.10,
    }
    print(
        "targets (the first on the build after parsing, the second on the process): "
        + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items())
    )
    finish(
        {
            "orders": total,
            "changed_orders": changed,
            "full_s": round(full.wall_s, 2),
            "incremental_s": round(incremental.wall_s, 2),
            "unchanged_s": round(unchanged.wall_s, 2),
            "spread_incremental_s": round(spread.wall_s, 2),
            "full_build_s": round(full.build_s, 2),
            "incremental_build_s": round(incremental.build_s, 2),
            "unchanged_build_s": round(unchanged.build_s, 2),
            "spread_build_s": round(spread.build_s, 2),
            "incremental_select_s": round(incremental.select_s, 2),
            "full_nodes": full.nodes,
            "incremental_nodes": incremental.nodes,
            "unchanged_nodes": unchanged.nodes,
            "spread_nodes": spread.nodes,
            "full_cpu_s": round(full.cpu_s, 2),
            "incremental_cpu_s": round(incremental.cpu_s, 2),
            "unchanged_cpu_s": round(unchanged.cpu_s, 2),
            "import_parse_s": round(incremental.import_s + incremental.parse_s, 2),
            "ratio": round(ratio, 4),
            "process_ratio": round(process_ratio, 4),
            "targets_met": targets,
        }
    )


if __name__ == "__main__":
    main()
