"""Orders pages become Arrow a page at a time and join into batches (`order_sync.batched`)."""

from __future__ import annotations

import pytest

from sources.sp_api.client import Account
from sources.sp_api.exceptions import MalformedResponseError
from sources.sp_api.order_sync import SEARCH_ORDERS, batched

ACCOUNT = Account("us-store", "A1SELLER", "not-a-token")  # pragma: allowlist secret


def test_pages_with_different_fields_join_with_nulls_where_a_page_lacks_one() -> None:
    pages = [
        [{"orderId": "1", "total": {"amount": "1.00"}}],
        [],
        [{"orderId": "2", "buyer": {"email": "a@b.c"}}, {"orderId": "3"}],
    ]
    (batch,) = batched(ACCOUNT, SEARCH_ORDERS, iter(pages))
    assert batch.orders.to_pylist() == [
        {"orderId": "1", "total": {"amount": "1.00"}, "buyer": None},
        {"orderId": "2", "total": None, "buyer": {"email": "a@b.c"}},
        {"orderId": "3", "total": None, "buyer": None},
    ]


def test_a_field_of_two_types_across_pages_fails_naming_the_pages() -> None:
    pages = [[{"orderId": "1", "x": 1}], [{"orderId": "2", "x": "one"}]]
    with pytest.raises(MalformedResponseError, match="pages 1 to 2 do not form a table") as info:
        list(batched(ACCOUNT, SEARCH_ORDERS, iter(pages)))
    assert info.value.account == "us-store"
