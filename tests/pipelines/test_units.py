"""Sellers as units of work through `run.py`: in parallel as in series, one seller alone, one
seller failing alone, and a warehouse of the one-pipeline-per-source layout taken over."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dlt
import duckdb
import pendulum

from pipelines.migration import prune
from pipelines.naming import pipeline_name, slug, staging_layout
from sources.sp_api import sp_api_source
from sources.sp_api.report_catalog import ORDERS as ORDERS_REPORT
from sources.sp_api.settings import DEFAULT_LAG_SECONDS
from tests.battery import live, runs
from tests.battery.fingerprint import fingerprint, unfinished_loads
from tests.conftest import START_DATE
from tests.loading import sp_api_kwargs

A_DAY = 86400.0
BACKFILL = ("orders", "order_items", "reports")  # the orders report appends its windows
BACKFILL_ENV = {
    "SOURCES__SP_API__RESOURCES": json.dumps(BACKFILL),
    "SOURCES__SP_API__REPORT_TYPES": json.dumps([ORDERS_REPORT]),
}


def states(warehouse: Path) -> dict[str, set[str]]:
    """Per pipeline, the version hashes of the states it stored in the warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select pipeline_name, version_hash from sp_api._dlt_pipeline_state"
        ).fetchall()
    found: dict[str, set[str]] = {}
    for name, version in rows:
        found.setdefault(name, set()).add(version)
    return found


def seller_rows(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return dict(
            connection.execute(
                "select seller_id, count(*) from sp_api.orders group by 1"
            ).fetchall()
        )


def unit_name(account: dict, workdir: Path, name: str = "warehouse") -> str:
    where = str(runs.warehouse(workdir, name).resolve())
    return pipeline_name("sandbox", "sp_api", where, account["name"])


def test_two_sellers_in_parallel_land_as_in_series_and_a_third_starts_its_own_history(
    sandbox_server, accounts, tmp_path
) -> None:
    na, eu, fe = accounts["accounts"]
    chosen = f"{na['name']},{eu['seller_id']}"  # a name or a seller id

    runs.run_ok(tmp_path, sandbox_server, "--accounts", chosen, "--workers", "2", name="parallel")
    runs.run_ok(tmp_path, sandbox_server, "--accounts", chosen, name="serial")

    parallel = fingerprint(runs.warehouse(tmp_path, "parallel"), runs.DATASET)
    assert parallel == fingerprint(runs.warehouse(tmp_path, "serial"), runs.DATASET)
    assert set(seller_rows(runs.warehouse(tmp_path, "parallel"))) == {
        na["seller_id"],
        eu["seller_id"],
    }
    folders = {p.name for p in runs.pipelines_folder(tmp_path, "parallel").iterdir()}
    assert folders == {unit_name(a, tmp_path, "parallel") for a in (na, eu)}
    runs.take_searches(sandbox_server)

    runs.run_ok(tmp_path, sandbox_server, "--workers", "3", name="parallel")  # fe joins

    searched = runs.take_searches(sandbox_server)
    assert min(searched[fe["seller_id"]]) == f"{START_DATE}T00:00:00Z"  # its history starts
    for account in (na, eu):  # the others go on from where they were
        assert min(searched[account["seller_id"]]) > f"{START_DATE}T00:00:00Z"


def test_one_seller_loads_alone_and_leaves_the_others_as_they_were(
    sandbox_server, accounts, tmp_path
) -> None:
    na, eu, fe = accounts["accounts"]
    warehouse = runs.warehouse(tmp_path)
    runs.run_ok(tmp_path, sandbox_server, "--workers", "3")
    before, rows = states(warehouse), seller_rows(warehouse)
    local = {
        a["seller_id"]: (runs.pipelines_folder(tmp_path) / unit_name(a, tmp_path) / "state.json")
        for a in (eu, fe)
    }
    files = {seller: path.read_bytes() for seller, path in local.items()}
    runs.advance(sandbox_server, A_DAY)
    runs.take_searches(sandbox_server)

    runs.run_ok(tmp_path, sandbox_server, "--accounts", na["name"])

    assert set(runs.take_searches(sandbox_server)) == {na["seller_id"]}
    after = states(warehouse)
    assert len(after[unit_name(na, tmp_path)]) == len(before[unit_name(na, tmp_path)]) + 1
    for account in (eu, fe):
        assert after[unit_name(account, tmp_path)] == before[unit_name(account, tmp_path)]
        assert seller_rows(warehouse)[account["seller_id"]] == rows[account["seller_id"]]
    assert {seller: path.read_bytes() for seller, path in local.items()} == files
    assert seller_rows(warehouse)[na["seller_id"]] > rows[na["seller_id"]]  # a day of news


def test_a_revoked_seller_fails_alone_while_the_others_load(
    sandbox_server, accounts, tmp_path
) -> None:
    na, eu, fe = accounts["accounts"]
    secrets = live.credentials(accounts)
    secrets["sp_api"]["accounts"][1]["refresh_token"] = (
        "Atzr|revoked-units-refresh-token"  # pragma: allowlist secret
    )
    project = live.project(tmp_path, secrets, live.settings(accounts))

    result = project.run("--no-dbt", "--workers", "3", sources=("sp_api",))

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, errors
    assert f"sources.sp_api.accounts[{eu['name']}].refresh_token" in errors[0]
    assert set(seller_rows(project.warehouse)) == {na["seller_id"], fe["seller_id"]}
    for account in (na, fe):
        marks = project.state("sp_api", account["name"])["sources"]["sp_api"]["resources"]
        assert marks["order_pages"]["high_water"][account["seller_id"]]
    assert not list(project.pipelines.glob(f"*{slug(eu['name'])}*/load/normalized/*"))


def legacy_run(workdir: Path, accounts: dict, name: str) -> dlt.Pipeline:
    """One run of the layout before sellers were units: one pipeline per source (`name`, as
    `run.py` named it: `sandbox_sp_api_warehouse_<hash>`) keeping every seller's positions
    (orders, and the orders report's backfill, which appends)."""
    pipeline = dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(str(runs.warehouse(workdir))),
        dataset_name=runs.DATASET,
        pipelines_dir=str(runs.pipelines_folder(workdir)),
    )
    options = sp_api_kwargs(accounts, resources=BACKFILL, report_types=[ORDERS_REPORT])
    pipeline.run(sp_api_source(**options), loader_file_format="parquet")
    return pipeline


def test_a_warehouse_of_one_pipeline_per_source_is_taken_over_without_a_gap_or_a_double(
    sandbox_server, accounts, tmp_path
) -> None:
    """A warehouse of today's layout, a day on: the units' run ends where today's layout's
    next run ends (the oracle: a copy of the warehouse and its folder, run on as today)."""
    taken_over, continued = tmp_path / "taken-over", tmp_path / "continued"
    name = pipeline_name("sandbox", "sp_api", str(runs.warehouse(taken_over).resolve()))
    legacy = legacy_run(taken_over, accounts, name)
    high_water = legacy.state["sources"]["sp_api"]["resources"]["order_pages"]["high_water"]
    shutil.copytree(taken_over, continued)
    runs.advance(sandbox_server, A_DAY)
    legacy_run(continued, accounts, name)  # the copy's state knows its pipeline by this name
    runs.take_searches(sandbox_server)

    taken = runs.run_ok(taken_over, sandbox_server, "--workers", "2", **BACKFILL_ENV)

    assert taken.stderr.count(f"state adopted from {name}") == len(accounts["accounts"])
    lag = pendulum.duration(seconds=DEFAULT_LAG_SECONDS)
    assert runs.take_searches(sandbox_server) == {  # from where each seller was: no re-reading
        seller: {(pendulum.parse(mark) - lag).strftime("%Y-%m-%dT%H:%M:%SZ")}
        for seller, mark in high_water.items()
    }
    found = fingerprint(runs.warehouse(taken_over), runs.DATASET)
    assert found == fingerprint(runs.warehouse(continued), runs.DATASET)
    assert found["report_order_items"].rows > 1000
    assert not unfinished_loads(runs.warehouse(taken_over), runs.DATASET)
    for account in accounts["accounts"]:  # each unit keeps its own seller's positions only
        folder = runs.pipelines_folder(taken_over) / unit_name(account, taken_over)
        state = json.loads((folder / "state.json").read_text())
        marks = state["sources"]["sp_api"]["resources"]["order_pages"]["high_water"]
        assert set(marks) == {account["seller_id"]}
    runs.run_ok(taken_over, sandbox_server, "--workers", "2", **BACKFILL_ENV)
    assert fingerprint(runs.warehouse(taken_over), runs.DATASET) == found


def test_pruning_keeps_a_sellers_own_positions_and_what_no_seller_owns() -> None:
    state = {
        "sp_api": {
            "resources": {
                "order_pages": {"high_water": {"A1": "t1", "B2": "t2"}},
                "order_metrics": {"through": {"A1:US": "d1", "B2:DE": "d2"}},
                "fetched": ["A1:r1", "B2:r2", "unowned"],
            },
            "order_history_split": {"B2": "s2"},
        }
    }
    assert prune(state, frozenset({"B2"})) == {
        "sp_api": {
            "resources": {
                "order_pages": {"high_water": {"A1": "t1"}},
                "order_metrics": {"through": {"A1:US": "d1"}},
                "fetched": ["A1:r1", "unowned"],
            },
            "order_history_split": {},
        }
    }


def test_pipeline_names_tell_sources_accounts_and_warehouses_apart() -> None:
    names = {
        pipeline_name(mode, source, warehouse, account)
        for mode in ("sandbox", "live")
        for source in ("sp_api", "mws")
        for warehouse in ("/a/amazon.duckdb", "/a/agency.duckdb")
        for account in (None, "Shop One", "Shop Two")
    }
    assert len(names) == 2 * 2 * 2 * 3
    assert pipeline_name("live", "sp_api", "/x/amazon.duckdb", "Shop One").startswith(
        "amazon_sp_api__shop_one__amazon_"
    )
    # a warehouse keeps the names its state records, each unit its own
    known = ["amazon_sp_api__shop_one__old_abc123", "amazon_sp_api__shop_one_co__old_abc123"]
    for account, name in zip(("Shop One", "Shop One Co"), known, strict=True):
        assert pipeline_name("live", "sp_api", "/new.duckdb", account, known) == name
    assert pipeline_name("live", "sp_api", "/new.duckdb", None, known).startswith(
        "amazon_sp_api_new_"
    )
    assert len(staging_layout("x" * 200) % "sp_api") <= 63  # PostgreSQL's identifiers
