"""Amzpecty end to end: sandbox queues -> HTTPS callbacks -> receiver store -> DuckDB.

Whatever happens to the callbacks (lost, duplicated, reordered, refused), every rid ends
loaded exactly once. The battery (`tests/battery/test_12b`, `test_24` to `test_27`) adds lost
Add answers, stale callbacks, a killed receiver and abuse of it.
"""

from __future__ import annotations

import pytest
import requests

from pipelines import receiver
from pipelines.duckdb_file import DuckDbFile
from pipelines.warehouse import Warehouse
from tests.callbacks import (
    assert_every_rid_once,
    child_asins,
    control,
    load_amzpecty,
    make_tls,
    rows,
    sandbox_requests,
    sandbox_state,
)
from tests.e2e.runner import run_py
from tests.loading import load_sp_api

pytestmark = pytest.mark.e2e

FEW = 12  # ASINs per test: enough to lose, duplicate and reorder some


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trusted(sandbox_server, tls):
    control(sandbox_server.url, "account", {"ca_file": tls.cafile})
    return sandbox_server


def test_a_load_takes_every_result_once_and_a_rerun_adds_nothing(
    trusted, accounts, tls, tmp_path
) -> None:
    load_sp_api(accounts, tmp_path)  # the warehouse's ASINs are asked for too
    store = tmp_path / "store.sqlite"
    upc = accounts["amzpecty"]["sample_product_ids"][:1]
    secret = accounts["amzpecty"]["secret_key"]
    warehouse = Warehouse.of_file(DuckDbFile(tmp_path / "warehouse.duckdb"))
    with receiver.start(store, secret, tls.certfile, tls.keyfile) as running:
        kwargs = {
            "callback_url": running.url,
            "warehouse": lambda: warehouse.dataset("sp_api"),
            "product_ids": upc,
        }
        first = load_amzpecty(accounts, tmp_path, trusted.url, **kwargs)
        assert_every_rid_once(trusted.url, first.duckdb_path)
        stats = first.stats.snapshot()
        asked = rows(
            first.duckdb_path,
            "select query, domain from amzpecty.amzpecty_requests where queue = 'asinsnapshot'",
        )
        assert stats["amzpecty.add"].calls == len(asked) == len(set(asked))  # each ASIN once
        sold = rows(
            first.duckdb_path,
            "select distinct product__asin, marketplace_id from sp_api.order_items",
        )
        domains = {
            "ATVPDKIKX0DER": "www.amazon.com",
            "A2EUQ1WTGCTBG2": "www.amazon.ca",
            "A1F83G8C2ARO7P": "www.amazon.co.uk",
            "A1PA6795UKMFR9": "www.amazon.de",
            "A1VC38T7YXB528": "www.amazon.co.jp",
        }
        parents = {
            r[0]
            for r in rows(
                first.duckdb_path, "select distinct parent_asin from amzpecty.asin_snapshots"
            )
        }
        assert {(a, domains[m]) for a, m in sold if a not in parents} <= set(asked)
        assert stats["amzpecty.requestvariants"].calls > 0  # parents named by the snapshots
        matches = rows(first.duckdb_path, "select product_id, asin from amzpecty.asin_matches")
        assert [m[0] for m in matches] == upc
        second = load_amzpecty(accounts, tmp_path, trusted.url, **kwargs)
    assert not any(op.startswith("amzpecty.") for op in second.stats.snapshot())
    assert_every_rid_once(trusted.url, second.duckdb_path)
    assert not list(first.failures) and not list(second.failures)


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "drop", "count": 5},
        {"kind": "duplicate", "count": 6},
        {"kind": "reorder", "count": 8},
        # ten days of pace: far beyond what a run takes at the time scale, so they come late
        {"kind": "delay", "count": 4, "seconds": 864_000},
    ],
    ids=["lost", "duplicated", "reordered", "late"],
)
def test_faulty_callbacks_still_load_every_rid_once(
    trusted, accounts, tls, tmp_path, fault
) -> None:
    control(trusted.url, "callbacks/faults", fault)
    secret = accounts["amzpecty"]["secret_key"]
    with receiver.start(tmp_path / "store.sqlite", secret, tls.certfile, tls.keyfile) as running:
        load = load_amzpecty(
            accounts,
            tmp_path,
            trusted.url,
            callback_url=running.url,
            asins=child_asins(trusted, FEW),
        )
        if fault["kind"] == "delay":  # the late ones arrive after they were polled
            control(trusted.url, "advance", {"seconds": 865_000})
            load = load_amzpecty(accounts, tmp_path, trusted.url, callback_url=running.url)
    assert_every_rid_once(trusted.url, load.duckdb_path)
    via = dict(
        rows(
            load.duckdb_path,
            "select received_via, count(*) from amzpecty.asin_snapshots group by 1",
        )
    )
    polled = {"drop": 5, "duplicate": 0, "reorder": 0, "delay": 4}[fault["kind"]]
    assert via.get("poll", 0) == polled and via["callback"] == FEW - polled


def test_adds_stop_before_the_credit_floor(trusted, accounts, tls, tmp_path) -> None:
    control(trusted.url, "account", {"credits": 110})
    # real speed: nothing is processed (and paid) while the Adds go out, so the count is exact
    requests.post(f"{trusted.url}/_sandbox/clock/scale", json={"time_scale": 1}, timeout=10)
    secret = accounts["amzpecty"]["secret_key"]
    with receiver.start(tmp_path / "store.sqlite", secret, tls.certfile, tls.keyfile) as running:
        load = load_amzpecty(
            accounts,
            tmp_path,
            trusted.url,
            callback_url=running.url,
            asins=child_asins(trusted, FEW),
            credit_floor=100,
        )
    assert len(sandbox_requests(trusted.url)) == 10  # then 110 - 10 outstanding - 1 < 100
    assert control(trusted.url, "account")["credits"] == 100
    assert_every_rid_once(trusted.url, load.duckdb_path)
    assert not list(load.failures)  # a floor is a plan, not a failure


def test_callbacks_with_a_wrong_secret_are_refused_and_the_rids_polled(
    trusted, accounts, tls, tmp_path
) -> None:
    with receiver.start(
        tmp_path / "store.sqlite", "not-the-key-9", tls.certfile, tls.keyfile
    ) as running:
        load = load_amzpecty(
            accounts,
            tmp_path,
            trusted.url,
            callback_url=running.url,
            asins=child_asins(trusted, FEW),
        )
    assert_every_rid_once(trusted.url, load.duckdb_path)
    via = rows(load.duckdb_path, "select distinct received_via from amzpecty.asin_snapshots")
    assert via == [("poll",)]
    state = sandbox_state(trusted.url, "callbacks")
    assert state["delivered"] == 0 and state["failed"] >= FEW


def test_run_py_loads_amzpecty_after_sp_api_and_builds_the_price_history(tmp_path) -> None:
    result = run_py(tmp_path, "--orders", "1500", "--sources", "sp_api,amzpecty")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "amzpecty.asin_snapshots" in result.stdout and "dbt build: ok" in result.stdout
    path = tmp_path / "warehouse.duckdb"
    history = rows(
        path,
        "select count(*), count(distinct rid), count(our_unit_price), "
        "count(*) filter (where buybox_price > 0), count(*) filter (where "
        "our_price_source = 'listing') from main.asin_price_history "
        "where source_system = 'amzpecty'",
    )[0]
    raw = rows(path, "select count(*) from amzpecty.asin_snapshots")[0][0]
    # every snapshot is of an ASIN we list or sold, so each has our price; most from listings
    assert history[0] == history[1] == history[2] == history[3] == raw > 50
    assert history[4] > raw / 2
    assert (tmp_path / "warehouse.amzpecty.sqlite").exists()
    rerun = run_py(tmp_path, "--orders", "1500", "--sources", "sp_api,amzpecty", "--no-dbt")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "amzpecty.add" not in rerun.stdout  # no second Add of a fresh ASIN
    assert rows(path, "select count(*) from amzpecty.asin_snapshots")[0][0] == raw


def test_the_secret_key_never_reaches_logs_the_warehouse_or_dlt_files(
    sandbox_server, accounts, tmp_path
) -> None:
    result = run_py(
        tmp_path,
        "--sandbox-url",
        sandbox_server.url,
        "--sources",
        "sp_api,amzpecty",
        "--no-dbt",
        RUNTIME__LOG_LEVEL="DEBUG",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    secret = accounts["amzpecty"]["secret_key"].encode()
    assert "amzpecty.add" in result.stdout and len(result.stderr) > 1000  # it ran, verbosely
    assert secret not in (result.stdout + result.stderr).encode()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "warehouse.amzpecty.sqlite" for p in files)
    assert any(p.name == "trace.pickle" for p in files)
    for path in files:
        assert secret not in path.read_bytes(), path
