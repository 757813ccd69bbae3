"""A world larger than the session's, for the volume and rate-limit rows: its ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

import sandbox
from tests.conftest import TEST_TIME_SCALE, WORLD_ORIGIN

VOLUME_ORDERS = 10_000  # a tenth of the benchmark's; the North America seller pages past a burst
ORDERS_REPORT = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"


@pytest.fixture(scope="module")
def volume_sandbox() -> Iterator[sandbox.Sandbox]:
    running = sandbox.start(
        seed=11,
        orders=VOLUME_ORDERS,
        time_scale=TEST_TIME_SCALE,
        start=WORLD_ORIGIN,
        origin=WORLD_ORIGIN,
        frozen=True,
    )
    yield running
    running.stop()


def world_orders(running: sandbox.Sandbox) -> dict[str, tuple[set[str], int]]:
    """Per seller: the ids of the orders the world shows now, and how many items they hold."""
    at = running.app.world_time()
    truth = {}
    for seller_id, book in running.app.world.order_books.items():
        visible = book.visible_count(at)
        truth[seller_id] = (
            {book.order_id(i) for i in range(visible)},
            int(book.item_start[visible]),
        )
    return truth


def loaded_orders(path: Path) -> dict[str, tuple[set[str], int]]:
    """Per seller: the order ids in the Orders API's and the orders report's tables, and their
    items (the API's items, plus report rows of orders only the report holds)."""
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "select seller_id, order_id, 'api' from sp_api.orders union all "
            "select distinct seller_id, amazon_order_id, 'report' from sp_api.report_order_items"
        ).fetchall()
        items = dict(
            connection.execute(
                "select seller_id, count(*) from ("
                " select seller_id from sp_api.order_items union all"
                " select seller_id from sp_api.report_order_items r where not exists ("
                "  select 1 from sp_api.orders o"
                "  where o.seller_id = r.seller_id and o.order_id = r.amazon_order_id))"
                " group by 1"
            ).fetchall()
        )
    loaded: dict[str, set[str]] = {}
    for seller_id, order_id, _ in rows:
        loaded.setdefault(seller_id, set()).add(order_id)
    return {seller: (ids, items.get(seller, 0)) for seller, ids in loaded.items()}
