"""Sellers API: the marketplaces each account takes part in, asked once per run and shared by
every resource; an account whose config names no marketplaces uses those it takes part in."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import dlt
import pyarrow as pa

from sources.common.arrow import flat_table, struct_array
from sources.common.failures import Failures
from sources.sp_api.client import SpApiClient
from sources.sp_api.fanout import per_account

log = logging.getLogger("sources.sp_api")
PARTICIPATIONS_PATH = "/sellers/v1/marketplaceParticipations"
KEYS = ("seller_id", "marketplace_id")


def participations(client: SpApiClient) -> list[dict[str, Any]]:
    """getMarketplaceParticipations, called once per account and run."""

    def fetch() -> list[dict[str, Any]]:
        return client.rest.get(PARTICIPATIONS_PATH).json().get("payload") or []

    return client.participations.get(fetch)


def marketplace_ids(client: SpApiClient) -> tuple[str, ...]:
    """The account's configured marketplaces, else those it takes part in."""
    if client.account.marketplace_ids:
        return client.account.marketplace_ids
    found = tuple(
        p["marketplace"]["id"]
        for p in participations(client)
        if (p.get("participation") or {}).get("isParticipating")
    )
    if not found:
        log.warning("sp_api [%s]: the account takes part in no marketplace", client.account.name)
    return found


@dlt.resource(name="marketplace_participations", primary_key=KEYS, write_disposition="merge")
def marketplace_participations(
    clients: list[SpApiClient], failures: Failures | None = None
) -> Iterator[pa.Table]:
    """Each account's marketplaces, participating or not, with its store name."""

    def fetch(client: SpApiClient) -> Iterator[pa.Table]:
        rows = participations(client)
        if rows:
            columns = {
                "seller_id": [client.account.seller_id] * len(rows),
                "marketplace_id": [row["marketplace"]["id"] for row in rows],
            }
            yield flat_table(struct_array(rows), columns, not_null=KEYS)

    yield from per_account("marketplace_participations", clients, fetch, failures)
