"""Row 4, late updates: after a run, Amazon shows updates of 1% of the orders whose
`LastUpdateDate` lies in the run's last two minutes before its cursor, or after it (updates it
indexed late). The next run captures all of them: it re-reads `lag_seconds` (at least 120)
before its cursor, and the cursor is the server's `lastUpdatedBefore`, never the client's
clock."""

from __future__ import annotations

import duckdb
import pendulum
import requests

from sources.sp_api.settings import MIN_LAG_SECONDS
from tests.battery.fingerprint import fingerprint, unfinished_loads
from tests.battery.runs import DATASET, advance
from tests.conftest import TEST_ORDERS
from tests.loading import Load, load_sp_api

LATER = 600.0  # the next run, ten minutes on
ORDERS = {"resources": ("orders", "order_items")}  # listings' history would differ, rightly


def _marks(load: Load) -> dict[str, str]:
    resources = load.pipeline.state["sources"]["sp_api"]["resources"]
    return dict(resources["order_pages"]["high_water"])


def _iso(timestamp: float) -> str:
    return pendulum.from_timestamp(timestamp, tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_next_run_captures_updates_amazon_showed_late(
    sandbox_server, accounts, tmp_path
) -> None:
    now = sandbox_server.clock.timestamp()
    first = load_sp_api(accounts, tmp_path / "incremental", **ORDERS)
    cursor = now - MIN_LAG_SECONDS  # searches end two minutes before the server's now
    assert set(_marks(first).values()) == {_iso(cursor)}

    touched = requests.post(
        f"{sandbox_server.url}/_sandbox/orders/late-updates",
        json={"share": 0.01, "after": _iso(cursor - 120), "before": _iso(now)},
        timeout=30,
    ).json()["touched"]
    assert len(touched) >= 0.009 * TEST_ORDERS  # 1% (rounded per seller)
    # some before the cursor (only the lag re-reads them), some after it
    assert {t["at"] <= cursor for t in touched} == {True, False}
    advance(sandbox_server, LATER)

    second = load_sp_api(accounts, tmp_path / "incremental", **ORDERS)

    assert not list(second.failures)
    assert set(_marks(second).values()) == {_iso(now + LATER - MIN_LAG_SECONDS)}
    with duckdb.connect(str(second.duckdb_path), read_only=True) as connection:
        stored = dict(
            connection.execute(
                "select order_id, last_updated_time from sp_api.orders "
                "where order_id in (select unnest(?))",
                [[t["order_id"] for t in touched]],
            ).fetchall()
        )
    assert all(stored[t["order_id"]] >= _iso(t["at"]) for t in touched)  # ISO 8601, in UTC
    clean = load_sp_api(accounts, tmp_path / "clean", **ORDERS)
    assert fingerprint(second.duckdb_path, DATASET) == fingerprint(clean.duckdb_path, DATASET)
    assert not unfinished_loads(second.duckdb_path, DATASET)
