"""Any registry operation as requests: parameters placed as the model says, marketplaces
filled in, pagination chosen, poll windows within the operation's rules, config checked."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pendulum
import pytest
from dlt.sources.helpers.rest_client.paginators import (
    JSONResponseCursorPaginator,
    SinglePagePaginator,
)

from sources.sp_api.client import Account
from sources.sp_api.exceptions import ConfigurationError
from sources.sp_api.operations import (
    EPOCH,
    Poll,
    _before,
    _windows,
    calls,
    paginator_for,
    sp_api_poll,
)
from sources.sp_api.paginators import TokenOnlyPaginator
from sources.sp_api.registry import operation

NOW = pendulum.datetime(2026, 11, 1, 12)


@dataclass
class StubClient:
    """What `calls` and `_windows` read of a client (no network)."""

    account: Account

    def server_now(self) -> pendulum.DateTime:
        return NOW


def _client(*marketplaces: str) -> StubClient:
    return StubClient(Account("us", "A1SELLER", "Atzr|x", marketplace_ids=marketplaces))


def test_parameters_go_where_the_model_puts_them() -> None:
    found = calls(
        _client("ATVPDKIKX0DER"),
        operation("listingsItems_2021-08-01", "getListingsItem"),
        {"sku": "A/B 1", "marketplaceIds": ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"], "pageSize": 5},
    )
    assert len(found) == 1
    assert found[0].path == "/listings/2021-08-01/items/A1SELLER/A%2FB%201"
    assert found[0].query == {"marketplaceIds": "ATVPDKIKX0DER,A2EUQ1WTGCTBG2"}
    query = calls(
        _client(),
        operation("dataKiosk_2023-11-15", "createQuery"),
        {"body": {"query": "query { x }"}},
    )[0]
    assert query.body == {"query": "query { x }"} and query.query == {}


def test_a_missing_required_marketplace_runs_once_per_marketplace() -> None:
    found = calls(
        _client("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"),
        operation("catalogItems_2022-04-01", "searchCatalogItems"),
        {"keywords": ["tea", "kettle"], "includedData": "summaries"},
    )
    assert [(c.marketplace_id, c.query["marketplaceIds"]) for c in found] == [
        ("ATVPDKIKX0DER", "ATVPDKIKX0DER"),
        ("A2EUQ1WTGCTBG2", "A2EUQ1WTGCTBG2"),
    ]
    assert found[0].query["keywords"] == "tea,kettle"
    with pytest.raises(ConfigurationError, match=r"\['asin'\]"):
        calls(_client("X"), operation("catalogItems_2022-04-01", "getCatalogItem"), {})


def test_pagination_follows_the_registry() -> None:
    reports = paginator_for(operation("reports_2021-06-30", "getReports"))
    assert isinstance(reports, TokenOnlyPaginator)
    orders = paginator_for(operation("orders_2026-01-01", "searchOrders"))
    assert type(orders) is JSONResponseCursorPaginator and orders.cursor_param == "paginationToken"
    assert isinstance(paginator_for(operation("sellers", "getAccount")), SinglePagePaginator)


def test_upper_bounds_pair_with_lower_ones() -> None:
    vendor = operation("vendorOrders", "getPurchaseOrders")
    assert _before(vendor, "createdAfter") == "createdBefore"
    assert _before(vendor, "changedAfter") == "changedBefore"
    assert _before(operation("reports_2021-06-30", "getReports"), "createdSince") == "createdUntil"
    assert _before(operation("fbaInventory", "getInventorySummaries"), "startDateTime") is None


def _poll(keyed: bool = False, start: str = EPOCH) -> Poll:
    found = operation("vendorOrders", "getPurchaseOrders")
    return Poll(
        found, "createdAfter", "createdBefore", pendulum.parse(start), "items", {}, keyed, 3600, "t"
    )  # type: ignore[arg-type]


def test_poll_windows_respect_seven_days_and_six_months() -> None:
    windows = list(_windows(_poll(), _client(), None))
    assert windows[0][0] == NOW.subtract(days=180).add(hours=1)  # never before the API's reach
    assert all((end - begin).in_days() <= 7 for begin, end in windows)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))
    assert windows[-1][1] == NOW.subtract(seconds=120)
    mark = NOW.subtract(days=2).isoformat()
    assert next(iter(_windows(_poll(), _client(), mark)))[0] == pendulum.parse(mark)
    keyed = list(_windows(_poll(keyed=True), _client(), mark))
    assert keyed[0][0] == pendulum.parse(mark).subtract(seconds=3600)  # re-read: rows merge


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"api": "vendorOrders", "operation": "getPurchaseOrdersLater"}, "no operation"),
        ({"timestamp_param": "updatedAfter"}, "has no updatedAfter"),
        ({"emit": "rows"}, "emit must be one of"),
        ({"params": {"colour": "red"}}, "no parameter(s) ['colour']"),
        (
            {
                "api": "fbaInventory",
                "operation": "getInventorySummaries",
                "timestamp_param": "startDateTime",
            },
            "give a primary_key",
        ),
        ({"start": "yesterday-ish"}, "start must be an ISO 8601 time"),
    ],
    ids=["operation", "timestamp", "emit", "parameter", "no-upper-bound", "start"],
)
def test_poll_configuration_errors_name_the_key(kwargs, message) -> None:
    arguments = {
        "api": "vendorOrders",
        "operation": "getPurchaseOrders",
        "timestamp_param": "createdAfter",
        **kwargs,
    }
    with pytest.raises(ConfigurationError) as raised:
        sp_api_poll([], **arguments)
    assert message in str(raised.value) and "sources.sp_api.polls[" in str(raised.value)
