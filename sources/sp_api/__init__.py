"""The `sp_api` dlt source: composes the Selling Partner API resources for every account."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dlt
import pendulum
from dlt.common.typing import TSecretStrValue
from dlt.extract.resource import DltResource

from sources.common.clock import SYSTEM_CLOCK, Clock
from sources.common.failures import Failures
from sources.common.redact import register_secret
from sources.common.retry import RetryPolicy
from sources.common.stats import ApiStats
from sources.sp_api.auth import Applications
from sources.sp_api.catalog import CatalogRefresh, CatalogSettings, catalog_items
from sources.sp_api.client import SpApiClient, make_client, parse_accounts, warn_legacy_aws
from sources.sp_api.data_kiosk import sales_and_traffic
from sources.sp_api.exceptions import ConfigurationError
from sources.sp_api.finances import (
    FinanceSettings,
    financial_event_amounts,
    financial_event_groups,
    financial_event_pages,
    financial_events,
    financial_transactions,
)
from sources.sp_api.inventory import InventorySettings, inventory_summaries
from sources.sp_api.listings import ListingsSettings, listing_snapshots, listings_items
from sources.sp_api.marketdays import DailySettings
from sources.sp_api.operations import sp_api_operation, sp_api_poll, sp_api_request
from sources.sp_api.order_history import OrderHistory
from sources.sp_api.order_sync import OrdersSettings
from sources.sp_api.orders import order_buyers, order_items, order_pages, order_recipients, orders
from sources.sp_api.report_catalog import ORDERS as ORDERS_REPORT
from sources.sp_api.report_catalog import resolve
from sources.sp_api.reports import ReportSettings, report_documents, report_table
from sources.sp_api.sales import order_metrics
from sources.sp_api.sellers import marketplace_participations
from sources.sp_api.settings import (
    DEFAULT_CATALOG_INCLUDED_DATA,
    DEFAULT_INCLUDED_DATA,
    DEFAULT_LAG_SECONDS,
    DEFAULT_LISTINGS_INCLUDED_DATA,
    HISTORY_DAYS,
    LWA_TOKEN_URL,
    MIN_LAG_SECONDS,
    NAMED_RESOURCES,
    ORDERS_API_VERSIONS,
    PII_INCLUDED_DATA,
    RESOURCE_GROUPS,
)

__all__ = ["sp_api_operation", "sp_api_poll", "sp_api_request", "sp_api_source"]


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
    report_memory_limit: str = "64MB",
    max_attempts: int = 8,
    retry_backoff_seconds: float = 1.0,
    request_timeout_seconds: float = 120.0,
    max_response_bytes: int = 16 << 20,
    quota_scale: float = 1.0,
    resources: Sequence[str] | None = None,
    listings_included_data: Sequence[str] = DEFAULT_LISTINGS_INCLUDED_DATA,
    catalog_included_data: Sequence[str] = DEFAULT_CATALOG_INCLUDED_DATA,
    catalog_max_age_days: float = 7.0,
    catalog_asins: Sequence[str] = (),
    inventory_lag_seconds: int = 3600,
    metrics_lag_days: int = 7,
    operations: Sequence[Mapping[str, Any]] = (),
    polls: Sequence[Mapping[str, Any]] = (),
    raw_requests: Sequence[Mapping[str, Any]] = (),
    aws_access_key: TSecretStrValue | None = None,
    aws_secret_key: TSecretStrValue | None = None,
    role_arn: TSecretStrValue | None = None,
    role_session_name: TSecretStrValue | None = None,
    clock: Any = None,
    stats: Any = None,
    failures: Any = None,
    applications: Any = None,
) -> list[DltResource]:
    """Everything in every account of `accounts`: the named resources, reports and finances,
    then any operation.

    Args:
        accounts: list (or table keyed by name) of {seller_id, refresh_token, region,
            marketplace_ids?, endpoint?, client_id?, client_secret?}; an account that names
            no marketplaces uses those it takes part in (Sellers API).
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
        resources: the named resources to load (default: all of them, see NAMED_RESOURCES
            and RESOURCE_GROUPS; an empty list loads only the configured operations, polls
            and raw requests).
        catalog_max_age_days: catalog rows younger than this are not looked up again.
        catalog_asins: ASINs to describe besides those seen in orders and listings.
        metrics_lag_days: days before the last completed one that `order_metrics` and
            `sales_and_traffic` ask for again (orders change for days after they are placed).
        operations, polls, raw_requests: tables of `sp_api_operation`, `sp_api_poll` and
            `sp_api_request` arguments, each with an optional `accounts` list of names.
        aws_access_key, aws_secret_key, role_arn, role_session_name: accepted from older
            integrations and ignored, as Amazon ignores them since October 2023; typed as
            secrets, so that dlt's trace never records their values.
        request_timeout_seconds: how long a request waits for the server to connect or to
            send its next byte before it is retried.
        max_response_bytes: an answer larger than this is refused before it is read (a
            document's cap is `max_document_bytes`).
        quota_scale: usage-plan rates are multiplied by it until a rate header tells the
            server's, and the waits a server asks for (Retry-After) divided by it (the
            sandbox's time scale; 1 at Amazon).
        clock, stats, failures, applications: injected by `pipelines/run.py` and tests (the
            LWA applications a run's sellers share); not config.
    """
    clock = clock or SYSTEM_CLOCK
    stats = stats if stats is not None else ApiStats()
    failures = failures if isinstance(failures, Failures) else None
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
    if orders_api_days < 0:
        raise ConfigurationError("sources.sp_api.orders_api_days must be 0 or more")
    choices = NAMED_RESOURCES + RESOURCE_GROUPS
    selected = tuple(choices if resources is None else resources)
    unknown = sorted(set(selected) - set(choices))
    if unknown:
        raise ConfigurationError(
            f"sources.sp_api.resources: unknown {unknown}; choose from {list(choices)}"
        )
    legacy = (aws_access_key, aws_secret_key, role_arn, role_session_name)
    if any(legacy):
        for value in legacy:
            register_secret(value)
        warn_legacy_aws()
    policy = RetryPolicy(
        max_attempts=max_attempts, backoff_base=retry_backoff_seconds, time_scale=quota_scale
    )
    applications = applications if isinstance(applications, Applications) else Applications()
    clients = [
        make_client(
            account,
            client_id,
            client_secret,
            lwa_token_url,
            clock,
            stats,
            policy,
            endpoint,
            quota_scale,
            request_timeout_seconds,
            max_response_bytes,
            applications,
        )
        for account in parse_accounts(accounts)
    ]
    start = _start(start_date, clock)
    data = tuple(included_data or DEFAULT_INCLUDED_DATA)
    if include_pii:
        data += tuple(d for d in PII_INCLUDED_DATA if d not in data)
    specs = resolve(report_types, reports) if "reports" in selected else []
    backfill = any(spec.report_type == ORDERS_REPORT for spec in specs)
    history = OrderHistory(start, orders_api_days if backfill else None)
    settings = OrdersSettings(history, lag_seconds, orders_api_version, data)
    found: list[DltResource] = []
    if {"orders", "order_items"} & set(selected):
        pages = order_pages(clients, settings, failures)
        found += [pages | orders(), pages | order_items()]
        if include_pii:
            found += [pages | order_buyers(), pages | order_recipients()]
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
        documents = report_documents(clients, report_settings, failures)
        found += [documents | report_table(s, t) for s in specs for t in s.tables]
    if finances and "finances" in selected:
        money = FinanceSettings(start, finances_lookback_days, finances_history_days)
        events = financial_event_pages(clients, money, failures)
        found += [
            events | financial_events(),
            events | financial_event_amounts(),
            financial_event_groups(clients, money, failures),
            financial_transactions(clients, money, failures),
        ]
    if "marketplace_participations" in selected:
        found.append(marketplace_participations(clients, failures))
    if {"listings_items", "catalog_items"} & set(selected):
        snapshots = listing_snapshots(
            clients, ListingsSettings(tuple(listings_included_data)), failures
        )
        found.append(snapshots | listings_items())
        refresh = CatalogRefresh(
            clients,
            CatalogSettings(
                tuple(catalog_included_data), catalog_max_age_days, tuple(catalog_asins)
            ),
            clock,
        )
        found.append(snapshots | catalog_items(refresh, failures))
    if "inventory_summaries" in selected:
        found.append(
            inventory_summaries(clients, InventorySettings(inventory_lag_seconds), failures)
        )
    daily = DailySettings(start, metrics_lag_days, HISTORY_DAYS - 1)
    if "order_metrics" in selected:
        found.append(order_metrics(clients, daily, failures))
    if "sales_and_traffic" in selected:
        found.append(sales_and_traffic(clients, daily, failures))
    chosen = [r for r in found if r.name in selected or r.name not in NAMED_RESOURCES]
    chosen += _generic(clients, operations, polls, raw_requests, failures)
    return chosen


def _accounts(clients: list[SpApiClient], spec: dict[str, Any], where: str) -> list[SpApiClient]:
    """The clients a generic resource runs for: all, or the accounts its `accounts` names."""
    names = spec.pop("accounts", None)
    if names is None:
        return clients
    unknown = sorted(set(names) - {c.account.name for c in clients})
    if unknown:
        raise ConfigurationError(f"{where}.accounts: unknown account(s) {unknown}")
    return [c for c in clients if c.account.name in names]


def _generic(
    clients: list[SpApiClient],
    operations: Sequence[Mapping[str, Any]],
    polls: Sequence[Mapping[str, Any]],
    raw_requests: Sequence[Mapping[str, Any]],
    failures: Failures | None,
) -> list[DltResource]:
    """The configured `operations`, `polls` and `raw_requests`, each a resource of its own."""
    found = []
    for key, factory, specs in (
        ("operations", sp_api_operation, operations),
        ("polls", sp_api_poll, polls),
        ("raw_requests", sp_api_request, raw_requests),
    ):
        for n, raw in enumerate(specs):
            spec = dict(raw)
            where = f"sources.sp_api.{key}[{n}]"
            chosen = _accounts(clients, spec, where)
            try:
                found.append(factory(chosen, **spec, failures=failures))
            except TypeError as error:
                raise ConfigurationError(f"{where}: {error}") from None
    names = [r.name for r in found]
    if len(set(names)) != len(names):
        raise ConfigurationError(
            "sources.sp_api operations, polls and raw_requests need distinct table names"
        )
    return found
