"""Fetching one account's changed orders: windows, high-water marks, the 2026-01-01 search."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pendulum
import pyarrow as pa
from dlt.common import jsonpath

from sources.common.arrow import struct_array
from sources.sp_api.client import Account, SpApiClient
from sources.sp_api.exceptions import MalformedResponseError
from sources.sp_api.order_history import OrderHistory
from sources.sp_api.paginators import EchoCursorPaginator
from sources.sp_api.sellers import marketplace_ids
from sources.sp_api.settings import ORDERS_BATCH_ORDERS, PAGE_SIZE

log = logging.getLogger("sources.sp_api")

SEARCH_ORDERS_PATH = "/orders/2026-01-01/orders"
ORDERS_SELECTOR = jsonpath.compile_path("orders")  # compiled once; dlt compiles strings per page
SEARCH_ORDERS = "orders_2026-01-01.searchOrders"
GET_ORDERS_V0 = "ordersV0.getOrders"
API_NAMES = {SEARCH_ORDERS: "orders_2026-01-01", GET_ORDERS_V0: "ordersV0"}  # rows' source_api


@dataclass(frozen=True)
class OrdersSettings:
    history: OrderHistory  # a first run starts where the orders report's backfill ends
    lag_seconds: int
    api_version: str
    included_data: tuple[str, ...]


@dataclass(frozen=True)
class OrderBatch:
    """Orders of one account in the 2026-01-01 shape (one Arrow struct per order), as one
    API version delivered them; converted once, in the fetching thread."""

    account: Account
    api: str
    orders: pa.StructArray


def iso(moment: pendulum.DateTime) -> str:
    return moment.in_timezone("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def window_start(
    settings: OrdersSettings, high_water: str | None, client: SpApiClient, splits: dict[str, str]
) -> pendulum.DateTime:
    """The first run starts at the history split; later runs re-read `lag_seconds` before the
    mark."""
    if high_water is None:
        return settings.history.split(client, splits)
    return pendulum.parse(high_water).subtract(seconds=settings.lag_seconds)  # type: ignore[union-attr]


def advance(state: dict[str, str], seller_id: str, echoed: str | None) -> None:
    """Move the high-water mark to the server's echoed upper bound, never backwards."""
    if not echoed:
        return
    current = state.get(seller_id)
    if current is None or pendulum.parse(echoed) > pendulum.parse(current):  # type: ignore[operator]
        state[seller_id] = echoed


def search_orders(
    client: SpApiClient, settings: OrdersSettings, state: dict[str, str], splits: dict[str, str]
) -> Iterator[OrderBatch]:
    """Orders API 2026-01-01: items come inline, one call per 100 orders."""
    account = client.account
    after = window_start(settings, state.get(account.seller_id), client, splits)
    params: dict[str, Any] = {
        "lastUpdatedAfter": iso(after),
        "maxResultsPerPage": PAGE_SIZE,
        "includedData": ",".join(settings.included_data),
    }
    marketplaces = marketplace_ids(client)
    if marketplaces:
        params["marketplaceIds"] = ",".join(marketplaces)
    paginator = EchoCursorPaginator("pagination.nextToken", "paginationToken", "lastUpdatedBefore")
    pages = client.paginate(
        SEARCH_ORDERS_PATH,
        ("orderId", "orderItems.orderItemId"),
        params=params,
        paginator=paginator,
        data_selector=ORDERS_SELECTOR,
    )
    yield from batched(account, SEARCH_ORDERS, pages)
    advance(state, account.seller_id, paginator.echo)


def batched(account: Account, operation: str, pages: Iterator[list[dict[str, Any]]]):
    """Group pages into batches of ~2,000 orders (dlt handles few large tables faster); each
    page becomes Arrow as it arrives, so no page's dicts outlive it (they set the process's
    peak memory, which Python keeps after they are freed)."""
    parts: list[pa.Table] = []
    count, total, first = 0, 0, 1
    for number, page in enumerate(pages, start=1):
        if page:
            parts.append(_arrow(account, operation, page, (first, number)))
            count += len(page)
        if count >= ORDERS_BATCH_ORDERS:
            total += count
            log.info("orders [%s]: %s orders so far", account.name, f"{total:,}")
            yield _batch(account, operation, parts, (first, number))
            parts, count, first = [], 0, number + 1
    if parts:
        total += count
        yield _batch(account, operation, parts, (first, number))
    log.info("orders [%s]: %s orders", account.name, f"{total:,}")


def _arrow(
    account: Account, operation: str, orders: list[dict[str, Any]], pages: tuple[int, int]
) -> pa.Table:
    """One page's orders as a table of their top-level fields."""
    try:
        return pa.Table.from_struct_array(struct_array(orders))
    except pa.ArrowException as error:
        raise _not_a_table(account, operation, pages, error) from None


def _batch(
    account: Account, operation: str, parts: list[pa.Table], pages: tuple[int, int]
) -> OrderBatch:
    """The pages' orders as one struct per order; orders whose fields do not form one table (a
    field a number in one order and text in another) fail, naming their pages."""
    try:
        table = pa.concat_tables(parts, promote_options="permissive").combine_chunks()
    except pa.ArrowException as error:
        raise _not_a_table(account, operation, pages, error) from None
    return OrderBatch(account, API_NAMES[operation], table.to_struct_array().combine_chunks())


def _not_a_table(
    account: Account, operation: str, pages: tuple[int, int], error: Exception
) -> MalformedResponseError:
    failed = MalformedResponseError(
        f"{operation}: the orders of pages {pages[0]} to {pages[1]} do not form a table ({error})",
        operation=operation,
    )
    failed.account = account.name
    return failed
