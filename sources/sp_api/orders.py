"""Orders and order items, incremental on the last-updated time, per account in parallel.

Both API versions yield orders in the 2026-01-01 shape (v0 is mapped in `orders_v0.py`), so
switching `orders_api_version` never changes a table or duplicates a row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from typing import Any

import dlt
import pyarrow as pa

from sources.common.arrow import flatten, to_table
from sources.common.concurrency import interleave
from sources.common.failures import Failures
from sources.sp_api.client import SpApiClient
from sources.sp_api.exceptions import SpApiError
from sources.sp_api.order_sync import OrderBatch, OrdersSettings, search_orders
from sources.sp_api.orders_v0 import get_orders_v0

log = logging.getLogger("sources.sp_api")

ORDER_KEYS = ("seller_id", "order_id")
ITEM_KEYS = ("seller_id", "order_id", "order_item_id")
_NOT_ORDER_COLUMNS = ("orderItems", "buyer", "recipient")


def _guarded(fetch, client: SpApiClient, failures: Failures | None):  # type: ignore[no-untyped-def]
    """Run one account's fetch; with a Failures collector, a failed account spares the others."""
    try:
        yield from fetch(client)
    except SpApiError as error:
        if failures is None:
            raise
        log.error("orders [%s] failed: %s", client.account.name, error)
        failures.add("orders", client.account.name, error)


@dlt.resource(name="order_pages", selected=False)
def order_pages(
    clients: list[SpApiClient],
    settings: OrdersSettings,
    failures: Failures | None = None,
) -> Iterator[OrderBatch]:
    """Every account's changed orders since its high-water mark, accounts in parallel."""
    state: dict[str, str] = dlt.current.resource_state().setdefault("high_water", {})
    fetch = search_orders if settings.api_version == "2026-01-01" else get_orders_v0
    producers = [
        partial(_guarded, partial(fetch, settings=settings, state=state), client, failures)
        for client in clients
    ]
    yield from interleave(producers, workers=len(producers))


def _base_row(batch: OrderBatch, order: dict[str, Any]) -> dict[str, Any]:
    return {
        "seller_id": batch.account.seller_id,
        "order_id": order["orderId"],
        "marketplace_id": order.get("salesChannel", {}).get("marketplaceId"),
    }


@dlt.transformer(
    name="orders",
    primary_key=ORDER_KEYS,
    write_disposition="merge",
    columns={"last_updated_time": {"dedup_sort": "desc"}},
)
def orders(batch: OrderBatch) -> Iterator[pa.Table]:
    """One row per order; nested objects flattened to `parent__child` columns."""
    rows = []
    for order in batch.orders:
        row = _base_row(batch, order)
        flatten({k: v for k, v in order.items() if k not in _NOT_ORDER_COLUMNS}, out=row)
        row["source_api"] = batch.api
        rows.append(row)
    yield to_table(rows, not_null=ORDER_KEYS)


@dlt.transformer(
    name="order_items",
    primary_key=ITEM_KEYS,
    merge_key=ORDER_KEYS,
    write_disposition="merge",
    columns={"order_last_updated_time": {"dedup_sort": "desc"}},
)
def order_items(batch: OrderBatch) -> Iterator[pa.Table]:
    """One row per order item; an updated order replaces all of its items."""
    rows = []
    for order in batch.orders:
        base = _base_row(batch, order)
        base["order_last_updated_time"] = order.get("lastUpdatedTime")
        for item in order.get("orderItems") or []:
            rows.append(flatten(item, out=dict(base)))
    if rows:
        yield to_table(rows, not_null=ITEM_KEYS)


def _pii_rows(batch: OrderBatch, key: str) -> list[dict[str, Any]]:
    return [
        flatten(order[key], out=_base_row(batch, order)) for order in batch.orders if order.get(key)
    ]


@dlt.transformer(name="order_buyers", primary_key=ORDER_KEYS, write_disposition="merge")
def order_buyers(batch: OrderBatch) -> Iterator[pa.Table]:
    """Buyer PII, only when `include_pii` asked for it; kept apart from `orders`."""
    rows = _pii_rows(batch, "buyer")
    if rows:
        yield to_table(rows, not_null=ORDER_KEYS)


@dlt.transformer(name="order_recipients", primary_key=ORDER_KEYS, write_disposition="merge")
def order_recipients(batch: OrderBatch) -> Iterator[pa.Table]:
    """Delivery addresses (PII), only when `include_pii` asked for them."""
    rows = _pii_rows(batch, "recipient")
    if rows:
        yield to_table(rows, not_null=ORDER_KEYS)
