"""MWS orders and their items: ListOrders windows per account (items fetched per order,
concurrently within the quota), plus saved ListOrders/ListOrderItems files from an archive."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import dlt
import pendulum
import pyarrow as pa

from sources.common import xml
from sources.common.arrow import flat_table, struct_array
from sources.common.concurrency import interleave
from sources.common.failures import Failures
from sources.common.timefmt import utc_iso
from sources.legacy_files import files as archive
from sources.mws import documents
from sources.mws.client import MwsClient
from sources.mws.exceptions import MwsError
from sources.mws.settings import ITEM_WORKERS, ORDERS, ORDERS_BATCH

log = logging.getLogger("sources.mws")

ORDER_KEYS = ("seller_id", "amazon_order_id")
ITEM_KEYS = ("seller_id", "amazon_order_id", "order_item_id")
ARCHIVE_KEY = "sources.mws.archive_folder"


@dataclass(frozen=True)
class OrdersWindow:
    start: pendulum.DateTime
    end: pendulum.DateTime | None  # None: up to two minutes before now
    lag_seconds: int


@dataclass(frozen=True)
class OrderBatch:
    """Orders (with buyer fields split off) and items of one seller, MWS field names."""

    seller_id: str
    orders: list[dict[str, Any]]
    buyers: list[dict[str, Any]]
    items: list[dict[str, Any]]


def _iso(moment: pendulum.DateTime) -> str:
    return moment.in_timezone("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _items(client: MwsClient, order: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    pages = client.pages(ORDERS, "ListOrderItems", {"AmazonOrderId": order["AmazonOrderId"]})
    for result in pages:
        found += documents.order_items(result)[1]
    for item in found:
        item["AmazonOrderId"] = order["AmazonOrderId"]
        item["OrderLastUpdateDate"] = order.get("LastUpdateDate")
    return found


def _batch(seller_id: str, orders: list[dict[str, Any]], items: list[dict[str, Any]]):
    buyers = []
    for order in orders:
        pii = documents.split_pii(order)
        if pii:
            buyers.append({"AmazonOrderId": order["AmazonOrderId"], **pii})
    return OrderBatch(seller_id, orders, buyers, items)


def live_orders(
    client: MwsClient, window: OrdersWindow, state: dict[str, str]
) -> Iterator[OrderBatch]:
    """One account's orders updated in its window; the mark moves to the echoed bound
    (without an end, the server's own: two minutes before its clock)."""
    account = client.account
    mark = state.get(account.seller_id)
    after = (
        pendulum.parse(mark).subtract(seconds=window.lag_seconds) if mark else window.start  # type: ignore[union-attr]
    )
    params = {"LastUpdatedAfter": _iso(after)}
    if window.end is not None:
        if window.end <= after:
            return
        params["LastUpdatedBefore"] = _iso(window.end)
    for n, marketplace in enumerate(account.marketplace_ids, start=1):
        params[f"MarketplaceId.Id.{n}"] = marketplace
    echoed = None
    orders: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    with ThreadPoolExecutor(ITEM_WORKERS, thread_name_prefix="mws-items") as pool:
        for result in client.pages(ORDERS, "ListOrders", params):
            echoed = xml.text(result, "LastUpdatedBefore") or echoed
            page = documents.orders(result)
            orders += page
            items += [i for found in pool.map(partial(_items, client), page) for i in found]
            if len(orders) >= ORDERS_BATCH:
                log.info("mws orders [%s]: %s more orders", account.name, len(orders))
                yield _batch(account.seller_id, orders, items)
                orders, items = [], []
    if orders:
        yield _batch(account.seller_id, orders, items)
    if echoed:
        state[account.seller_id] = utc_iso(echoed)  # type: ignore[assignment]


def _saved_orders(file: archive.ArchiveFile) -> Iterator[OrderBatch]:
    """A saved ListOrders/GetOrder response, with file and element index."""
    orders = documents.orders(file.xml())
    for index, order in enumerate(orders):
        order.update(source_file=file.name, source_index=index)
    yield _batch(archive.seller_of(file), orders, [])


def _saved_items(file: archive.ArchiveFile) -> Iterator[OrderBatch]:
    """A saved ListOrderItems response, with file and element index."""
    order_id, items = documents.order_items(file.xml())
    for index, item in enumerate(items):
        item.update(AmazonOrderId=order_id, source_file=file.name, source_index=index)
    yield _batch(archive.seller_of(file), [], items)


SAVED = {archive.MWS_ORDERS: _saved_orders, archive.MWS_ORDER_ITEMS: _saved_items}


def guarded(fetch, name: str, failures: Failures | None, resource: str):  # type: ignore[no-untyped-def]
    """Run one account's fetch; with a Failures collector, a failed account spares the others."""
    try:
        yield from fetch()
    except MwsError as error:
        if failures is None:
            raise
        log.error("mws %s [%s] failed: %s", resource, name, error)
        failures.add(resource, name, error)


@dlt.resource(name="order_batches", selected=False)
def order_batches(
    clients: list[MwsClient],
    window: OrdersWindow,
    archive_folder: str | None,
    failures: Failures | None = None,
) -> Iterator[OrderBatch]:
    """Every account's changed orders, accounts in parallel, then the archive's new files."""
    state = dlt.current.resource_state()
    marks: dict[str, str] = state.setdefault("high_water", {})
    producers = [
        partial(
            guarded,
            partial(live_orders, client, window, marks),
            client.account.name,
            failures,
            "mws orders",
        )
        for client in clients
    ]
    yield from interleave(producers, workers=max(1, len(producers)), buffer=2)
    if archive_folder:
        yield from archive.load(archive_folder, SAVED, state, failures, ARCHIVE_KEY)


def _table(seller_id: str, records: list[dict[str, Any]], keys: tuple[str, ...]) -> pa.Table:
    columns = {"seller_id": pa.array([seller_id] * len(records), pa.string())}
    return flat_table(struct_array(records), columns, not_null=keys)


@dlt.transformer(
    name="orders",
    primary_key=ORDER_KEYS,
    write_disposition="merge",
    columns={"last_update_date": {"dedup_sort": "desc"}},
)
def orders(batch: OrderBatch) -> Iterator[pa.Table]:
    """One row per order, MWS's fields flattened (`order_total__amount`)."""
    if batch.orders:
        yield _table(batch.seller_id, batch.orders, ORDER_KEYS)


@dlt.transformer(
    name="order_items",
    primary_key=ITEM_KEYS,
    write_disposition="merge",
    columns={"order_last_update_date": {"dedup_sort": "desc"}},
)
def order_items(batch: OrderBatch) -> Iterator[pa.Table]:
    """One row per order item (items of a file are merged by key, never replaced by order)."""
    if batch.items:
        yield _table(batch.seller_id, batch.items, ITEM_KEYS)


@dlt.transformer(name="order_buyers", primary_key=ORDER_KEYS, write_disposition="merge")
def order_buyers(batch: OrderBatch) -> Iterator[pa.Table]:
    """Buyer names, e-mails and addresses: loaded only when include_pii asks for them."""
    if batch.buyers:
        yield _table(batch.seller_id, batch.buyers, ORDER_KEYS)
