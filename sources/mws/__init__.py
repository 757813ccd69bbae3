"""The `mws` dlt source: Marketplace Web Service orders, reports and feeds for every
account, and the saved MWS files of an archive folder, into the same tables."""

from __future__ import annotations

from typing import Any

import dlt
import pendulum
from dlt.common.typing import TSecretValue
from dlt.extract.resource import DltResource

from sources.common.clock import SYSTEM_CLOCK
from sources.common.failures import Failures
from sources.common.retry import RetryPolicy
from sources.common.stats import ApiStats
from sources.mws.client import make_client, parse_accounts
from sources.mws.exceptions import ConfigurationError
from sources.mws.orders import OrdersWindow, order_batches, order_buyers, order_items, orders
from sources.mws.reports import (
    AVAILABLE_REPORTS,
    FEED_SUBMISSIONS,
    REPORT_REQUESTS,
    feed_errors,
    listing_resource,
    listings,
)
from sources.mws.settings import DEFAULT_LAG_SECONDS, DEFAULT_START_DATE, HISTORY_DAYS

__all__ = ["mws_source"]


def _date(value: str | None, key: str) -> pendulum.DateTime | None:
    if not value:
        return None
    try:
        parsed = pendulum.parse(value)
    except (ValueError, TypeError):
        raise ConfigurationError(f"{key} must be an ISO 8601 date or date-time") from None
    if not isinstance(parsed, pendulum.DateTime):
        parsed = pendulum.datetime(parsed.year, parsed.month, parsed.day)  # type: ignore[union-attr]
    return parsed.in_timezone("UTC")


@dlt.source(name="mws")
def mws_source(
    accounts: TSecretValue | None = None,
    access_key_id: str | None = dlt.secrets.value,
    secret_key: str | None = dlt.secrets.value,
    endpoint: str | None = None,
    start_date: str = DEFAULT_START_DATE,
    end_date: str | None = None,
    lag_seconds: int = DEFAULT_LAG_SECONDS,
    include_pii: bool = False,
    reports: bool = True,
    archive_folder: str | None = None,
    signature_method: str = "HmacSHA256",
    quota_scale: float = 1.0,
    max_attempts: int = 8,
    retry_backoff_seconds: float = 1.0,
    clock: Any = None,
    stats: Any = None,
    failures: Any = None,
) -> list[DltResource]:
    """Orders (updated between `start_date` and `end_date`), items, listings, report requests,
    available reports and feeds of every account in `accounts`, plus `archive_folder`'s saved
    MWS files.

    Args:
        accounts: list (or table keyed by name) of {seller_id, mws_auth_token?, region,
            marketplace_ids, endpoint?}; none for an archive-only import. A secret (it holds
            the tokens): dlt's trace records no value of it.
        end_date: orders updated up to here; default two years back, where the Orders API's
            reach begins ("now" loads everything an account still serves).
        archive_folder: `<folder>/<seller id>/...` files saved from MWS (XML answers, report
            and feed result files, gzip or not), loaded with `source_file`/`source_index`.
        quota_scale: restore rates are multiplied by it (the sandbox's time scale; 1 live).
        clock, stats, failures: injected by `pipelines/run.py` and tests; not config.
    """
    clock = clock or SYSTEM_CLOCK
    stats = stats if stats is not None else ApiStats()
    if signature_method not in ("HmacSHA256", "HmacSHA1"):
        raise ConfigurationError("sources.mws.signature_method must be HmacSHA256 or HmacSHA1")
    parsed = parse_accounts(accounts) if accounts else []
    if parsed and not (access_key_id and secret_key):
        raise ConfigurationError("sources.mws.access_key_id and secret_key are required")
    if not parsed and not archive_folder:
        raise ConfigurationError("sources.mws needs accounts or an archive_folder")
    policy = RetryPolicy(max_attempts=max_attempts, backoff_base=retry_backoff_seconds)
    clients = [
        make_client(
            account,
            access_key_id or "",
            secret_key or "",
            clock,
            stats,
            policy,
            endpoint,
            quota_scale,
            signature_method,
        )
        for account in parsed
    ]
    now = clock.now()
    end = (
        None
        if end_date == "now"
        else _date(end_date, "sources.mws.end_date") or now.subtract(days=HISTORY_DAYS)
    )
    window = OrdersWindow(_date(start_date, "sources.mws.start_date"), end, lag_seconds)  # type: ignore[arg-type]
    collector = failures if isinstance(failures, Failures) else None
    batches = order_batches(clients, window, archive_folder, collector)
    resources = [batches | orders(), batches | order_items()]
    if include_pii:
        resources.append(batches | order_buyers())
    if reports:
        resources += [
            listings(clients, archive_folder, collector),
            *[
                listing_resource(listing, clients, archive_folder, collector)
                for listing in (REPORT_REQUESTS, AVAILABLE_REPORTS, FEED_SUBMISSIONS)
            ],
            feed_errors(clients, archive_folder, collector),
        ]
    return resources
