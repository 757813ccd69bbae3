"""What to ask Amzpecty for: ASINs from config and the warehouse, minus what is in flight.

The service asks clients not to repeat Adds of the same ASIN, so a key with a pending
request, an Add in doubt (journaled, answer lost), or a result younger than `min_refresh`, is
left out; parent ASINs go to the
variations queue, not the snapshot queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pendulum
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from sources.amzpecty.settings import (
    MARKETPLACE_DOMAINS,
    MATCH,
    QUEUES,
    SNAPSHOT,
    VARIATIONS,
    WAREHOUSE_ASIN_COLUMNS,
)
from sources.amzpecty.store import LOST, Store

log = logging.getLogger("sources.amzpecty")


@dataclass(frozen=True, order=True)
class Wanted:
    queue: str
    key: str
    domain: str


def warehouse_asins(read: Callable[[], Any] | None, default_domain: str) -> set[tuple[str, str]]:
    """(ASIN, domain) of every `sp_api` table with an ASIN column (orders, listings, ...); an
    ASIN of a table that names no marketplace (the orders report) takes the default domain
    only when no other table places it. `read` gives dlt's dataset of the warehouse's
    `sp_api` (None: none yet), whose stored schema names the tables and columns, on any
    destination."""
    dataset = read() if read is not None else None
    if dataset is None:
        return set()
    schema = dataset.schema
    placed: set[tuple[str, str]] = set()
    unplaced: set[str] = set()
    with dataset.sql_client as client:
        for table in sorted(schema.data_table_names(seen_data_only=True)):
            names = set(schema.get_table_columns(table))
            asin = next((c for c in WAREHOUSE_ASIN_COLUMNS if c in names), None)
            if asin is None:
                continue
            market = (
                client.escape_column_name("marketplace_id") if "marketplace_id" in names else "null"
            )
            column = client.escape_column_name(asin)
            try:
                rows = client.execute_sql(
                    f"select distinct {column}, {market} from "
                    f"{client.make_qualified_table_name(table)} where {column} is not null"
                )
            except DatabaseUndefinedRelation:
                continue
            placed |= {(a, MARKETPLACE_DOMAINS.get(m, default_domain)) for a, m in rows if m}
            unplaced |= {a for a, m in rows if not m}
    unplaced -= {a for a, _ in placed}
    return placed | {(a, default_domain) for a in unplaced}


def _due(
    latest: dict[tuple[str, str], tuple[str, str]],
    key: tuple[str, str],
    now: pendulum.DateTime,
    min_refresh: float,
) -> bool:
    if key not in latest:
        return True
    requested_at, status = latest[key]
    if status == "PENDING":
        return False
    if status == LOST:
        return True
    age = (now - pendulum.parse(requested_at)).total_seconds()  # type: ignore[operator]
    return age >= min_refresh


def plan(
    store: Store,
    now: pendulum.DateTime,
    min_refresh: float,
    asins: Iterable[tuple[str, str]],
    parents: Iterable[tuple[str, str]] = (),
    product_ids: Iterable[tuple[str, str]] = (),
) -> list[Wanted]:
    """The Add calls to make now: (queue, key, domain), deterministic order."""
    known_parents = set(parents) | store.parent_asins()
    wanted = {Wanted(VARIATIONS, a, d) for a, d in known_parents}
    wanted |= {Wanted(SNAPSHOT, a, d) for a, d in asins if (a, d) not in known_parents}
    wanted |= {Wanted(MATCH, p, d) for p, d in product_ids}
    latest = {queue: store.latest_requests(queue) for queue in QUEUES}
    in_doubt = {Wanted(j.queue, j.key, j.domain) for j in store.journal()}
    chosen = sorted(
        w for w in wanted - in_doubt if _due(latest[w.queue], (w.key, w.domain), now, min_refresh)
    )
    log.info("amzpecty: %d keys wanted, %d due for an Add", len(wanted), len(chosen))
    return chosen
