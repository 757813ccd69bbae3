"""`python pipelines/run.py check`: configuration, credentials and one cheap call per account
and source, then what a run would load; nothing is loaded.

The call is a source's own resource, iterated outside any load (dlt gives it a read-only copy
of the pipeline's state) up to its first answer: SP-API's `marketplace_participations` (an LWA
token and `getMarketplaceParticipations` per account), MWS's `report_requests`
(`GetReportRequestList`), ECS's `items` (one `ItemLookup`), AIM's `aim_tables` (a batch
list). Amzpecty is checked for its configuration only: each of its calls spends credits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from sources.common.failures import Failures
from sources.common.stats import ApiStats

# per source, the resources whose first answer is cheapest, the cheapest first
PROBES = {
    "sp_api": ("marketplace_participations",),
    "mws": ("report_requests", "orders"),
    "paapi": ("items",),
    "aim": ("aim_tables",),
}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NO_PROBE = "configuration only: each Amzpecty call spends credits"


@dataclass(frozen=True)
class Checked:
    """One unit (a seller's source, or a whole source): what a run would load, and how the
    cheap call went."""

    label: str
    resources: list[str]
    positions: dict[str, str]  # resource -> where its next run starts, from the state
    start: str  # where resources without state start
    probe: str  # the calls made, or why none


def check_source(
    label: str,
    name: str,
    build: Callable[[list[str] | None], DltSource],
    pipeline: Pipeline,
    failures: Failures,
    stats: ApiStats,
    start: str,
) -> Checked:
    """Build the source (its configuration resolved) and make its cheap call; an account that
    fails is recorded in `failures`, as in a run. `build(resources)` builds it, with only
    `resources` when the source takes a selection (SP-API: a run that loads no
    `marketplace_participations` is checked with them)."""
    source = build(None)
    resources = list(source.selected_resources)
    candidates = PROBES.get(name, ())
    probe = next((found for found in candidates if found in source.resources), None)
    if probe is None and candidates:
        probe = candidates[0]
        source = build([probe])
    if not candidates:
        said = NO_PROBE
    elif probe not in source.resources:
        said = f"no call: {probe} is not configured"
    else:
        calls = stats.calls()
        pipeline.activate()
        try:
            _first(iter(source.with_resources(probe)))
        except Exception as error:  # a source without a collector raises: one account
            failures.add(name, probe, error)
        said = f"{probe}: {stats.calls() - calls} API calls"
    return Checked(label, resources, positions(pipeline, name), start, said)


def _first(items: Iterator[Any]) -> None:
    """Take the first answer and close the rest (threads and sessions with it)."""
    try:
        next(items, None)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def positions(pipeline: Pipeline, name: str) -> dict[str, str]:
    """Where each resource (or the pipe feeding it) with state resumes: the latest date its
    state holds (a cursor, per seller or marketplace), else only that it has state."""
    state = pipeline.state.get("sources", {}).get(name, {}).get("resources", {})
    found = {}
    for resource, values in sorted(state.items()):
        dates = sorted(_dates(values))
        found[resource] = f"up to {dates[-1]}" if dates else "from its state"
    return found


def _dates(values: Any) -> Iterator[str]:
    """Every ISO 8601 date or date-time anywhere in a resource's state."""
    if isinstance(values, dict):
        values = list(values.values())
    if isinstance(values, list):
        for value in values:
            yield from _dates(value)
    elif isinstance(values, str) and ISO_DATE.match(values):
        yield values


def render(checked: list[Checked], accounts: list[str]) -> str:
    """What a run would load, a few lines per source."""
    lines = [f"sp_api accounts: {', '.join(accounts)}"] if accounts else []
    for found in checked:
        lines.append(f"{found.label}: {found.probe}")
        lines.append(f"  loads {', '.join(found.resources) or 'nothing'}")
        resumes = [f"{name} {where}" for name, where in found.positions.items()]
        if resumes:  # by the state's keys: a transformer's state is its parent's
            lines.append(f"  resumes {'; '.join(resumes)}; anything new from {found.start}")
        else:
            lines.append(f"  first run from {found.start}")
    return "\n".join(lines)


def sp_api_accounts(context_sandbox: dict[str, Any] | None) -> list[str]:
    """The SP-API accounts a run loads, by name (the sandbox's, or the configured ones)."""
    from sources.sp_api.client import parse_accounts

    raw = (
        context_sandbox["accounts"]
        if context_sandbox
        else dlt.secrets.get("sources.sp_api.accounts")
    )
    return [account.name for account in parse_accounts(raw or [])]
