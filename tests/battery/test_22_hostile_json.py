"""Row 22, hostile JSON on an SP-API page: 100k-deep nesting, NaN, 1e400, duplicate keys, a
body past the size cap, and fields that do not form one table. No crash: the error names the
operation, the account and the page; that account's orders stop with their cursor kept, the
other accounts and resources load, and a later run heals. orjson is pinned >= 3.11.6."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version

import pytest
import requests

from sources.sp_api.exceptions import MalformedResponseError
from tests.battery.fetching import (
    SEARCH_ORDERS,
    calls,
    clean,
    expected_fixture,
    faults,
    state,
)
from tests.conftest import ROOT
from tests.loading import load_sp_api

OPTIONS = {"resources": ["orders", "order_items", "marketplace_participations"]}
CAP = 16 << 20  # max_response_bytes' default
PAGE = 3  # the page the fault answers
ORDER = '{"orderId": "902-0000000-0000001", "lastUpdatedTime": "2026-10-01T00:00:00Z"'
BODIES = {
    "deep": '{"orders": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "nan": '{"orders": [' + ORDER + ', "orderTotal": NaN}]}',
    "1e400": '{"orders": [' + ORDER + ', "orderTotal": 1e400}]}',
    "duplicate-keys": '{"orders": [' + ORDER + '}], "orders": "changed"}',
    "no-order-id": '{"orders": [{"orderId": 7, "orderItems": []}]}',
    "not-a-table": '{"orders": [' + ORDER + ', "x": [1]}, ' + ORDER[:-2] + '2", "x": 1}]}',
    "past-the-cap": '{"orders": [], "padding": "' + "x" * CAP + '"}',
}
REASONS = {
    "deep": "depth limit exceeded",
    "nan": "not JSON",
    "1e400": "number is infinity",
    "duplicate-keys": "item 1 of the page is not an object (str)",
    "no-order-id": "item 1 of the page lacks orderId",
    "not-a-table": f"pages 1 to {PAGE} do not form a table",
    "past-the-cap": f"more than the {CAP:,} one may hold (sources.sp_api.max_response_bytes)",
}


expected = expected_fixture(**OPTIONS)


def test_orjson_is_pinned_past_its_known_flaws() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "orjson>=3.11.6" in [entry.split(";")[0].strip() for entry in declared]
    assert tuple(int(part) for part in version("orjson").split(".")[:3]) >= (3, 11, 6)


@pytest.mark.parametrize("kind", BODIES)
def test_a_hostile_page_stops_only_its_accounts_orders_naming_the_page(
    sandbox_server, accounts, expected, tmp_path, kind
) -> None:
    url, eu = sandbox_server.url, accounts["accounts"][1]
    fault = {"operation": SEARCH_ORDERS, "seller_id": eu["seller_id"], "skip": PAGE - 1}
    faults(url, {**fault, "body": BODIES[kind]})
    hostile = load_sp_api(accounts, tmp_path, **OPTIONS)
    (failure,) = hostile.failures
    assert (failure.resource, failure.key) == ("orders", eu["name"])
    assert isinstance(failure.error, MalformedResponseError)
    message = str(failure.error)
    assert SEARCH_ORDERS in message and REASONS[kind] in message
    assert f"account {eu['name']}" in message
    assert re.search(rf"\bpages? (1 to )?{PAGE}\b", message)  # a batch names its pages
    assert len(calls(url, SEARCH_ORDERS, eu["seller_id"])) == PAGE  # not asked again
    assert eu["seller_id"] not in state(hostile, "order_pages")["high_water"]  # cursor kept
    got = clean(hostile)
    assert got["marketplace_participations"] == expected["marketplace_participations"]
    sellers = {r[0] for r in hostile.query("select distinct seller_id from sp_api.orders")}
    assert sellers == {a["seller_id"] for a in accounts["accounts"]} - {eu["seller_id"]}

    requests.delete(f"{url}/_sandbox/faults", timeout=10).raise_for_status()
    healed = load_sp_api(accounts, tmp_path, **OPTIONS)
    assert not list(healed.failures)
    assert clean(healed) == expected
