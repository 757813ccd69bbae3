"""Sales API order metrics: orders, units and sales per marketplace day, incremental.

Each run asks, per account and marketplace, for the days since the last one it completed
(less `metrics_lag_days`, since orders are cancelled after their day) through today; today's
partial figures are replaced by the next run.
"""

from __future__ import annotations

from collections.abc import Iterator

import dlt
import pyarrow as pa

from sources.common.arrow import flat_table, struct_array
from sources.common.failures import Failures
from sources.sp_api.client import SpApiClient
from sources.sp_api.fanout import per_account
from sources.sp_api.marketdays import DailySettings, days_to_load

METRICS_PATH = "/sales/v1/orderMetrics"
KEYS = ("seller_id", "marketplace_id", "day")


@dlt.resource(name="order_metrics", primary_key=KEYS, write_disposition="merge")
def order_metrics(
    clients: list[SpApiClient], settings: DailySettings, failures: Failures | None = None
) -> Iterator[pa.Table]:
    """Daily order metrics in each marketplace's time zone, accounts in parallel."""
    state: dict[str, str] = dlt.current.resource_state().setdefault("through", {})

    def fetch(client: SpApiClient) -> Iterator[pa.Table]:
        seller_id = client.account.seller_id
        for marketplace_id, first, today in days_to_load(client, state, settings, with_today=True):
            params = {
                "marketplaceIds": marketplace_id,
                "interval": f"{first.isoformat()}--{today.add(days=1).isoformat()}",
                "granularity": "Day",
                "granularityTimeZone": today.timezone_name,
            }
            rows = client.rest.get(METRICS_PATH, params=params).json().get("payload") or []
            if rows:
                columns = {
                    "seller_id": pa.array([seller_id] * len(rows)),
                    "marketplace_id": pa.array([marketplace_id] * len(rows)),
                    "day": pa.array([row["interval"][:10] for row in rows]),
                }
                yield flat_table(struct_array(rows), columns, not_null=KEYS)

    yield from per_account("order_metrics", clients, fetch, failures)
