"""Catalog Items: what Amazon's catalog says of every ASIN the accounts sell or sold.

`catalog_items` reads every listing snapshot of the run, then, once all have arrived, the
ASINs in the warehouse's orders and listings (loaded by earlier runs) and the configured
`catalog_asins`. ASINs described less than `catalog_max_age_days` ago are skipped; the rest
are looked up 20 per searchCatalogItems call, a single one with getCatalogItem, one account
per marketplace, marketplaces in parallel. Rows are keyed by (marketplace_id, asin): catalog
data belongs to the marketplace, not to a seller.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import dlt
import orjson
import pendulum
import pyarrow as pa

from sources.common.arrow import flat_table, struct_array
from sources.common.clock import Clock
from sources.common.concurrency import interleave
from sources.common.failures import Failures, guarded
from sources.sp_api.client import SpApiClient
from sources.sp_api.exceptions import NotFoundError, SpApiError
from sources.sp_api.listings import ListingsDone, ListingsSnapshot
from sources.sp_api.operations import operation_items
from sources.sp_api.sellers import marketplace_ids
from sources.sp_api.warehouse import read_rows

log = logging.getLogger("sources.sp_api")

BATCH = 20  # identifiers per searchCatalogItems call, the most the API takes
ROWS_PER_TABLE = 1000
KEYS = ("marketplace_id", "asin")
JSON_SECTIONS = ("attributes",)
KNOWN_ASINS_SQL = (
    ("order_items", "select distinct marketplace_id, product__asin from {table}"),
    ("listings_items", "select distinct marketplace_id, asin from {table}"),
)
REFRESHED_SQL = "select marketplace_id, asin, max(refreshed_at) from {table} group by 1, 2"


@dataclass(frozen=True)
class CatalogSettings:
    included_data: tuple[str, ...]
    max_age_days: float
    extra_asins: tuple[str, ...]


@dataclass
class CatalogRefresh:
    """The ASINs a run has seen, per marketplace, and the account that can look them up."""

    clients: list[SpApiClient]
    settings: CatalogSettings
    clock: Clock
    seen: dict[str, set[str]] = field(default_factory=dict)

    def collect(self, snapshot: ListingsSnapshot) -> None:
        asins = {
            summary["asin"]
            for item in snapshot.items
            for summary in item.get("summaries") or []
            if summary.get("asin")
        }
        self.seen.setdefault(snapshot.marketplace_id, set()).update(asins)

    def stale(self) -> dict[str, list[str]]:
        """ASINs per marketplace that no catalog row describes recently enough."""
        wanted = {m: set(asins) for m, asins in self.seen.items()}
        for table, sql in KNOWN_ASINS_SQL:
            for marketplace_id, asin in read_rows(table, sql):
                if asin:
                    wanted.setdefault(marketplace_id, set()).add(asin)
        markets = {m for client in self.clients for m in marketplace_ids(client)}
        for marketplace_id in markets:
            wanted.setdefault(marketplace_id, set()).update(self.settings.extra_asins)
        oldest = self.clock.now().subtract(seconds=self.settings.max_age_days * 86400)
        for marketplace_id, asin, refreshed in read_rows("catalog_items", REFRESHED_SQL):
            if refreshed is not None and refreshed >= oldest:
                wanted.get(marketplace_id, set()).discard(asin)
        # the warehouse holds every seller's ASINs: a marketplace none of this run's accounts
        # sells in (another seller's pipeline) is that seller's to describe
        ours = markets | set(self.seen)
        return {m: sorted(a) for m, a in sorted(wanted.items()) if a and m in ours}

    def client_for(self, marketplace_id: str) -> SpApiClient | None:
        return next((c for c in self.clients if marketplace_id in marketplace_ids(c)), None)


def search_catalog(
    client: SpApiClient, marketplace_id: str, asins: list[str], included: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Up to 20 ASINs in one searchCatalogItems call (ASINs it does not know are left out)."""
    params = {
        "identifiers": asins,
        "identifiersType": "ASIN",
        "marketplaceIds": marketplace_id,
        "includedData": included,
        "pageSize": BATCH,
    }
    return operation_items(client, "catalogItems_2022-04-01", "searchCatalogItems", params)


def get_catalog_item(
    client: SpApiClient, marketplace_id: str, asin: str, included: tuple[str, ...]
) -> dict[str, Any] | None:
    """One ASIN with getCatalogItem; None when the catalog does not know it."""
    params = {"asin": asin, "marketplaceIds": marketplace_id, "includedData": included}
    try:
        (item,) = operation_items(client, "catalogItems_2022-04-01", "getCatalogItem", params)
    except NotFoundError:
        return None
    return item


def catalog_row(item: dict[str, Any], marketplace_id: str) -> dict[str, Any]:
    """An item's sections as they read in one marketplace (each per-marketplace list holds
    one entry per marketplace asked for)."""
    row: dict[str, Any] = {"asin": item["asin"]}
    for section, value in item.items():
        if section == "asin":
            continue
        if section in JSON_SECTIONS:
            row[section] = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
            continue
        entry = next(
            (
                e
                for e in value or []
                if isinstance(e, dict) and e.get("marketplaceId") == marketplace_id
            ),
            None,
        )
        if entry is not None:
            row[section] = {k: v for k, v in entry.items() if k != "marketplaceId"}
    return row


@dataclass(frozen=True)
class Described:
    """ASINs of one marketplace as one call described them, and when."""

    marketplace_id: str
    items: list[dict[str, Any]]
    at: pendulum.DateTime


def _lookups(
    client: SpApiClient,
    marketplace_id: str,
    asins: list[str],
    settings: CatalogSettings,
    clock: Clock,
) -> Iterator[Described]:
    """One marketplace's stale ASINs, 20 per call; a lone remainder by getCatalogItem. Rows
    are built by the consumer, so that this thread keeps to the usage plan's pace."""
    included = settings.included_data
    for start in range(0, len(asins), BATCH):
        batch = asins[start : start + BATCH]
        if len(batch) == 1:
            single = get_catalog_item(client, marketplace_id, batch[0], included)
            items = [single] if single is not None else []
        else:
            items = search_catalog(client, marketplace_id, batch, included)
        if items:
            yield Described(marketplace_id, items, clock.now())
    log.info("catalog [%s]: %s ASINs looked up", marketplace_id, f"{len(asins):,}")


def _table(described: list[Described]) -> pa.Table:
    rows = [catalog_row(item, d.marketplace_id) for d in described for item in d.items]
    columns = {
        "marketplace_id": pa.array([d.marketplace_id for d in described for _ in d.items]),
        "refreshed_at": pa.array(
            [d.at for d in described for _ in d.items], pa.timestamp("us", tz="UTC")
        ),
    }
    return flat_table(struct_array(rows), columns, not_null=KEYS)


@dlt.transformer(name="catalog_items", primary_key=KEYS, write_disposition="merge")
def catalog_items(
    snapshot: ListingsSnapshot | ListingsDone,
    refresh: CatalogRefresh,
    failures: Failures | None = None,
) -> Iterator[pa.Table] | None:
    """Collects every listing snapshot; after the last, describes what is stale. Not a
    generator: dlt defers a generator's body, which could then collect a snapshot after the
    last one had already asked what is stale."""
    if isinstance(snapshot, ListingsSnapshot):
        refresh.collect(snapshot)
        return None
    return _describe(refresh, refresh.stale(), failures)


def _describe(
    refresh: CatalogRefresh, stale: dict[str, list[str]], failures: Failures | None
) -> Iterator[pa.Table]:
    """Every marketplace's `stale` ASINs looked up, marketplaces in parallel."""
    producers = []
    for marketplace_id, asins in stale.items():
        client = refresh.client_for(marketplace_id)
        if client is None:
            log.info("catalog: no account sells in %s; its ASINs are skipped", marketplace_id)
            continue
        lookups = partial(_lookups, client, marketplace_id, asins, refresh.settings, refresh.clock)
        producers.append(
            partial(guarded, lookups, failures, "catalog_items", client.account.name, (SpApiError,))
        )
    pending: list[Described] = []
    for described in interleave(producers, workers=max(1, len(producers)), buffer=64):
        pending.append(described)
        if sum(len(d.items) for d in pending) >= ROWS_PER_TABLE:
            yield _table(pending)
            pending = []
    if pending:
        yield _table(pending)
