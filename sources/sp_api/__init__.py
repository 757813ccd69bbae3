"""The `sp_api` dlt source: composes the Selling Partner API resources for every account."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dlt
import pendulum
from dlt.extract.resource import DltResource

from sources.common.clock import SYSTEM_CLOCK, Clock
from sources.common.failures import Failures
from sources.common.retry import RetryPolicy
from sources.common.stats import ApiStats
from sources.sp_api.client import make_client, parse_accounts
from sources.sp_api.exceptions import ConfigurationError
from sources.sp_api.finances import (
    FinanceSettings,
    financial_event_amounts,
    financial_event_groups,
    financial_event_pages,
    financial_events,
    financial_transactions,
)
from sources.sp_api.order_history import OrderHistory
from sources.sp_api.order_sync import OrdersSettings
from sources.sp_api.orders import order_buyers, order_items, order_pages, order_recipients, orders
from sources.sp_api.report_catalog import ORDERS as ORDERS_REPORT
from sources.sp_api.report_catalog import resolve
from sources.sp_api.reports import ReportSettings, report_documents, report_table
from sources.sp_api.settings import (
    DEFAULT_INCLUDED_DATA,
    DEFAULT_LAG_SECONDS,
    HISTORY_DAYS,
    LWA_TOKEN_URL,
    MIN_LAG_SECONDS,
    ORDERS_API_VERSIONS,
    PII_INCLUDED_DATA,
)

__all__ = ["sp_api_source"]


def _start(start_date: str | None, clock: Clock) -> pendulum.DateTime:
    if not start_date:
        return clock.now().subtract(days=HISTORY_DAYS)
    try:
        parsed = pendulum.parse(start_date)
    except (ValueError, TypeError) as error:
        raise ConfigurationError(
            f"sources.sp_api.start_date must be an ISO 8601 date or date-time: {error}"
        ) from None
    if not isinstance(parsed, pendulum.DateTime):
        parsed = pendulum.datetime(parsed.year, parsed.month, parsed.day)  # type: ignore[union-attr]
    return parsed.in_timezone("UTC")


@dlt.source(name="sp_api")
def sp_api_source(
    accounts: Any = dlt.secrets.value,
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    endpoint: str | None = None,
    lwa_token_url: str = LWA_TOKEN_URL,
    start_date: str | None = None,
    orders_api_version: str = "2026-01-01",
    include_pii: bool = False,
    included_data: Sequence[str] | None = None,
    lag_seconds: int = DEFAULT_LAG_SECONDS,
    report_types: Sequence[str] | None = None,
    reports: Mapping[str, Mapping[str, Any]] | None = None,
    orders_api_days: int = 30,
    finances: bool = True,
    finances_lookback_days: int = 2,
    finances_history_days: int | None = 180,
    report_fatal_retries: int = 2,
    report_timeout_minutes: float = 120.0,
    max_document_bytes: int = 8 << 30,
    report_memory_limit: str = "128MB",
    max_attempts: int = 8,
    retry_backoff_seconds: float = 1.0,
    clock: Any = None,
    stats: Any = None,
    failures: Any = None,
) -> list[DltResource]:
    """Orders, reports and finances for every account in `accounts`.

    Args:
        accounts: list (or table keyed by name) of {seller_id, refresh_token, region,
            marketplace_ids, endpoint?, client_id?, client_secret?}.
        endpoint: one base URL for every account (the sandbox); default: each region's host.
        start_date: where the first run starts (default: two years back, the API's limit).
        orders_api_version: "2026-01-01" (items inline) or "v0" (deprecated by Amazon).
        include_pii: also load buyers and recipients, into `order_buyers`/`order_recipients`.
        report_types: report types to load (default: the catalog's six); any type by name.
        reports: per report type, settings over the catalog's (window, keys, options, ...).
        orders_api_days: with the orders report loaded, a first run reads this many days with
            the Orders API and everything older (back to `start_date`) with the report.
        finances: load financial event groups, events and transactions.
        finances_history_days: how far back their first run reads (None: from `start_date`).
        clock, stats, failures: injected by `pipelines/run.py` and tests; not config.
    """
    clock = clock or SYSTEM_CLOCK
    stats = stats if stats is not None else ApiStats()
    if orders_api_version not in ORDERS_API_VERSIONS:
        raise ConfigurationError(
            f"sources.sp_api.orders_api_version must be one of {ORDERS_API_VERSIONS}"
        )
    if lag_seconds < MIN_LAG_SECONDS:
        raise ConfigurationError(f"sources.sp_api.lag_seconds must be at least {MIN_LAG_SECONDS}")
    if include_pii and orders_api_version == "v0":
        raise ConfigurationError(
            "sources.sp_api.include_pii needs orders_api_version = '2026-01-01' "
            "(v0 serves PII only with restricted data tokens)"
        )
    policy = RetryPolicy(max_attempts=max_attempts, backoff_base=retry_backoff_seconds)
    clients = [
        make_client(
            account, client_id, client_secret, lwa_token_url, clock, stats, policy, endpoint
        )
        for account in parse_accounts(accounts)
    ]
    data = tuple(included_data or DEFAULT_INCLUDED_DATA)
    if include_pii:
        data += tuple(d for d in PII_INCLUDED_DATA if d not in data)
    if orders_api_days < 0:
        raise ConfigurationError("sources.sp_api.orders_api_days must be 0 or more")
    collector = failures if isinstance(failures, Failures) else None
    start = _start(start_date, clock)
    specs = resolve(report_types, reports)
    backfill = any(spec.report_type == ORDERS_REPORT for spec in specs)
    history = OrderHistory(start, orders_api_days if backfill else None)
    settings = OrdersSettings(history, lag_seconds, orders_api_version, data)
    pages = order_pages(clients, settings, collector)
    resources = [pages | orders, pages | order_items]
    if include_pii:
        resources += [pages | order_buyers, pages | order_recipients]
    if specs:
        report_settings = ReportSettings(
            tuple(specs),
            start,
            history,
            fatal_retries=report_fatal_retries,
            timeout_seconds=report_timeout_minutes * 60,
            max_document_bytes=max_document_bytes,
            memory_limit=report_memory_limit,
        )
        documents = report_documents(clients, report_settings, collector)
        resources += [documents | report_table(s, t) for s in specs for t in s.tables]
    if finances:
        money = FinanceSettings(start, finances_lookback_days, finances_history_days)
        events = financial_event_pages(clients, money, collector)
        resources += [
            events | financial_events,
            events | financial_event_amounts,
            financial_event_groups(clients, money, collector),
            financial_transactions(clients, money, collector),
        ]
    return resources
