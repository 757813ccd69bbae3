"""The `amzpecty` dlt source: ASIN snapshots, variations and matches from Amzpecty's queues."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from sources.amzpecty.client import AmzpectyClient
from sources.amzpecty.exceptions import AmzpectyError, ConfigurationError
from sources.amzpecty.planning import Wanted, plan, warehouse_asins
from sources.amzpecty.settings import (
    CALLBACK_CHECK_SECONDS,
    CALLBACK_WAIT_SECONDS,
    CONDITIONS,
    CREDIT_FLOOR,
    DEFAULT_DOMAIN,
    ENDPOINT,
    MIN_REFRESH_SECONDS,
    POLL_AFTER_SECONDS,
    REQUEST_INTERVAL_SECONDS,
)
from sources.amzpecty.store import Store
from sources.amzpecty.sync import Sync, SyncSettings
from sources.amzpecty.tables import (
    amzpecty_requests,
    asin_matches,
    asin_snapshots,
    product_variations,
    store_rows,
)
from sources.common.clock import SYSTEM_CLOCK
from sources.common.failures import Failures
from sources.common.hints import SNAPSHOT
from sources.common.retry import RetryPolicy
from sources.common.stats import ApiStats

__all__ = ["amzpecty_source"]
log = logging.getLogger("sources.amzpecty")


def _keys(values: Sequence[str] | str | None, domain: str) -> list[tuple[str, str]]:
    """Config lists as (key, domain); "B0XXXXXXXX@www.amazon.de" names another domain."""
    if isinstance(values, str):
        values = [v for v in values.replace(",", " ").split() if v]
    return [tuple(v.split("@", 1)) if "@" in v else (v, domain) for v in values or ()]  # type: ignore[misc]


@dlt.source(name="amzpecty")
def amzpecty_source(
    secret_key: str = dlt.secrets.value,
    store_path: str = dlt.config.value,
    endpoint: str = ENDPOINT,
    callback_url: str | None = None,
    user_agent: str | None = None,
    asins: Sequence[str] | None = None,
    parent_asins: Sequence[str] | None = None,
    product_ids: Sequence[str] | None = None,
    domain: str = DEFAULT_DOMAIN,
    condition: str = "new",
    exclude_moq: bool = False,
    expanded_matches: bool = False,
    warehouse: Any = None,
    min_refresh_seconds: float = MIN_REFRESH_SECONDS,
    poll_after_seconds: float = POLL_AFTER_SECONDS,
    callback_wait_seconds: float = CALLBACK_WAIT_SECONDS,
    callback_check_seconds: float = CALLBACK_CHECK_SECONDS,
    credit_floor: int = CREDIT_FLOOR,
    request_interval_seconds: float = REQUEST_INTERVAL_SECONDS,
    max_attempts: int = 8,
    retry_backoff_seconds: float = 1.0,
    clock: Any = None,
    stats: Any = None,
    failures: Any = None,
) -> list[DltResource]:
    """Snapshots of the configured and the warehouse's ASINs, loaded from the callback store.

    Args:
        store_path: the SQLite file the callback receiver writes (`pipelines/receiver.py`).
        callback_url: sent as `AMZPECTY_CALLBACK_URL` on every Add (default: the one on
            Amzpecty's Preferences page).
        asins, parent_asins, product_ids: keys to ask for, `KEY@domain` for another domain.
        warehouse: gives dlt's dataset of the warehouse's `sp_api` (None before there is
            one), whose tables' ASINs are asked for too; injected by `run.py`.
        min_refresh_seconds: no second Add for a key with a result younger than this.
        poll_after_seconds: rids pending this long are fetched by Get-by-rid.
        callback_wait_seconds: how long a run waits for callbacks at most.
        credit_floor: Add calls stop before the balance could fall below this.
        clock, stats, failures: injected by `pipelines/run.py` and tests; not config.
    """
    clock = clock or SYSTEM_CLOCK
    stats = stats if stats is not None else ApiStats()
    if condition not in CONDITIONS:
        raise ConfigurationError(f"sources.amzpecty.condition must be one of {CONDITIONS}")
    if request_interval_seconds <= 0:
        raise ConfigurationError("sources.amzpecty.request_interval_seconds must be positive")
    store = Store(store_path)
    client = AmzpectyClient(
        secret_key,
        endpoint,
        clock,
        stats,
        RetryPolicy(max_attempts=max_attempts, backoff_base=retry_backoff_seconds),
        request_interval_seconds,
        credit_floor,
    )
    settings = SyncSettings(
        {"condition": condition, "exclude_moq": exclude_moq, "expanded": expanded_matches},
        callback_url,
        user_agent,
        poll_after_seconds,
        callback_wait_seconds,
        callback_check_seconds,
    )

    config_asins = _keys(asins, domain)

    def wanted() -> list[Wanted]:
        return plan(
            store,
            clock.now(),
            min_refresh_seconds,
            config_asins + sorted(warehouse_asins(warehouse, domain)),
            _keys(parent_asins, domain),
            _keys(product_ids, domain),
        )

    def converse() -> None:
        try:
            Sync(client, store, clock, settings).run(wanted)
        except AmzpectyError as error:
            if not isinstance(failures, Failures):
                raise
            log.error("amzpecty failed: %s", error)
            failures.add("amzpecty", "sources.amzpecty", error)

    rows = store_rows(store, converse)
    return [
        rows | amzpecty_requests(),
        *(
            (rows | snapshots()).apply_hints(additional_table_hints=SNAPSHOT)
            for snapshots in (asin_snapshots, product_variations, asin_matches)
        ),
    ]
