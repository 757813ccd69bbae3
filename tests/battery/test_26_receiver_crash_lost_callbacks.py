"""Row 26, a receiver crash and lost callbacks: the receiver killed -9 (a) after its fsync,
before the 2xx, (b) before the fsync, and (c) the sandbox dropping every tenth callback for
good -> (a) the redelivery is deduplicated, (b) stored once, (c) the reconciler's Get by rid
fetches exactly the missing ones (the sandbox's ledger); every journaled rid has one result
and no Add is repeated."""

from __future__ import annotations

import signal
import sqlite3
import threading

import pytest
import requests

from pipelines import receiver
from tests.callbacks import (
    adds_per_key,
    assert_every_rid_once,
    child_asins,
    control,
    free_port,
    load_amzpecty,
    make_tls,
    receiver_process,
    rows,
    sandbox_requests,
    sandbox_state,
)

FEW = 12
MANY = 30  # every tenth of their callbacks is dropped: 3


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


def _store_rows(store, sql: str, *parameters: str) -> list[tuple]:
    with sqlite3.connect(store) as connection:
        return connection.execute(sql, parameters).fetchall()


def _journal_settled(store) -> None:
    """Every request the store journaled has exactly one result, and no Add is in doubt."""
    assert _store_rows(store, "select count(*) from journal") == [(0,)]
    unanswered = _store_rows(
        store,
        "select r.rid, count(x.rid) from requests r left join results x on x.rid = r.rid "
        "group by r.rid having count(x.rid) != 1",
    )
    assert unanswered == []


@pytest.mark.parametrize(
    "hold", ["after-write", "before-write"], ids=["after-fsync-before-2xx", "before-fsync"]
)
def test_a_receiver_killed_around_its_fsync_loses_and_duplicates_nothing(
    sandbox_server, accounts, tls, tmp_path, hold
) -> None:
    url, secret = sandbox_server.url, accounts["amzpecty"]["secret_key"]
    control(url, "account", {"ca_file": tls.cafile})
    # real speed: only the test moves the clock, so retries wait for the restarted receiver
    requests.post(f"{url}/_sandbox/clock/scale", json={"time_scale": 1}, timeout=10)
    store, port = tmp_path / "store.sqlite", free_port()
    callback_url = f"https://127.0.0.1:{port}{receiver.CALLBACK_PATH}"
    process = receiver_process(tls, store, port, secret, "--test-hold", hold)
    asins = child_asins(sandbox_server, FEW)
    # Adds only: no wait, no poll, so every result must come through the receiver
    adds_only = {"callback_url": callback_url, "poll_after_seconds": 10**9}
    load_amzpecty(accounts, tmp_path, url, asins=asins, callback_wait_seconds=0, **adds_only)
    delivering = threading.Thread(target=control, args=(url, "advance", {"seconds": 600}))
    delivering.start()
    assert process.stderr is not None
    held = process.stderr.readline()
    assert held.startswith(f"holding {hold}: ")
    held_rid = held.split()[-1]
    on_disk = _store_rows(store, "select rid from results")
    assert on_disk == ([(held_rid,)] if hold == "after-write" else [])
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    delivering.join(timeout=60)
    restarted = receiver_process(tls, store, port, secret)
    try:
        load = load_amzpecty(accounts, tmp_path, url, **adds_only)
    finally:
        restarted.kill()
        restarted.wait(timeout=30)
    assert_every_rid_once(url, load.duckdb_path)
    assert held_rid in {
        r[0] for r in rows(load.duckdb_path, "select rid from amzpecty.asin_snapshots")
    }
    state = sandbox_state(url, "callbacks")
    assert state["failed"] >= 1 and state["delivered"] >= len(asins)  # the held one came again
    assert _store_rows(store, "select count(*) from results where rid = ?", held_rid) == [(1,)]
    _journal_settled(store)
    assert set(adds_per_key(url).values()) == {1}  # no Add repeated
    assert all(r["fetched"] == 0 for r in sandbox_requests(url))  # all came by callback


def test_callbacks_lost_for_good_are_fetched_by_rid_exactly(
    sandbox_server, accounts, tls, tmp_path
) -> None:
    url, secret = sandbox_server.url, accounts["amzpecty"]["secret_key"]
    control(url, "account", {"ca_file": tls.cafile})
    control(url, "callbacks/faults", {"kind": "drop", "every": 10, "count": MANY // 10})
    store = tmp_path / "store.sqlite"
    asins = child_asins(sandbox_server, MANY, children=False)
    with receiver.start(store, secret, tls.certfile, tls.keyfile) as running:
        load = load_amzpecty(accounts, tmp_path, url, callback_url=running.url, asins=asins)
    dropped = sandbox_state(url, "callbacks")["dropped_rids"]
    assert len(dropped) == MANY // 10
    fetched = {r["rid"]: r["fetched"] for r in sandbox_requests(url) if r["fetched"]}
    assert fetched == dict.fromkeys(dropped, 1)  # the missing ones, each once, nothing else
    assert load.stats.snapshot()["amzpecty.get"].calls == len(dropped)
    assert_every_rid_once(url, load.duckdb_path)
    via = dict(rows(load.duckdb_path, "select rid, received_via from amzpecty.asin_snapshots"))
    assert sorted(rid for rid, how in via.items() if how == "poll") == sorted(dropped)
    _journal_settled(store)
    assert adds_per_key(url) == {("asinsnapshot", a, "www.amazon.com"): 1 for a in asins}
    assert not list(load.failures)
