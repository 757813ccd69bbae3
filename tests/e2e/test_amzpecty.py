"""Amzpecty end to end: sandbox queues -> HTTPS callbacks -> receiver store -> DuckDB.

Whatever happens to the callbacks (lost, duplicated, reordered, refused, a receiver killed
before or after its durable write), every rid ends loaded exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
import requests

from pipelines import receiver
from pipelines.warehouse import Warehouse
from tests.callbacks import control, load_amzpecty, make_tls
from tests.conftest import ROOT
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


def _asins(sandbox_server, count: int = FEW) -> list[str]:
    return [p.asin for p in sandbox_server.app.world.catalog.products if p.parent_asin][:count]


def _sandbox_rids(sandbox_server) -> dict[str, str]:
    """rid -> queue of every request the sandbox took."""
    listed = requests.get(f"{sandbox_server.url}/_sandbox/amzpecty/requests", timeout=10).json()
    return {r["rid"]: r["responsefor"] for r in listed["requests"]}


def _rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _assert_every_rid_once(sandbox_server, path: Path) -> None:
    rids = _sandbox_rids(sandbox_server)
    snapshots = [r[0] for r in _rows(path, "select rid from amzpecty.asin_snapshots")]
    requested = _rows(path, "select rid, status from amzpecty.amzpecty_requests")
    assert sorted(snapshots) == sorted(r for r, q in rids.items() if q == "asinsnapshot")
    parents = {r for r, q in rids.items() if q == "productvariations"}
    if parents:
        variations = _rows(path, "select distinct rid from amzpecty.product_variations")
        assert {r[0] for r in variations} == parents
    assert sorted(r for r, _ in requested) == sorted(rids)
    assert {status for _, status in requested} == {"OK"}


def test_a_load_takes_every_result_once_and_a_rerun_adds_nothing(
    trusted, accounts, tls, tmp_path
) -> None:
    load_sp_api(accounts, tmp_path)  # the warehouse's ASINs are asked for too
    store = tmp_path / "store.sqlite"
    upc = accounts["amzpecty"]["sample_product_ids"][:1]
    secret = accounts["amzpecty"]["secret_key"]
    with receiver.start(store, secret, tls.certfile, tls.keyfile) as running:
        kwargs = {
            "callback_url": running.url,
            "warehouse": Warehouse(tmp_path / "warehouse.duckdb").read,
            "product_ids": upc,
        }
        first = load_amzpecty(accounts, tmp_path, trusted.url, **kwargs)
        _assert_every_rid_once(trusted, first.duckdb_path)
        stats = first.stats.snapshot()
        asked = _rows(
            first.duckdb_path,
            "select query, domain from amzpecty.amzpecty_requests where queue = 'asinsnapshot'",
        )
        assert stats["amzpecty.add"].calls == len(asked) == len(set(asked))  # each ASIN once
        sold = _rows(
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
            for r in _rows(
                first.duckdb_path, "select distinct parent_asin from amzpecty.asin_snapshots"
            )
        }
        assert {(a, domains[m]) for a, m in sold if a not in parents} <= set(asked)
        assert stats["amzpecty.requestvariants"].calls > 0  # parents named by the snapshots
        matches = _rows(first.duckdb_path, "select product_id, asin from amzpecty.asin_matches")
        assert [m[0] for m in matches] == upc
        second = load_amzpecty(accounts, tmp_path, trusted.url, **kwargs)
    assert not any(op.startswith("amzpecty.") for op in second.stats.snapshot())
    _assert_every_rid_once(trusted, second.duckdb_path)
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
            accounts, tmp_path, trusted.url, callback_url=running.url, asins=_asins(trusted)
        )
        if fault["kind"] == "delay":  # the late ones arrive after they were polled
            control(trusted.url, "advance", {"seconds": 865_000})
            load = load_amzpecty(accounts, tmp_path, trusted.url, callback_url=running.url)
    _assert_every_rid_once(trusted, load.duckdb_path)
    via = dict(
        _rows(
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
            asins=_asins(trusted),
            credit_floor=100,
        )
    assert len(_sandbox_rids(trusted)) == 10  # then 110 - 10 outstanding - 1 < 100
    assert control(trusted.url, "account")["credits"] == 100
    _assert_every_rid_once(trusted, load.duckdb_path)
    assert not list(load.failures)  # a floor is a plan, not a failure


def test_callbacks_with_a_wrong_secret_are_refused_and_the_rids_polled(
    trusted, accounts, tls, tmp_path
) -> None:
    with receiver.start(
        tmp_path / "store.sqlite", "not-the-key-9", tls.certfile, tls.keyfile
    ) as running:
        load = load_amzpecty(
            accounts, tmp_path, trusted.url, callback_url=running.url, asins=_asins(trusted)
        )
    _assert_every_rid_once(trusted, load.duckdb_path)
    via = _rows(load.duckdb_path, "select distinct received_via from amzpecty.asin_snapshots")
    assert via == [("poll",)]
    state = requests.get(f"{trusted.url}/_sandbox/amzpecty/callbacks", timeout=10).json()
    assert state["delivered"] == 0 and state["failed"] >= FEW


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _receiver_process(tls, store: Path, port: int, secret: str, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable,
        str(ROOT / "pipelines" / "receiver.py"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--certfile",
        tls.certfile,
        "--keyfile",
        tls.keyfile,
        "--store",
        str(store),
        *extra,
    ]
    env = {**os.environ, "SOURCES__AMZPECTY__SECRET_KEY": secret}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("https://127.0.0.1:")
    return process


@pytest.mark.parametrize("hold", ["before-write", "after-write"])
def test_a_receiver_killed_around_its_durable_write_loses_and_duplicates_nothing(
    trusted, accounts, tls, tmp_path, hold
) -> None:
    # real speed: only the test moves the clock, so retries wait for the restarted receiver
    requests.post(f"{trusted.url}/_sandbox/clock/scale", json={"time_scale": 1}, timeout=10)
    secret = accounts["amzpecty"]["secret_key"]
    store, port = tmp_path / "store.sqlite", _free_port()
    url = f"https://127.0.0.1:{port}{receiver.CALLBACK_PATH}"
    process = _receiver_process(tls, store, port, secret, "--test-hold", hold)
    asins = _asins(trusted)
    # Adds only: no wait, no poll, so every result must come through the receiver
    load_amzpecty(
        accounts,
        tmp_path,
        trusted.url,
        callback_url=url,
        asins=asins,
        callback_wait_seconds=0,
        poll_after_seconds=10**9,
    )
    delivering = threading.Thread(target=control, args=(trusted.url, "advance", {"seconds": 600}))
    delivering.start()
    assert process.stderr is not None
    held = process.stderr.readline()
    assert held.startswith(f"holding {hold}: ")
    held_rid = held.split()[-1]
    with sqlite3.connect(store) as connection:
        on_disk = connection.execute("select rid from results").fetchall()
    assert on_disk == ([(held_rid,)] if hold == "after-write" else [])
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    delivering.join(timeout=60)
    restarted = _receiver_process(tls, store, port, secret)
    try:
        load = load_amzpecty(
            accounts, tmp_path, trusted.url, callback_url=url, poll_after_seconds=10**9
        )
    finally:
        restarted.kill()
        restarted.wait(timeout=30)
    _assert_every_rid_once(trusted, load.duckdb_path)
    assert held_rid in {
        r[0] for r in _rows(load.duckdb_path, "select rid from amzpecty.asin_snapshots")
    }
    state = requests.get(f"{trusted.url}/_sandbox/amzpecty/callbacks", timeout=10).json()
    assert state["failed"] >= 1 and state["delivered"] >= len(asins)


def test_run_py_loads_amzpecty_after_sp_api_and_builds_the_price_history(tmp_path) -> None:
    result = run_py(tmp_path, "--orders", "1500", "--sources", "sp_api,amzpecty")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "amzpecty.asin_snapshots" in result.stdout and "dbt build: ok" in result.stdout
    path = tmp_path / "warehouse.duckdb"
    history = _rows(
        path,
        "select count(*), count(distinct rid), count(our_unit_price), "
        "count(*) filter (where buybox_price > 0), count(*) filter (where "
        "our_price_source = 'listing') from main.asin_price_history "
        "where source_system = 'amzpecty'",
    )[0]
    raw = _rows(path, "select count(*) from amzpecty.asin_snapshots")[0][0]
    # every snapshot is of an ASIN we list or sold, so each has our price; most from listings
    assert history[0] == history[1] == history[2] == history[3] == raw > 50
    assert history[4] > raw / 2
    assert (tmp_path / "warehouse.amzpecty.sqlite").exists()
    rerun = run_py(tmp_path, "--orders", "1500", "--sources", "sp_api,amzpecty", "--no-dbt")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "amzpecty.add" not in rerun.stdout  # no second Add of a fresh ASIN
    assert _rows(path, "select count(*) from amzpecty.asin_snapshots")[0][0] == raw


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
