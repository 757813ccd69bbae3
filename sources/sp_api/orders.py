"""Orders and order items, incremental on the last-updated time, per account in parallel.

Both API versions yield orders in the 2026-01-01 shape (v0 is mapped in `orders_v0.py`), so
switching `orders_api_version` never changes a table or duplicates a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from sources.common.arrow import flat_table
from sources.common.concurrency import interleave
from sources.common.failures import Failures
from sources.common.memory import relaxed_gc
from sources.sp_api.client import SpApiClient
from sources.sp_api.fanout import per_account
from sources.sp_api.order_history import SPLITS_STATE
from sources.sp_api.order_sync import OrderBatch, OrdersSettings, search_orders
from sources.sp_api.orders_v0 import get_orders_v0

ORDER_KEYS = ("seller_id", "order_id")
ITEM_KEYS = ("seller_id", "order_id", "order_item_id")
_NOT_ORDER_COLUMNS = ("orderItems", "buyer", "recipient")


@dataclass(frozen=True)
class OrderTables:
    """One batch's rows of each table, flattened by `order_pages`, inside the bulk extraction:
    the transformers that pick them run after it ended, and flattening there opened its JSON
    database again (measured, 100k orders: 25 MB more through the load)."""

    orders: pa.Table
    items: pa.Table | None
    buyers: pa.Table | None
    recipients: pa.Table | None


@dlt.resource(name="order_pages", selected=False)
def order_pages(
    clients: list[SpApiClient],
    settings: OrdersSettings,
    failures: Failures | None = None,
) -> Iterator[OrderTables]:
    """Every account's changed orders since its high-water mark, accounts in parallel."""
    state: dict[str, str] = dlt.current.resource_state().setdefault("high_water", {})
    splits: dict[str, str] = dlt.current.source_state().setdefault(SPLITS_STATE, {})
    fetch = search_orders if settings.api_version == "2026-01-01" else get_orders_v0
    with relaxed_gc():
        batches = per_account(
            "orders",
            clients,
            partial(_ahead, partial(fetch, settings=settings, state=state, splits=splits)),
            failures,
        )
        yield from map(_tables, batches)


def _ahead(
    fetch: Callable[[SpApiClient], Iterator[OrderBatch]], client: SpApiClient
) -> Iterator[OrderBatch]:
    """The account's batches, the next one fetched in a thread while dlt writes this one (a
    page that fails stops the fetching before the next page is asked for)."""
    return interleave([partial(fetch, client)], workers=1, buffer=1)


def _tables(batch: OrderBatch) -> OrderTables:
    """Every table of the batch, PII's too (none unless `include_pii` asked for it)."""
    return OrderTables(
        _orders_table(batch),
        _items_table(batch),
        _pii_table(batch, "buyer"),
        _pii_table(batch, "recipient"),
    )


def _field(orders: pa.StructArray, *path: str) -> pa.Array:
    """A nested field of every order (nulls where a batch's orders lack it)."""
    array: pa.Array = orders
    for name in path:
        if not any(field.name == name for field in array.type):
            return pa.nulls(len(orders), pa.string())
        array = array.field(name)
    return array


@dlt.transformer(
    name="orders",
    primary_key=ORDER_KEYS,
    write_disposition="merge",
    columns={"last_updated_time": {"dedup_sort": "desc"}},
)
def orders(tables: OrderTables) -> Iterator[pa.Table]:
    """One row per order."""
    yield tables.orders


def _orders_table(batch: OrderBatch) -> pa.Table:
    """One row per order; nested objects flattened to `parent__child` columns."""
    count = len(batch.orders)
    columns = {
        "seller_id": pa.array([batch.account.seller_id] * count),
        "marketplace_id": _field(batch.orders, "salesChannel", "marketplaceId"),
    }
    table = flat_table(batch.orders, columns, not_null=ORDER_KEYS, drop=_NOT_ORDER_COLUMNS)
    return table.append_column("source_api", pa.array([batch.api] * count))


def _owned(batch: OrderBatch, rows: pa.StructArray, owners: pa.Array, **extra: pa.Array):
    """Key columns for `rows`, each belonging to the order at index `owners[i]`."""
    return {
        "seller_id": pa.array([batch.account.seller_id] * len(rows)),
        "order_id": pc.take(_field(batch.orders, "orderId"), owners),
        "marketplace_id": pc.take(_field(batch.orders, "salesChannel", "marketplaceId"), owners),
        **extra,
    }


def _items_table(batch: OrderBatch) -> pa.Table | None:
    """One row per order item, None when the batch's orders came with none."""
    nested = _field(batch.orders, "orderItems")
    if not pa.types.is_list(nested.type):  # no order of the batch came with items
        return None
    items = pc.list_flatten(nested)
    if not len(items):
        return None
    owners = pc.list_parent_indices(nested)
    updated = pc.take(_field(batch.orders, "lastUpdatedTime"), owners)
    columns = _owned(batch, items, owners, order_last_updated_time=updated)
    return flat_table(items, columns, not_null=ITEM_KEYS)


@dlt.transformer(
    name="order_items",
    primary_key=ITEM_KEYS,
    merge_key=ORDER_KEYS,
    write_disposition="merge",
    columns={"order_last_updated_time": {"dedup_sort": "desc"}},
)
def order_items(tables: OrderTables) -> Iterator[pa.Table]:
    """One row per order item; an updated order replaces all of its items."""
    if tables.items is not None:
        yield tables.items


def _pii_table(batch: OrderBatch, key: str) -> pa.Table | None:
    values = _field(batch.orders, key)
    owners = pc.indices_nonzero(pc.is_valid(values))
    if not len(owners):
        return None
    rows = pc.take(values, owners)
    return flat_table(rows, _owned(batch, rows, owners), not_null=ORDER_KEYS)


@dlt.transformer(name="order_buyers", primary_key=ORDER_KEYS, write_disposition="merge")
def order_buyers(tables: OrderTables) -> Iterator[pa.Table]:
    """Buyer PII, only when `include_pii` asked for it; kept apart from `orders`."""
    if tables.buyers is not None:
        yield tables.buyers


@dlt.transformer(name="order_recipients", primary_key=ORDER_KEYS, write_disposition="merge")
def order_recipients(tables: OrderTables) -> Iterator[pa.Table]:
    """Delivery addresses (PII), only when `include_pii` asked for them."""
    if tables.recipients is not None:
        yield tables.recipients
