"""Row 5, kill -9 mid-extract: the run is killed while the ledger serves page 37% of the
largest seller's order pages. It leaves the warehouse as it was (its state too: nothing of an
unfinished extract is committed anywhere), and the next run ends where a clean run does."""

from __future__ import annotations

import json
import math

import requests

from tests.battery import runs
from tests.battery.fingerprint import fingerprint, unfinished_loads
from tests.conftest import TEST_ORDERS

# a completed load before the killed run: the sellers' marketplaces
EARLIER = {"SOURCES__SP_API__RESOURCES": '["marketplace_participations"]'}
RESOURCES = ("marketplace_participations", "orders", "order_items")
EVERYTHING = {"SOURCES__SP_API__RESOURCES": json.dumps(RESOURCES)}


def test_a_run_killed_mid_extract_changes_nothing_and_the_next_ends_clean(
    sandbox_server, accounts, tmp_path
) -> None:
    largest = accounts["accounts"][0]["seller_id"]  # North America: half of the orders
    page = math.ceil(0.37 * TEST_ORDERS / 2 / 100)  # page 37 of 100, at this world's size
    warehouse = runs.warehouse(tmp_path)
    runs.run_ok(tmp_path, sandbox_server, **EARLIER)
    before = (runs.state_rows(warehouse), fingerprint(warehouse, runs.DATASET))
    requests.post(  # that page's answer stalls mid-body, so the kill lands on it
        f"{sandbox_server.url}/_sandbox/faults",
        json={"operation": runs.SEARCH, "seller_id": largest, "skip": page - 1, "cut": "stall"},
        timeout=30,
    ).raise_for_status()

    process = runs.start(tmp_path, sandbox_server, **EVERYTHING)
    served = sandbox_server.app.calls.wait_for(
        lambda calls: (
            sum(c.operation == runs.SEARCH and c.seller_id == largest for c in calls) >= page
        ),
        timeout=120,
    )
    runs.kill(process)

    assert served
    assert (runs.state_rows(warehouse), fingerprint(warehouse, runs.DATASET)) == before
    assert not unfinished_loads(warehouse, runs.DATASET)
    runs.run_ok(tmp_path, sandbox_server, **EVERYTHING)
    runs.assert_clean(tmp_path, accounts, resources=RESOURCES)
    # one state a run for each seller's pipeline
    assert len(runs.state_rows(warehouse)) == len(before[0]) + len(accounts["accounts"])
