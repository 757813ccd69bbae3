"""Buyer and recipient data is kept only as long as Amazon allows: purged some days after an
order shipped.

Amazon's Data Protection Policy asks that personal data be deleted 30 days after shipment
(`pii.retention_days` in config.toml). One pass purges a source's raw tables (dbt's staging
views read them; its marts are rebuilt after the pass), dlt's staging dataset and the load
packages the pipelines folder keeps. It runs after every load (`pipelines/run.py`), and alone
with `python pipelines/run.py --purge-only`. The SQL goes through dlt's SQL client, so it holds
for any destination dlt loads.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import dlt
import pendulum
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from sources.aim import ITEM_KEYS as AIM_ITEM_KEYS
from sources.aim import PII as AIM_PII
from sources.mws.orders import ORDER_KEYS as MWS_ORDER_KEYS
from sources.sp_api.orders import ORDER_KEYS as SP_API_ORDER_KEYS

log = logging.getLogger("pipelines.retention")
DAYS = "pii.retention_days"
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Closing:
    """When an order's retention starts: the last update of an order in a closed status (the
    Orders API tells no shipment time of FBA orders; a shipped order's last update is its
    shipment, or later)."""

    table: str
    keys: tuple[str, ...]
    at: str
    status: str | None = None
    closed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Personal:
    """A table holding personal data: the columns named by `prefixes`, of orders `closing`
    dates."""

    table: str
    prefixes: tuple[str, ...]
    closing: Closing


SP_API_CLOSING = Closing(
    "orders",
    SP_API_ORDER_KEYS,
    "last_updated_time",
    "fulfillment__fulfillment_status",
    ("SHIPPED", "CANCELLED", "UNFULFILLABLE"),
)
MWS_CLOSING = Closing(
    "orders", MWS_ORDER_KEYS, "last_update_date", "order_status",
    ("Shipped", "Canceled", "Unfulfillable"),
)  # fmt: skip
# AIM's order report lists orders to ship and tells no status: its purchase date starts the
# count (a guess; AIM's archives are years past any retention anyway)
AIM_CLOSING = Closing("order_items", AIM_ITEM_KEYS, "purchase_date")
RECIPIENT = ("delivery_address__", "delivery_preference__")
PERSONAL: dict[str, tuple[Personal, ...]] = {
    "sp_api": (
        Personal("order_buyers", ("buyer_",), SP_API_CLOSING),
        Personal("order_recipients", RECIPIENT, SP_API_CLOSING),
    ),
    "mws": (Personal("order_buyers", ("buyer_", "shipping_address__"), MWS_CLOSING),),
    "aim": (Personal("order_items", tuple(n.replace("-", "_") for n in AIM_PII), AIM_CLOSING),),
}


@dataclass
class Purged:
    """What one pass removed: rows per table whose personal columns it nulled, staging tables
    it emptied, package files it deleted."""

    cutoff: pendulum.DateTime
    rows: dict[str, int] = field(default_factory=dict)
    staging: list[str] = field(default_factory=list)
    files: int = 0


def loading_personal_data(names: list[str]) -> list[str]:
    """The sources of `names` whose config loads buyers and recipients (`include_pii`)."""
    return [n for n in names if n in PERSONAL and dlt.config.get(f"sources.{n}.include_pii", bool)]


def retention_days() -> int:
    """`pii.retention_days` from config, else Amazon's 30."""
    days = dlt.config.get(DAYS, int)
    return DEFAULT_DAYS if days is None else int(days)


def personal_columns(pipeline: dlt.Pipeline) -> dict[Personal, list[str]]:
    """The personal columns `pipeline`'s schema has, by table: none means nothing to purge."""
    specs = PERSONAL.get(pipeline.dataset_name, ())
    schema = pipeline.default_schema if pipeline.default_schema_name else None
    if schema is None or not specs:
        return {}
    return {
        s: personal
        for s in specs
        if s.table in schema.tables
        and (personal := [c for c in schema.get_table_columns(s.table) if c.startswith(s.prefixes)])
    }


def purge(pipeline: dlt.Pipeline, now: pendulum.DateTime, days: int) -> Purged:
    """Null the personal columns of orders closed more than `days` before `now`, empty dlt's
    staging copies of those tables and delete them from the loaded packages."""
    purged = Purged(now.subtract(days=days))
    present = personal_columns(pipeline)
    if not present:  # never loaded (or without personal data), so in no package either
        return purged
    with pipeline.sql_client() as client:
        for spec, personal in present.items():
            count = _null_personal(client, spec, personal, purged.cutoff)
            if count:
                purged.rows[spec.table] = count
            if _empty_staging(client, spec.table):
                purged.staging.append(spec.table)
    purged.files = _delete_from_packages(pipeline, {s.table for s in present})
    if purged.rows or purged.files:
        log.info(
            "%s: personal data of orders closed before %s purged (%s rows, %d package files)",
            pipeline.dataset_name,
            purged.cutoff.to_date_string(),
            sum(purged.rows.values()),
            purged.files,
        )
    return purged


def _null_personal(client, spec: Personal, personal: list[str], cutoff: pendulum.DateTime) -> int:  # type: ignore[no-untyped-def]
    """Set `spec`'s `personal` columns to NULL where their order closed before `cutoff`."""
    name, literal = client.escape_column_name, client.capabilities.escape_literal
    closing = spec.closing
    due = f"{name(closing.at)} < {literal(cutoff.strftime('%Y-%m-%dT%H:%M:%SZ'))}"
    if closing.status:
        statuses = ", ".join(literal(s) for s in closing.closed)
        due += f" and {name(closing.status)} in ({statuses})"
    held = " or ".join(f"{name(c)} is not null" for c in personal)
    where = f"({held}) and "
    if closing.table == spec.table:
        where += due
    else:
        keys = ", ".join(name(k) for k in closing.keys)
        orders = client.make_qualified_table_name(closing.table)
        where += f"({keys}) in (select {keys} from {orders} where {due})"
    table = client.make_qualified_table_name(spec.table)
    try:
        rows = client.execute_sql(f"select count(*) from {table} where {where}")
        count = int(rows[0][0]) if rows else 0
        if count:
            nulls = ", ".join(f"{name(c)} = null" for c in personal)
            client.execute_sql(f"update {table} set {nulls} where {where}")
    except DatabaseUndefinedRelation:
        return 0
    return count


def _empty_staging(client, table: str) -> bool:  # type: ignore[no-untyped-def]
    """Delete dlt's staging copy of `table` (the rows of the last merge, already in place)."""
    with client.with_staging_dataset():
        qualified = client.make_qualified_table_name(table)
        try:
            rows = client.execute_sql(f"select count(*) from {qualified}")
            if not rows or not rows[0][0]:
                return False
            client.execute_sql(f"delete from {qualified}")
        except DatabaseUndefinedRelation:
            return False
    return True


def _delete_from_packages(pipeline: dlt.Pipeline, tables: set[str]) -> int:
    """Delete the files of `tables` from every loaded package (the warehouse has their rows);
    packages not loaded yet keep theirs, to be loaded, then purged."""
    deleted = 0
    for load_id in pipeline.list_completed_load_packages():
        info = pipeline.get_load_package_info(load_id)
        for jobs in info.jobs.values():
            for job in jobs:
                if job.job_file_info.table_name in tables and os.path.exists(job.file_path):
                    os.remove(job.file_path)
                    deleted += 1
    return deleted
