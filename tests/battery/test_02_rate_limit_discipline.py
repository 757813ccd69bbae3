"""Row 2, rate-limit discipline: past the burst the client paces at the usage plan, so the
server's ledger shows (almost) no request into an empty bucket and no page fetched twice.
(`bench/orders.py` measures the makespan against the plan's lower bound at full size.)"""

from __future__ import annotations

import math

import requests

from tests.battery.volume import volume_sandbox, world_orders
from tests.loading import load_sp_api

__all__ = ["volume_sandbox"]

SEARCH = "sp_api.orders_2026-01-01.searchOrders"
PAGE = 100
BURST = 20  # searchOrders' plan: 0.0056 requests a second, a burst of 20
THROTTLE_BUDGET = 2  # arrivals can bunch on loopback; the client must not storm


def test_pages_past_the_burst_are_paced_and_fetched_once(volume_sandbox, tmp_path) -> None:
    url = volume_sandbox.url
    requests.delete(f"{url}/_sandbox/calls", timeout=10).raise_for_status()
    load = load_sp_api(volume_sandbox.accounts(), tmp_path, resources=["orders", "order_items"])
    assert not list(load.failures)
    ledger = requests.get(f"{url}/_sandbox/calls?detail=1", timeout=10).json()
    assert ledger["throttled"] <= THROTTLE_BUDGET
    truth = world_orders(volume_sandbox)
    for seller_id, (ids, _) in truth.items():
        pages = [
            call
            for call in ledger["calls"]
            if f"{call['service']}.{call['operation']}" == SEARCH
            and call["seller_id"] == seller_id
            and call["status"] == 200
        ]
        assert len(pages) == math.ceil(len(ids) / PAGE)  # every page once
    assert max(math.ceil(len(ids) / PAGE) for ids, _ in truth.values()) > BURST  # paced
