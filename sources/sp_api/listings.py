"""Listings Items: every listing of every account and marketplace, kept as history.

`listings_items` is loaded with dlt's scd2 merge: a listing whose price, quantity, status or
any other loaded field changed gets a new version, valid from the server time of the snapshot
that saw it; a listing gone from a complete snapshot of its (seller, marketplace) is retired.
A marketplace is snapshotted whole before anything of it is loaded, so a failing account or
marketplace never retires listings it did not finish reading.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dlt
import orjson
import pendulum
import pyarrow as pa
from dlt.common import jsonpath
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from sources.common.arrow import flat_table, struct_array
from sources.common.failures import Failures
from sources.sp_api.client import SpApiClient
from sources.sp_api.fanout import per_account
from sources.sp_api.order_sync import iso
from sources.sp_api.sellers import marketplace_ids

log = logging.getLogger("sources.sp_api")

SEARCH_PATH = "/listings/2021-08-01/items/{seller_id}"
ITEMS_SELECTOR = jsonpath.compile_path("items")
PAGE_SIZE = 20
MAX_RESULTS = 1000  # "at most 1,000 SKUs can be paged through": larger searches are split
EARLIEST = pendulum.datetime(1995, 1, 1)
KEYS = ("seller_id", "marketplace_id", "sku")
SCD2 = {"disposition": "merge", "strategy": "scd2", "row_version_column_name": "row_hash"}
JSON_SECTIONS = ("attributes", "relationships", "productTypes", "procurement")


@dataclass(frozen=True)
class ListingsSettings:
    included_data: tuple[str, ...]


@dataclass(frozen=True)
class ListingsSnapshot:
    """Every listing of one account in one marketplace, as the server showed them at once."""

    client: SpApiClient
    marketplace_id: str
    items: list[dict[str, Any]]
    observed_at: pendulum.DateTime


class ListingsDone:
    """Sent after every snapshot, so that a transformer can act on all of them."""


LISTINGS_DONE = ListingsDone()


def search_listings(
    client: SpApiClient,
    marketplace_id: str,
    settings: ListingsSettings,
    window: tuple[pendulum.DateTime, pendulum.DateTime] | None = None,
) -> list[dict[str, Any]]:
    """Every listing, by creation time; a search past 1,000 results is split in two halves
    that overlap by a second (duplicates are dropped by the caller)."""
    params: dict[str, Any] = {
        "marketplaceIds": marketplace_id,
        "includedData": ",".join(settings.included_data),
        "pageSize": PAGE_SIZE,
        "sortBy": "createdDate",
        "sortOrder": "ASC",
    }
    if window is not None:
        params["createdAfter"], params["createdBefore"] = iso(window[0]), iso(window[1])
    pages = client.rest.paginate(
        SEARCH_PATH.format(seller_id=client.account.seller_id),
        params=params,
        paginator=JSONResponseCursorPaginator("pagination.nextToken", "pageToken"),
        data_selector=ITEMS_SELECTOR,
    )
    first = next(pages, None)
    if first is None:
        return []
    total = int(first.response.json().get("numberOfResults") or 0)
    start, end = window or (EARLIEST, client.server_now())
    if total > MAX_RESULTS:
        if end.diff(start).in_seconds() > 1:
            pages.close()
            middle = start.add(seconds=end.diff(start).in_seconds() // 2)
            return search_listings(
                client, marketplace_id, settings, (start, middle.add(seconds=1))
            ) + search_listings(client, marketplace_id, settings, (middle, end))
        log.warning(
            "listings [%s]: %s listings created within one second in %s; only %s are visible",
            client.account.name,
            total,
            marketplace_id,
            MAX_RESULTS,
        )
    items = list(first)
    for page in pages:
        items.extend(page)
    return items


def snapshot_row(item: dict[str, Any], marketplace_id: str) -> dict[str, Any]:
    """One listing in one marketplace: its summary there, its B2C price, its quantity."""
    summary = next(
        (s for s in item.get("summaries") or [] if s.get("marketplaceId") == marketplace_id), {}
    )
    offers = [o for o in item.get("offers") or [] if o.get("marketplaceId") == marketplace_id]
    b2c = next((o for o in offers if o.get("offerType") == "B2C"), {})
    availability = item.get("fulfillmentAvailability")
    row: dict[str, Any] = {
        "sku": item["sku"],
        **{k: v for k, v in summary.items() if k != "marketplaceId"},
        "price": b2c.get("price"),
        "quantity": None
        if availability is None
        else sum(int(a.get("quantity") or 0) for a in availability),
        "fulfillmentChannels": [a.get("fulfillmentChannelCode") for a in availability or []],
        "offers": offers,
        "issues": [
            issue
            for issue in item.get("issues") or []
            if marketplace_id in (issue.get("marketplaceIds") or [marketplace_id])
        ],
    }
    for section in JSON_SECTIONS:
        if section in item:  # free-form or per-marketplace sections: one JSON text column
            row[section] = orjson.dumps(item[section], option=orjson.OPT_SORT_KEYS).decode()
    return row


def version(seller_id: str, marketplace_id: str, row: dict[str, Any]) -> str:
    """A listing version's identity: its keys and every loaded field."""
    content = orjson.dumps([seller_id, marketplace_id, row], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(content, digest_size=16).hexdigest()


@dlt.resource(name="listing_snapshots", selected=False)
def listing_snapshots(
    clients: list[SpApiClient], settings: ListingsSettings, failures: Failures | None = None
) -> Iterator[ListingsSnapshot | ListingsDone]:
    """One complete snapshot per account and marketplace, accounts in parallel."""

    def fetch(client: SpApiClient) -> Iterator[ListingsSnapshot]:
        for marketplace_id in marketplace_ids(client):
            observed_at = client.server_now()
            items = search_listings(client, marketplace_id, settings)
            unique = list({item["sku"]: item for item in items}.values())
            log.info(
                "listings [%s] %s: %s listings",
                client.account.name,
                marketplace_id,
                f"{len(unique):,}",
            )
            yield ListingsSnapshot(client, marketplace_id, unique, observed_at)

    yield from per_account("listings_items", clients, fetch, failures)
    yield LISTINGS_DONE


@dlt.transformer(name="listings_items", write_disposition=SCD2, merge_key=KEYS[:2])
def listings_items(snapshot: ListingsSnapshot | ListingsDone) -> Iterator[Any]:
    """One version per listing, marketplace and distinct content (scd2)."""
    if not isinstance(snapshot, ListingsSnapshot) or not snapshot.items:
        return
    seller_id = snapshot.client.account.seller_id
    rows = [snapshot_row(item, snapshot.marketplace_id) for item in snapshot.items]
    for row in rows:
        row["row_hash"] = version(seller_id, snapshot.marketplace_id, row)
    columns = {
        "seller_id": pa.array([seller_id] * len(rows)),
        "marketplace_id": pa.array([snapshot.marketplace_id] * len(rows)),
    }
    table = flat_table(struct_array(rows), columns, not_null=(*KEYS, "row_hash"))
    hints = dlt.mark.make_hints(
        write_disposition={**SCD2, "boundary_timestamp": snapshot.observed_at}  # type: ignore[typeddict-unknown-key]
    )
    yield dlt.mark.with_hints(table, hints)
