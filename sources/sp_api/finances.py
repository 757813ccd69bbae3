"""Finances: v0 financial event groups and financial events, and 2024-06-19 transactions, each
incremental on its posted (or started) date in windows the models allow: at most 180 days,
ending more than two minutes before the server's now. A lookback re-reads recent days, since
Amazon posts some events late; keys make the re-read rows replace themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import dlt
import orjson
import pendulum
import pyarrow as pa
from dlt.common import jsonpath
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from sources.common.arrow import flat_table, struct_array
from sources.common.failures import Failures
from sources.common.memory import relaxed_gc
from sources.sp_api.client import Account, SpApiClient
from sources.sp_api.fanout import per_account
from sources.sp_api.report_windows import iso, parse

MAX_WINDOW_DAYS = 180  # "If PostedAfter and PostedBefore are more than 180 days apart, the
# response is empty"
SAFETY_SECONDS = 180  # PostedBefore "must be more than two minutes before" now; a minute more
GROUP_LOOKBACK_DAYS = 30  # open groups keep changing until they close (every 14 days)
PAGE_SIZE = 100
BATCH_RECORDS = 2_000  # records per Arrow table handed to dlt, whose cost is per table
EVENT_KEYS = ("seller_id", "event_id")
AMOUNT_KEYS = ("seller_id", "event_id", "line")
# per list of amounts: (amount type, the key naming it, the key holding the money)
ITEM_AMOUNTS = {
    "ItemChargeList": ("Charge", "ChargeType", "ChargeAmount"),
    "ItemChargeAdjustmentList": ("ChargeAdjustment", "ChargeType", "ChargeAmount"),
    "ItemFeeList": ("Fee", "FeeType", "FeeAmount"),
    "ItemFeeAdjustmentList": ("FeeAdjustment", "FeeType", "FeeAmount"),
    "PromotionList": ("Promotion", "PromotionType", "PromotionAmount"),
    "PromotionAdjustmentList": ("PromotionAdjustment", "PromotionType", "PromotionAmount"),
}
EVENT_AMOUNTS = {
    "OrderChargeList": ("Charge", "ChargeType", "ChargeAmount"),
    "OrderChargeAdjustmentList": ("ChargeAdjustment", "ChargeType", "ChargeAmount"),
    "ShipmentFeeList": ("Fee", "FeeType", "FeeAmount"),
    "ShipmentFeeAdjustmentList": ("FeeAdjustment", "FeeType", "FeeAmount"),
    "OrderFeeList": ("Fee", "FeeType", "FeeAmount"),
    "OrderFeeAdjustmentList": ("FeeAdjustment", "FeeType", "FeeAmount"),
    "DirectPaymentList": ("DirectPayment", "DirectPaymentType", "DirectPaymentAmount"),
}
ITEM_LISTS = ("ShipmentItemList", "ShipmentItemAdjustmentList")
EVENTS_SELECTOR = jsonpath.compile_path("payload.FinancialEvents")


@dataclass(frozen=True)
class FinanceSettings:
    start: pendulum.DateTime
    lookback_days: int
    history_days: int | None  # how far back a first run reads; None: from `start`


@dataclass(frozen=True)
class EventBatch:
    """Financial events of one account: (list name, event) in the order Amazon gave them."""

    account: Account
    events: list[tuple[str, dict[str, Any]]]
    ordinals: list[int]  # each event's place among identical events of its window


def windows(
    client: SpApiClient, cursor: str | None, settings: FinanceSettings, lookback_days: int
) -> list[tuple[pendulum.DateTime, pendulum.DateTime]]:
    """[after, before) ranges of at most 180 days from the cursor (less the lookback)."""
    limit = client.server_now().subtract(seconds=SAFETY_SECONDS)
    first = settings.start
    if settings.history_days is not None:
        first = max(first, limit.start_of("day").subtract(days=settings.history_days))
    start = first if cursor is None else max(first, parse(cursor).subtract(days=lookback_days))
    found = []
    while start < limit:
        end = min(start.add(days=MAX_WINDOW_DAYS), limit)
        found.append((start, end))
        start = end
    return found


def _pages(
    client: SpApiClient, path: str, params: dict[str, Any], token: str, selector: Any
) -> Iterator[list[Any]]:
    """Pages joined into lists of about BATCH_RECORDS records (v0 pages hold 100 at most)."""
    paginator = JSONResponseCursorPaginator(cursor_path=f"payload.{token}", cursor_param=token)
    batch: list[Any] = []
    for page in client.rest.paginate(
        path, params=params, paginator=paginator, data_selector=selector
    ):
        batch.extend(page)
        if len(batch) >= BATCH_RECORDS:
            yield batch
            batch = []
    if batch:
        yield batch


def _incremental(
    client: SpApiClient,
    state: dict[str, str],
    settings: FinanceSettings,
    lookback_days: int,
    fetch: Callable[[pendulum.DateTime, pendulum.DateTime], Iterator[Any]],
) -> Iterator[Any]:
    """Each window's items; the seller's cursor moves once a window is read whole."""
    seller_id = client.account.seller_id
    for after, before in windows(client, state.get(seller_id), settings, lookback_days):
        yield from fetch(after, before)
        state[seller_id] = iso(before)


def _event_pages(client: SpApiClient, after: Any, before: Any) -> Iterator[EventBatch]:
    params = {
        "PostedAfter": iso(after),
        "PostedBefore": iso(before),
        "MaxResultsPerPage": PAGE_SIZE,
    }
    seen: dict[str, int] = {}
    for page in _pages(
        client, "/finances/v0/financialEvents", params, "NextToken", EVENTS_SELECTOR
    ):
        events = [
            (name, event)
            for lists in page
            for name, found in lists.items()
            if isinstance(found, list)
            for event in found
        ]
        ordinals = []
        for name, event in events:
            digest = _digest(name, event)
            ordinals.append(seen.get(digest, 0))
            seen[digest] = ordinals[-1] + 1
        if events:
            yield EventBatch(client.account, events, ordinals)


def _digest(name: str, event: dict[str, Any]) -> str:
    """Events have no ids: the same event always hashes the same."""
    canonical = orjson.dumps([name, event], option=orjson.OPT_SORT_KEYS)
    return hashlib.md5(canonical, usedforsecurity=False).hexdigest()


def event_id(name: str, event: dict[str, Any], ordinal: int) -> str:
    return f"{_digest(name, event)}-{ordinal}"


def _per_account(
    clients: list[SpApiClient],
    settings: FinanceSettings,
    failures: Failures | None,
    name: str,
    lookback_days: int,
    fetch: Callable[[SpApiClient, Any, Any], Iterator[Any]],
) -> Iterator[Any]:
    """Every account's windows since its cursor (kept in the calling resource's state),
    accounts in parallel; a failed account spares the others."""
    state: dict[str, str] = dlt.current.resource_state().setdefault("posted", {})

    def windows(client: SpApiClient) -> Iterator[Any]:
        return _incremental(client, state, settings, lookback_days, partial(fetch, client))

    with relaxed_gc():
        yield from per_account(name, clients, windows, failures)


@dlt.resource(name="financial_event_pages", selected=False)
def financial_event_pages(
    clients: list[SpApiClient], settings: FinanceSettings, failures: Failures | None = None
) -> Iterator[EventBatch]:
    """Every account's financial events posted since its cursor, accounts in parallel."""
    yield from _per_account(
        clients, settings, failures, "financial_events", settings.lookback_days, _event_pages
    )


@dlt.transformer(name="financial_events", primary_key=EVENT_KEYS, write_disposition="merge")
def financial_events(batch: EventBatch) -> Iterator[pa.Table]:
    """One row per event of any of the 34 kinds; lists inside an event as JSON text."""
    by_kind: dict[str, list[tuple[dict[str, Any], int]]] = {}
    for (name, event), ordinal in zip(batch.events, batch.ordinals, strict=True):
        by_kind.setdefault(name, []).append((event, ordinal))
    tables = []
    for name, found in by_kind.items():
        events = [event for event, _ in found]
        columns = {
            "seller_id": pa.array([batch.account.seller_id] * len(events)),
            "event_id": pa.array([event_id(name, e, o) for e, o in found]),
            "event_type": pa.array([name.removesuffix("List")] * len(events)),
            "posted_date": pa.array([e.get("PostedDate") for e in events], pa.string()),
            "amazon_order_id": pa.array([e.get("AmazonOrderId") for e in events], pa.string()),
            "marketplace_name": pa.array([e.get("MarketplaceName") for e in events], pa.string()),
        }
        drop = ("PostedDate", "AmazonOrderId", "MarketplaceName")
        tables.append(flat_table(struct_array(events), columns, not_null=EVENT_KEYS, drop=drop))
    # one table per batch: kinds differ in columns, and dlt starts a file per schema change
    yield pa.concat_tables(tables, promote_options="permissive")


def _amount_rows(batch: EventBatch) -> Iterator[dict[str, Any]]:
    for (name, event), ordinal in zip(batch.events, batch.ordinals, strict=True):
        common = {
            "seller_id": batch.account.seller_id,
            "event_id": event_id(name, event, ordinal),
            "event_type": name.removesuffix("List"),
            "posted_date": event.get("PostedDate"),
            "amazon_order_id": event.get("AmazonOrderId"),
            "marketplace_name": event.get("MarketplaceName"),
        }
        line = 0
        sources = [(None, event, EVENT_AMOUNTS)]
        sources += [
            (item, item, ITEM_AMOUNTS)
            for key in ITEM_LISTS
            for item in event.get(key) or []
            if isinstance(item, dict)
        ]
        for item, holder, lists in sources:
            for list_name, (kind, label, money) in lists.items():
                for component in holder.get(list_name) or []:
                    value = component.get(money) or {}
                    amount = value.get("CurrencyAmount")
                    yield {
                        **common,
                        "line": line,
                        "order_item_id": item.get("OrderItemId") if item else None,
                        "order_adjustment_item_id": item.get("OrderAdjustmentItemId")
                        if item
                        else None,
                        "seller_sku": item.get("SellerSKU") if item else None,
                        "quantity": item.get("QuantityShipped") if item else None,
                        "amount_type": kind,
                        "amount_description": component.get(label),
                        "currency_code": value.get("CurrencyCode"),
                        "amount": None if amount is None else repr(amount),
                    }
                    line += 1


AMOUNT_SCHEMA = pa.schema(
    [
        pa.field("seller_id", pa.string(), nullable=False),
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("event_type", pa.string()),
        pa.field("posted_date", pa.string()),
        pa.field("amazon_order_id", pa.string()),
        pa.field("marketplace_name", pa.string()),
        pa.field("line", pa.int64(), nullable=False),
        pa.field("order_item_id", pa.string()),
        pa.field("order_adjustment_item_id", pa.string()),
        pa.field("seller_sku", pa.string()),
        pa.field("quantity", pa.int64()),
        pa.field("amount_type", pa.string()),
        pa.field("amount_description", pa.string()),
        pa.field("currency_code", pa.string()),
        pa.field("amount", pa.string()),
    ]
)


@dlt.transformer(name="financial_event_amounts", primary_key=AMOUNT_KEYS, write_disposition="merge")
def financial_event_amounts(batch: EventBatch) -> Iterator[pa.Table]:
    """One row per amount (charge, fee, promotion, ...) of an event or one of its items: the
    grain fees, refunds and profit are summed on."""
    rows = list(_amount_rows(batch))
    if rows:
        yield pa.Table.from_pylist(rows, schema=AMOUNT_SCHEMA)


def _keyed_table(client: SpApiClient, records: list[dict[str, Any]], key: str) -> pa.Table:
    columns = {"seller_id": pa.array([client.account.seller_id] * len(records))}
    return flat_table(struct_array(records), columns, not_null=("seller_id", key))


def _group_pages(client: SpApiClient, after: Any, before: Any) -> Iterator[pa.Table]:
    params = {
        "FinancialEventGroupStartedAfter": iso(after),
        "FinancialEventGroupStartedBefore": iso(before),
        "MaxResultsPerPage": PAGE_SIZE,
    }
    selector = "payload.FinancialEventGroupList"
    for page in _pages(client, "/finances/v0/financialEventGroups", params, "NextToken", selector):
        if page:
            yield _keyed_table(client, page, "financial_event_group_id")


@dlt.resource(
    name="financial_event_groups",
    primary_key=("seller_id", "financial_event_group_id"),
    write_disposition="merge",
)
def financial_event_groups(
    clients: list[SpApiClient], settings: FinanceSettings, failures: Failures | None = None
) -> Iterator[pa.Table]:
    """Settlement periods (financial event groups): open ones are re-read until they close."""
    yield from _per_account(
        clients, settings, failures, "financial_event_groups", GROUP_LOOKBACK_DAYS, _group_pages
    )


def _transaction_pages(client: SpApiClient, after: Any, before: Any) -> Iterator[pa.Table]:
    params = {"postedAfter": iso(after), "postedBefore": iso(before)}
    for page in _pages(
        client, "/finances/2024-06-19/transactions", params, "nextToken", "payload.transactions"
    ):
        if page:
            yield _keyed_table(client, page, "transaction_id")


@dlt.resource(
    name="financial_transactions",
    primary_key=("seller_id", "transaction_id"),
    write_disposition="merge",
)
def financial_transactions(
    clients: list[SpApiClient], settings: FinanceSettings, failures: Failures | None = None
) -> Iterator[pa.Table]:
    """Finances 2024-06-19 transactions, incremental on their posted date."""
    yield from _per_account(
        clients,
        settings,
        failures,
        "financial_transactions",
        settings.lookback_days,
        _transaction_pages,
    )
