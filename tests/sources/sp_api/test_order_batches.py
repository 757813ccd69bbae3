"""Orders pages become Arrow one at a time and join into batches; no page outlives its use."""

from __future__ import annotations

import gc
import weakref

import pytest
import requests

from sources.sp_api.client import Account, _memoize_json
from sources.sp_api.exceptions import MalformedResponseError
from sources.sp_api.order_sync import SEARCH_ORDERS, batched

ACCOUNT = Account("shop", "A1SELLER", "refresh")


def test_a_batch_joins_pages_whose_orders_carry_different_fields() -> None:
    pages = [
        [{"orderId": "1", "sales": {"marketplaceId": "US"}, "total": 1}],
        [],
        [{"orderId": "2", "sales": {"channel": "MFN"}, "total": 2.5, "note": "late"}],
    ]
    (batch,) = batched(ACCOUNT, SEARCH_ORDERS, iter(pages))
    rows = batch.orders.to_pylist()
    assert [row["orderId"] for row in rows] == ["1", "2"]
    assert rows[0]["sales"] == {"marketplaceId": "US", "channel": None}
    assert [row["total"] for row in rows] == [1.0, 2.5]
    assert rows[0]["note"] is None and rows[1]["note"] == "late"


def test_pages_whose_fields_disagree_fail_naming_the_batch_pages() -> None:
    pages = [[{"orderId": "1", "x": 1}], [{"orderId": "2", "x": "one"}]]
    with pytest.raises(MalformedResponseError, match="pages 1 to 2 do not form a table") as error:
        list(batched(ACCOUNT, SEARCH_ORDERS, iter(pages)))
    assert error.value.account == "shop"


def test_a_parsed_page_is_freed_with_its_response_without_the_cyclic_collector() -> None:
    response = requests.Response()
    response._content = b'{"orders": [{"orderId": "1"}]}'
    response.status_code, response.url = 200, "https://example.test/orders"
    _memoize_json(response, SEARCH_ORDERS)
    page = response.json()
    assert page == {"orders": [{"orderId": "1"}]} and response.json() is page
    gone = weakref.ref(response)
    gc.disable()
    try:
        del response
        assert gone() is None
    finally:
        gc.enable()
