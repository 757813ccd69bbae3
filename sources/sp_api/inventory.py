"""FBA inventory summaries: each account's Amazon-fulfilled stock per marketplace, as versions.

A summary is keyed by its `lastUpdatedTime` too, so every change a run sees is kept (the
`inventory_daily` mart rebuilds days from them). After the first run only summaries changed
since the last one seen (less `inventory_lag_seconds`) are asked for, with `startDateTime`;
the mark comes from the server's own timestamps, never from our clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dlt
import pendulum
import pyarrow as pa

from sources.common.arrow import flat_table, struct_array
from sources.common.failures import Failures
from sources.sp_api.client import SpApiClient
from sources.sp_api.fanout import per_account
from sources.sp_api.operations import operation_items
from sources.sp_api.order_sync import iso
from sources.sp_api.sellers import marketplace_ids

KEYS = ("seller_id", "marketplace_id", "seller_sku", "last_updated_time")
NEVER = "1970-01-01T00:00:00Z"
HISTORY_DAYS = 540  # startDateTime "no earlier than 18 months prior", with a margin


@dataclass(frozen=True)
class InventorySettings:
    lag_seconds: int


def fetch_summaries(
    client: SpApiClient, marketplace_id: str, since: pendulum.DateTime | None
) -> list[dict[str, Any]]:
    params: dict[str, Any] = {
        "granularityType": "Marketplace",
        "granularityId": marketplace_id,
        "marketplaceIds": marketplace_id,
        "details": "true",
    }
    if since is not None:
        params["startDateTime"] = iso(since)
    # the registry sends the next token with every other parameter, startDateTime included
    return operation_items(client, "fbaInventory", "getInventorySummaries", params)


@dlt.resource(name="inventory_summaries", primary_key=KEYS, write_disposition="merge")
def inventory_summaries(
    clients: list[SpApiClient], settings: InventorySettings, failures: Failures | None = None
) -> Iterator[pa.Table]:
    """Every account's FBA summaries changed since its marks, accounts in parallel."""
    state: dict[str, str] = dlt.current.resource_state().setdefault("high_water", {})

    def fetch(client: SpApiClient) -> Iterator[pa.Table]:
        seller_id = client.account.seller_id
        for marketplace_id in marketplace_ids(client):
            key = f"{seller_id}:{marketplace_id}"
            since = None
            if key in state:
                oldest = client.server_now().subtract(days=HISTORY_DAYS)
                since = max(
                    pendulum.parse(state[key]).subtract(seconds=settings.lag_seconds),  # type: ignore[union-attr]
                    oldest,
                )
            rows = [r for r in fetch_summaries(client, marketplace_id, since) if r.get("sellerSku")]
            if not rows:
                continue
            for row in rows:  # a summary without a time still needs a stable key
                row["lastUpdatedTime"] = row.get("lastUpdatedTime") or NEVER
            columns = {
                "seller_id": pa.array([seller_id] * len(rows)),
                "marketplace_id": pa.array([marketplace_id] * len(rows)),
            }
            yield flat_table(struct_array(rows), columns, not_null=KEYS)
            newest = max(pendulum.parse(r["lastUpdatedTime"]) for r in rows)
            if key not in state or newest > pendulum.parse(state[key]):  # type: ignore[operator]
                state[key] = iso(newest)  # type: ignore[arg-type]

    yield from per_account("inventory_summaries", clients, fetch, failures)
