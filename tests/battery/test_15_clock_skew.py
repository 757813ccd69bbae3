"""Battery row 15: a client clock 16 minutes ahead of the sandbox's for MWS and PA-API (past
their 15-minute Timestamp window), and 10 minutes behind for SP-API.

MWS and PA-API: each client's first request is refused as expired, the skew is learnt from the
answer and every later request is signed on the server's time: one refusal per client, never a
retry storm, and the same rows as a client whose clock is right. SP-API: the orders cursor is
the server's echoed `lastUpdatedBefore`, so an order updated minutes before the server's now
loads even though the client's clock has not reached that minute yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pendulum
import requests

from sources.common.clock import SYSTEM_CLOCK
from sources.mws import mws_source
from sources.paapi import paapi_source
from tests.battery.fingerprint import fingerprint
from tests.conftest import TEST_TIME_SCALE, WORLD_ORIGIN
from tests.loading import load_sp_api, run_source
from tests.sandbox.wire import control

AHEAD = 16 * 60  # MWS and ECS refuse a Timestamp more than 15 minutes off
BEHIND = -10 * 60


@dataclass(frozen=True)
class SkewedClock:
    """The sandbox world's (frozen) time off by `offset` seconds; real pacing and sleeps."""

    world: pendulum.DateTime
    offset: float

    def monotonic(self) -> float:
        return SYSTEM_CLOCK.monotonic()

    def sleep(self, seconds: float) -> None:
        SYSTEM_CLOCK.sleep(seconds)

    def now(self) -> pendulum.DateTime:
        return self.world.add(seconds=self.offset)


def _legacy(accounts: dict, clock: SkewedClock, workdir: Path) -> Path:
    """MWS orders and ECS lookups on `clock`, into `workdir`'s warehouse."""
    mws, paapi = accounts["mws"], accounts["paapi"]
    common = {"quota_scale": TEST_TIME_SCALE, "retry_backoff_seconds": 0.01, "clock": clock}
    run_source(
        mws_source(
            accounts=mws["accounts"], access_key_id=mws["access_key_id"],
            secret_key=mws["secret_key"], endpoint=mws["endpoint"], reports=False,
            start_date="2024-11-01", end_date="2025-01-01", **common,
        ),
        workdir, "mws",
    )  # fmt: skip
    run_source(
        paapi_source(
            access_key_id=paapi["access_key_id"], secret_key=paapi["secret_key"],
            associate_tag=paapi["associate_tag"], endpoint=paapi["endpoint"],
            asins=paapi["asins"][:20], locales=["us", "de"], **common,
        ),
        workdir, "paapi",
    )  # fmt: skip
    return workdir / "warehouse.duckdb"


def _statuses(url: str) -> dict[str, list[int]]:
    """The statuses of the sandbox's answers since the log was cleared, by service."""
    calls = requests.get(f"{url}/_sandbox/calls", params={"detail": 1}, timeout=30).json()
    found: dict[str, list[int]] = {}
    for call in calls["calls"]:
        found.setdefault(call["service"], []).append(call["status"])
    requests.delete(f"{url}/_sandbox/calls", timeout=30).raise_for_status()
    return found


def test_mws_and_paapi_learn_the_skew_from_one_refusal(sandbox_server, accounts, tmp_path):
    _statuses(sandbox_server.url)
    clean = _legacy(accounts, SkewedClock(WORLD_ORIGIN, 0), tmp_path / "clean")
    right = _statuses(sandbox_server.url)
    skewed = _legacy(accounts, SkewedClock(WORLD_ORIGIN, AHEAD), tmp_path / "ahead")
    ahead = _statuses(sandbox_server.url)

    assert 400 not in right["mws"] + right["paapi"]
    # one refused (RequestExpired) request per client: an MWS client per account, an ECS
    # client per locale; everything else as with the right clock
    assert ahead["mws"].count(400) == len(accounts["mws"]["accounts"])
    assert ahead["paapi"].count(400) == 2
    for service in ("mws", "paapi"):
        assert len(ahead[service]) == len(right[service]) + ahead[service].count(400)
        assert fingerprint(skewed, service) == fingerprint(clean, service)
        assert fingerprint(clean, service)  # something loaded


def _next_change(sandbox: Any, after: float) -> float:
    """The first moment after `after` at which an order of the world is created or changes
    status."""
    books = sandbox.app.world.order_books.values()
    moments = np.concatenate([np.concatenate([b.created, b.t1, b.t2]) for b in books])
    return float(moments[moments > after].min())


def _high_water(load: Any) -> dict[str, str]:
    return dict(load.pipeline.state["sources"]["sp_api"]["resources"]["order_pages"]["high_water"])


def test_sp_api_cursors_are_the_servers_so_a_slow_clock_loses_no_order(
    sandbox_server, accounts, tmp_path
) -> None:
    origin = WORLD_ORIGIN
    orders = partial(load_sp_api, accounts, resources=["orders", "order_items"])
    clean = orders(tmp_path / "clean", clock=SkewedClock(origin, 0))
    behind = orders(tmp_path / "behind", clock=SkewedClock(origin, BEHIND))
    assert _high_water(behind) == _high_water(clean)
    assert fingerprint(behind.duckdb_path, "sp_api") == fingerprint(clean.duckdb_path, "sp_api")

    # the world moves to five minutes after an order changes: the client's clock (ten minutes
    # behind) has not reached that change, the server's lag (two minutes) has passed it
    change = _next_change(sandbox_server, origin.timestamp() + 600)
    now = pendulum.from_timestamp(change + 300, tz="UTC")
    control(sandbox_server.url, "clock/advance", {"seconds": now.timestamp() - origin.timestamp()})
    clean = orders(tmp_path / "clean", clock=SkewedClock(now, 0))
    behind = orders(tmp_path / "behind", clock=SkewedClock(now, BEHIND))
    assert _high_water(behind) == _high_water(clean)
    assert fingerprint(behind.duckdb_path, "sp_api") == fingerprint(clean.duckdb_path, "sp_api")
    changed = pendulum.from_timestamp(change, tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    updated = "select count(*) from sp_api.orders where last_updated_time = ?"
    with duckdb.connect(str(behind.duckdb_path), read_only=True) as connection:
        assert connection.execute(updated, [changed]).fetchall() == [(1,)]
