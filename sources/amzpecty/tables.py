"""The store as warehouse tables: requests, snapshots, variations and matches, merged on rid.

One resource reads the store since its positions (kept in dlt state, so a failed load reads
the same rows again); transformers turn the rows into Arrow tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import dlt
import orjson
import pyarrow as pa

from sources.amzpecty.settings import MATCH, SNAPSHOT, VARIATIONS
from sources.amzpecty.store import Store
from sources.common.arrow import flat_table, struct_array, text_hints


@dataclass(frozen=True)
class StoreRows:
    """Either request rows (dicts) or result rows (seq, rid, responsefor, status, ...)."""

    kind: str  # "requests" or "results"
    rows: list[Any]


@dlt.resource(name="amzpecty_store", selected=False)
def store_rows(store: Store, before: Callable[[], None] | None = None) -> Iterator[StoreRows]:
    """Runs `before` (the Add/wait/poll conversation), then reads what is new in the store."""
    if before is not None:
        before()
    state = dlt.current.resource_state()
    request_seq, result_seq = state.get("request_seq", 0), state.get("result_seq", 0)
    top_request, top_result = store.positions()
    requests = store.requests_since(request_seq, result_seq, top_request, top_result)
    if requests:
        yield StoreRows("requests", requests)
    for rows in store.results_since(result_seq, top_result):
        yield StoreRows("results", rows)
    state["request_seq"], state["result_seq"] = top_request, top_result


def _results(batch: StoreRows, responsefor: str) -> Iterator[tuple[dict[str, Any], dict]]:
    """(columns every row of this result gets, its `data`) for OK results of one queue."""
    if batch.kind != "results":
        return
    for _, rid, kind, status, received_at, via, body in batch.rows:
        if kind != responsefor or status != "OK":
            continue
        envelope = orjson.loads(body)
        if isinstance(envelope.get("data"), dict):
            extra = {
                "rid": rid,
                "processed_at": envelope.get("dateProcessed"),
                "received_at": received_at,
                "received_via": via,
            }
            yield extra, envelope["data"]


def _table(extras: list[dict[str, Any]], records: list[dict[str, Any]], keys) -> pa.Table:
    columns = {name: pa.array([e[name] for e in extras]) for name in extras[0]}
    return flat_table(struct_array(records), columns, not_null=keys)


REQUEST_KEYS = ("rid",)
ROW_KEYS = ("rid", "asin")


@dlt.transformer(
    name="amzpecty_requests",
    primary_key=REQUEST_KEYS,
    write_disposition="merge",
    columns=text_hints("completed_at", "received_via"),
)
def amzpecty_requests(batch: StoreRows) -> Iterator[pa.Table]:
    """One row per Add call: what was asked, when, and where its result stands."""
    if batch.kind == "requests":
        yield flat_table(struct_array(batch.rows), not_null=REQUEST_KEYS)


@dlt.transformer(
    name="asin_snapshots",
    primary_key=REQUEST_KEYS,
    write_disposition="merge",
    columns=text_hints("parent_asin"),
)
def asin_snapshots(batch: StoreRows) -> Iterator[pa.Table]:
    """One row per snapshot rid, so every ASIN has a history over time."""
    found = list(_results(batch, SNAPSHOT))
    if found:
        yield _table([e for e, _ in found], [d for _, d in found], REQUEST_KEYS)


def _children(batch: StoreRows, responsefor: str, parent: tuple[str, ...], field: str):
    """One row per child record (variant, match) with its parent's scalar fields."""
    extras, records = [], []
    for extra, data in _results(batch, responsefor):
        shared = {name: data.get(name) for name in parent}
        for child in data.get(field) or []:
            extras.append(extra)
            records.append({**shared, **child})
    if records:
        yield _table(extras, records, ROW_KEYS)


@dlt.transformer(
    name="product_variations", primary_key=ROW_KEYS, merge_key="rid", write_disposition="merge"
)
def product_variations(batch: StoreRows) -> Iterator[pa.Table]:
    """One row per variant of a parent ASIN, per variations rid."""
    yield from _children(batch, VARIATIONS, ("parentAsin", "totalVariations"), "variants")


@dlt.transformer(
    name="asin_matches",
    primary_key=ROW_KEYS,
    merge_key="rid",
    write_disposition="merge",
    columns=text_hints("parent_asin"),
)
def asin_matches(batch: StoreRows) -> Iterator[pa.Table]:
    """One row per ASIN a product id (UPC/EAN/ISBN) matched, per match rid."""
    yield from _children(batch, MATCH, ("productId", "totalMatch"), "match")
