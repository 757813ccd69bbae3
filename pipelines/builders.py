"""Which sources a run loads and how each is configured: from the sandbox or from secrets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.extract.source import DltSource

from sources.common.failures import Failures
from sources.common.stats import ApiStats


@dataclass
class RunContext:
    """What every source builder gets: the target (sandbox or live) and the run's collectors."""

    mode: str  # "sandbox" or "live"
    sandbox: dict[str, Any] | None  # /_sandbox/accounts when mode is sandbox
    start_date: str | None
    stats: ApiStats = field(default_factory=ApiStats)
    failures: Failures = field(default_factory=Failures)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # source -> arguments


def sp_api(context: RunContext) -> DltSource:
    from sources.sp_api import sp_api_source

    options: dict[str, Any] = {"stats": context.stats, "failures": context.failures}
    if context.start_date:
        options["start_date"] = context.start_date
    if context.sandbox is not None:
        target = context.sandbox
        options.update(
            accounts=target["accounts"],
            client_id=target["lwa"]["client_id"],
            client_secret=target["lwa"]["client_secret"],
            lwa_token_url=target["lwa"]["token_url"],
            endpoint=target["sp_api"]["endpoint"],
        )
    return sp_api_source(**options)


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


BUILDERS: dict[str, Callable[[RunContext], DltSource]] = {"sp_api": sp_api, "amzpecty": amzpecty}


def has_live_credentials() -> bool:
    """True when `sources.sp_api.accounts` resolves from secrets.toml or the environment."""
    return bool(dlt.secrets.get("sources.sp_api.accounts"))
