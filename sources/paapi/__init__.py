"""The `paapi` dlt source: Product Advertising API 4 (ECS) lookups of ASINs and searches per
locale (title, sales rank, offers and prices at the time of asking), and saved ECS answers."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import dlt
from dlt.extract.resource import DltResource
from lxml import etree

from sources.common.arrow import flat_table, struct_array
from sources.common.clock import SYSTEM_CLOCK
from sources.common.failures import Failures, guarded
from sources.common.hints import SNAPSHOT
from sources.common.retry import RetryPolicy
from sources.common.stats import ApiStats
from sources.legacy_files import files as archive
from sources.paapi import documents
from sources.paapi.client import EcsClient, make_client
from sources.paapi.exceptions import ConfigurationError, EcsError
from sources.paapi.searches import Search, pages, parse_searches
from sources.paapi.settings import (
    BATCH_SETS,
    IDS_PER_SET,
    LOCALES,
    RESPONSE_GROUP,
    item_page_limit,
)

__all__ = ["paapi_source"]

ITEM_KEYS = ("marketplace_id", "asin", "observed_at")
OFFER_KEYS = ("marketplace_id", "asin", "observed_at", "offer_listing_id")
ERROR_KEYS = ("request_id", "position")


def _lookups(client: EcsClient, asins: list[str]) -> Iterator[etree._Element]:
    """Twenty ASINs a request: two batch parameter sets of ten, with shared parameters."""
    step = IDS_PER_SET * BATCH_SETS
    for start in range(0, len(asins), step):
        chunk = asins[start : start + step]
        params = {
            "ItemLookup.Shared.ResponseGroup": RESPONSE_GROUP,
            "ItemLookup.Shared.IdType": "ASIN",
        }
        for n in range(BATCH_SETS):
            ids = chunk[n * IDS_PER_SET : (n + 1) * IDS_PER_SET]
            if ids:
                params[f"ItemLookup.{n + 1}.ItemId"] = ",".join(ids)
        yield client.call("ItemLookup", params)


TABLES = (("items", ITEM_KEYS), ("offers", OFFER_KEYS), ("item_errors", ERROR_KEYS))


def _tables(parsed: documents.Parsed) -> Iterator[Any]:
    """The answer's records as tables, each marked with its table name and keys."""
    for (name, keys), records in zip(
        TABLES, (parsed.items, parsed.offers, parsed.errors), strict=True
    ):
        if records:
            hints = dlt.mark.make_hints(
                table_name=name,
                primary_key=list(keys),
                write_disposition="merge",
                additional_table_hints=SNAPSHOT if "observed_at" in keys else None,
            )
            yield dlt.mark.with_hints(flat_table(struct_array(records), not_null=keys), hints)


def _looked_up(client: EcsClient, asins: list[str]) -> Iterator[Any]:
    for root in _lookups(client, asins):
        yield from _tables(documents.parse(root))


def _searched(client: EcsClient, search: Search) -> Iterator[Any]:
    for parsed in pages(client, search):
        yield from _tables(parsed)


@dlt.resource(name="items", primary_key=ITEM_KEYS, write_disposition="merge")
def items(
    clients: list[EcsClient],
    asins: list[str],
    searches: list[Search],
    archive_folder: str | None,
    failures: Failures | None = None,
) -> Iterator[Any]:
    """Items, and beside them `offers` and `item_errors` (partial errors of a 200 answer);
    found by a search, they carry its `search` and `item_page`."""
    for client in clients:
        if asins:
            lookups = partial(_looked_up, client, asins)
            yield from guarded(lookups, failures, "paapi items", client.locale, (EcsError,))
        for search in (s for s in searches if client.locale in s.locales):
            found = partial(_searched, client, search)
            key = f"{client.locale} {search.label}"
            yield from guarded(found, failures, "paapi searches", key, (EcsError,))
    if archive_folder:
        state = dlt.current.resource_state()
        saved = {archive.PAAPI_ITEMS: lambda file: _tables(documents.parse(file.xml(), file.name))}
        yield from archive.load(
            archive_folder, saved, state, failures, "sources.paapi.archive_folder"
        )


@dlt.source(name="paapi")
def paapi_source(
    access_key_id: str | None = dlt.secrets.value,
    secret_key: str | None = dlt.secrets.value,
    associate_tag: str | None = None,
    locales: Any = ("us",),
    asins: Any = (),
    searches: Any = (),
    endpoint: str | None = None,
    version: str = "2011-08-01",
    archive_folder: str | None = None,
    quota_scale: float = 1.0,
    max_attempts: int = 8,
    retry_backoff_seconds: float = 1.0,
    clock: Any = None,
    stats: Any = None,
    failures: Any = None,
) -> list[DltResource]:
    """Item observations (sales rank, lowest new price), offers and per-id errors for `asins`
    and the items `searches` find in each of `locales`, and `archive_folder`'s saved ECS
    answers.

    Args:
        searches: ItemSearch tables, e.g. `{search_index = "Kitchen", keywords = "mug",
            sort = "salesrank", max_pages = 5, locales = ["us"]}`; pages up to `max_pages`
            (default and most: the version's ItemPage limit, 10 from 2011-08-01).
        locales: ECS locales (us, ca, uk, de, jp); `endpoint` replaces their hosts (sandbox:
            `<endpoint>/onca/xml` for us, `<endpoint>/<locale>/onca/xml` for the others).
        quota_scale: the one-request-a-second rate is multiplied by it (the sandbox's time
            scale; 1 live).
    """
    listed = asins.split(",") if isinstance(asins, str) else asins
    asin_list = [a.strip() for a in listed if a.strip()]
    locale_list = [locales] if isinstance(locales, str) else list(locales)
    unknown = [loc for loc in locale_list if loc not in LOCALES]
    if unknown:
        raise ConfigurationError(f"sources.paapi.locales: unknown {unknown}; use {list(LOCALES)}")
    search_list = parse_searches(searches, locale_list, item_page_limit(version))
    if (asin_list or search_list) and not (access_key_id and secret_key):
        raise ConfigurationError("sources.paapi.access_key_id and secret_key are required")
    policy = RetryPolicy(max_attempts=max_attempts, backoff_base=retry_backoff_seconds)
    clients = [
        make_client(
            locale,
            access_key_id or "",
            secret_key or "",
            associate_tag,
            clock or SYSTEM_CLOCK,
            stats if stats is not None else ApiStats(),
            policy,
            endpoint,
            version,
            quota_scale,
        )
        for locale in (locale_list if asin_list or search_list else [])
    ]
    collector = failures if isinstance(failures, Failures) else None
    return [items(clients, asin_list, search_list, archive_folder, collector)]
