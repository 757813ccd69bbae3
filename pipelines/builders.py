"""Which sources a run loads and how each is configured: from the sandbox or from secrets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.extract.source import DltSource

from pipelines.timing import WaitingClock
from sources.common.clock import SYSTEM_CLOCK
from sources.common.failures import Failures
from sources.common.stats import ApiStats


@dataclass
class RunContext:
    """What every source builder gets: the target (sandbox or live) and the run's collectors."""

    mode: str  # "sandbox" or "live"
    sandbox: dict[str, Any] | None  # /_sandbox/accounts when mode is sandbox
    start_date: str | None
    resources: list[str] | None = None  # sp_api's, by name or group (--resources)
    stats: ApiStats = field(default_factory=ApiStats)
    failures: Failures = field(default_factory=Failures)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # source -> arguments
    clock: WaitingClock = field(default_factory=lambda: WaitingClock(SYSTEM_CLOCK))
    accounts: list[Mapping[str, Any]] | None = None  # the unit's account (None: as configured)
    applications: Any = field(default_factory=lambda: _applications())  # LWA's, run-wide


def _applications() -> Any:
    """The run's LWA applications: one `invalid_client` stops every seller's unit of it."""
    from sources.sp_api.auth import Applications

    return Applications()


def sp_api(context: RunContext) -> DltSource:
    from sources.sp_api import sp_api_source

    options: dict[str, Any] = {
        "stats": context.stats,
        "failures": context.failures,
        "clock": context.clock,
        "applications": context.applications,
    }
    if context.start_date:
        options["start_date"] = context.start_date
    if context.resources is not None:
        options["resources"] = context.resources
    if context.sandbox is not None:
        target = context.sandbox
        options.update(
            accounts=target["accounts"],
            client_id=target["lwa"]["client_id"],
            client_secret=target["lwa"]["client_secret"],
            lwa_token_url=target["lwa"]["token_url"],
            endpoint=target["sp_api"]["endpoint"],
            quota_scale=target["sp_api"]["time_scale"],
        )
    if context.accounts is not None:
        options["accounts"] = context.accounts
    return sp_api_source(**options)


def _legacy_options(context: RunContext, api: str) -> dict[str, Any]:
    """The collectors and clock, and in sandbox mode the sandbox's credentials and time scale."""
    options: dict[str, Any] = {
        "stats": context.stats,
        "failures": context.failures,
        "clock": context.clock,
    }
    if context.sandbox is not None:
        target = context.sandbox[api]
        options.update(endpoint=target["endpoint"], quota_scale=target["time_scale"])
    return options


def mws(context: RunContext) -> DltSource:
    from sources.mws import mws_source

    options = _legacy_options(context, "mws")
    if context.sandbox is not None:
        target = context.sandbox["mws"]
        options.update(
            accounts=target["accounts"],
            access_key_id=target["access_key_id"],
            secret_key=target["secret_key"],
        )
    if context.accounts is not None:
        options["accounts"] = context.accounts
    return mws_source(**options)


def paapi(context: RunContext) -> DltSource:
    from sources.paapi import paapi_source

    options = _legacy_options(context, "paapi")
    if context.sandbox is not None:
        target = context.sandbox["paapi"]
        options.update(
            access_key_id=target["access_key_id"],
            secret_key=target["secret_key"],
            associate_tag=target["associate_tag"],
            locales=target["locales"],
            asins=target["asins"],
        )
    return paapi_source(**options)


def aim(context: RunContext) -> DltSource:
    from sources.aim import aim_source

    options = _legacy_options(context, "aim")
    if context.accounts is not None:
        options["accounts"] = context.accounts
    if context.sandbox is not None:
        homes = {a["seller_id"]: a["marketplace_ids"] for a in context.sandbox["accounts"]}
        options["accounts"] = [
            {**a, "marketplace_ids": homes[a["seller_id"]]}
            for a in options.get("accounts", context.sandbox["aim"]["accounts"])
        ]
    return aim_source(**options)


def amzpecty(context: RunContext) -> DltSource:
    """After the SP-API sources, so that it asks for the ASINs they loaded."""
    from sources.amzpecty import amzpecty_source

    options: dict[str, Any] = {"stats": context.stats, "failures": context.failures}
    if context.sandbox is not None:
        target = context.sandbox["amzpecty"]
        options.update(
            secret_key=target["secret_key"],
            endpoint=target["endpoint"],
            product_ids=target["sample_product_ids"],
        )
    options.update(context.overrides.get("amzpecty", {}))
    return amzpecty_source(**options)


BUILDERS: dict[str, Callable[[RunContext], DltSource]] = {
    "sp_api": sp_api,
    "amzpecty": amzpecty,
    "mws": mws,
    "paapi": paapi,
    "aim": aim,
}
# archives of retired services: a live run loads them when named (`--sources sp_api,mws`)
OPT_IN = frozenset({"mws", "paapi", "aim"})


def has_live_credentials() -> bool:
    """True when `sources.sp_api.accounts` resolves from secrets.toml or the environment."""
    return bool(dlt.secrets.get("sources.sp_api.accounts"))
