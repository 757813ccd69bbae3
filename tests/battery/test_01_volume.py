"""Row 1, volume: a world ten times the session's, through the Orders API and the orders report,
equals the world's own truth, with no primary key twice. (`bench/` runs it at full size and
measures speed and memory.)"""

from __future__ import annotations

from tests.battery.fingerprint import fingerprint, unfinished_loads
from tests.battery.volume import ORDERS_REPORT, loaded_orders, volume_sandbox, world_orders
from tests.loading import load_sp_api

__all__ = ["volume_sandbox"]


def test_a_large_world_loads_whole_and_once(volume_sandbox, tmp_path) -> None:
    load = load_sp_api(
        volume_sandbox.accounts(),
        tmp_path,
        resources=["orders", "order_items", "reports"],
        report_types=[ORDERS_REPORT],
    )
    assert not list(load.failures)
    prints = fingerprint(load.duckdb_path, "sp_api")
    assert {"orders", "order_items", "report_order_items"} <= set(prints)
    assert all(p.rows == p.keys for p in prints.values()), prints  # no key twice
    assert not unfinished_loads(load.duckdb_path, "sp_api")
    truth = world_orders(volume_sandbox)
    assert loaded_orders(load.duckdb_path) == truth
    assert sum(len(ids) for ids, _ in truth.values()) > 9_000  # every seller's history
