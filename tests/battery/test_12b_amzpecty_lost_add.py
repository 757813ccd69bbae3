"""Row 12, Amzpecty's half: an Add whose answer is lost (a reset or a close mid-body, a
connection dropped before any answer, a 5xx burst) is not sent again blindly. An Add is
journaled before it leaves; one whose answer is lost is adopted when its callback names its
key, or released when none comes and asked for once more. Credits stay within a clean run's
plus one, and every key ends with one loaded result."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from pipelines import receiver
from tests.battery.fingerprint import fingerprint, unfinished_loads
from tests.callbacks import (
    adds_per_key,
    child_asins,
    control,
    load_amzpecty,
    make_tls,
    rows,
    sandbox_requests,
)

FEW = 8
FOURTH = {"service": "amzpecty", "operation": "add", "skip": 3}  # the fourth Add

CASES = [
    # (sandbox faults, callback faults, credits beyond a clean run's)
    pytest.param([{**FOURTH, "cut": "reset", "at": 0.5}], [], 0, id="reset-mid-body"),
    pytest.param([{**FOURTH, "cut": "close", "at": 0.6}], [], 0, id="closed-at-60-percent"),
    pytest.param([{**FOURTH, "disconnect": True}], [], 0, id="dropped-before-an-answer"),
    pytest.param([{**FOURTH, "status": 503, "count": 3}], [], 0, id="503-burst"),
    # the lost answer's callback is lost too: the key is asked for once more, at one credit
    pytest.param(
        [{**FOURTH, "cut": "reset", "at": 0.5}],
        [{"kind": "drop", "every": 4, "count": 1}],
        1,
        id="reset-and-its-callback-lost",
    ),
]


@dataclass
class Run:
    credits: int  # spent
    adds: dict[tuple[str, str, str], int]  # queued per key
    duckdb_path: Path
    store: Path


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


def _run(sandbox_server: Any, accounts: dict, tls: Any, workdir: Path, faults, callback_faults):
    """One load from the seeded world (reset first) with `faults` injected."""
    url, secret = sandbox_server.url, accounts["amzpecty"]["secret_key"]
    requests.post(f"{url}/_sandbox/reset", timeout=10).raise_for_status()
    control(url, "account", {"ca_file": tls.cafile})
    for fault in faults:
        requests.post(f"{url}/_sandbox/faults", json=fault, timeout=10).raise_for_status()
    for fault in callback_faults:
        control(url, "callbacks/faults", fault)
    before = control(url, "account")["credits"]
    store = workdir / "store.sqlite"
    with receiver.start(store, secret, tls.certfile, tls.keyfile) as running:
        load = load_amzpecty(
            accounts,
            workdir,
            url,
            callback_url=running.url,
            asins=child_asins(sandbox_server, FEW),
        )
    assert not list(load.failures)
    spent = before - control(url, "account")["credits"]
    return Run(spent, dict(adds_per_key(url)), load.duckdb_path, store)


def _results(path: Path) -> set[tuple]:
    """What was asked and what came back, whatever the rids."""
    return set(
        rows(
            path,
            "select r.queue, r.query, r.domain, r.status, s.asin, s.buybox_price "
            "from amzpecty.amzpecty_requests r "
            "left join amzpecty.asin_snapshots s on s.rid = r.rid",
        )
    )


def _shape(path: Path) -> dict[str, tuple[int, int]]:
    return {table: (p.rows, p.keys) for table, p in fingerprint(path, "amzpecty").items()}


@pytest.mark.parametrize(("faults", "callback_faults", "extra"), CASES)
def test_an_add_whose_answer_is_lost_is_not_repeated_blindly(
    sandbox_server, accounts, tls, tmp_path, faults, callback_faults, extra
) -> None:
    url = sandbox_server.url
    clean = _run(sandbox_server, accounts, tls, tmp_path / "clean", [], [])
    faulted = _run(sandbox_server, accounts, tls, tmp_path / "faulted", faults, callback_faults)
    assert requests.get(f"{url}/_sandbox/faults", timeout=10).json() == {"faults": []}  # struck
    assert set(clean.adds.values()) == {1}
    assert faulted.credits == clean.credits + extra
    assert set(faulted.adds) == set(clean.adds)
    assert sum(faulted.adds.values()) == len(clean.adds) + extra  # one key asked twice at most
    # every key ends with one result, whatever became of its first Add
    assert _results(faulted.duckdb_path) == _results(clean.duckdb_path)
    snapshots = rows(
        faulted.duckdb_path, "select query_asin, count(*) from amzpecty.asin_snapshots group by 1"
    )
    assert dict(snapshots) == dict.fromkeys(child_asins(sandbox_server, FEW), 1)
    assert unfinished_loads(faulted.duckdb_path, "amzpecty") == set()
    assert [r["fetched"] for r in sandbox_requests(url)] == [0] * sum(faulted.adds.values())
    with sqlite3.connect(faulted.store) as connection:
        assert connection.execute("select count(*) from journal").fetchone() == (0,)
    # rows and keys as a clean run's (checksums differ: `dateProcessed` is stamped at the
    # pace, which runs with the wall clock)
    assert _shape(faulted.duckdb_path) == _shape(clean.duckdb_path)
