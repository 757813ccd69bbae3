"""A unit's first run starts where the source's one pipeline of earlier versions left it.

Before agencies' units, one pipeline per source kept every account's positions in one state,
each keyed by the account's seller id (`high_water[seller]`, `through["seller:market"]`,
fetched ids `"seller:report"`). A unit whose pipeline has no state for its source yet adopts
that state, with the other configured sellers' entries pruned, so that it goes on from its own
positions: nothing is extracted twice, nothing skipped. The old pipeline's pending packages are
loaded first (its local state is ahead of the warehouse's until they are). A seller the old
state never saw finds no positions of its own and starts its history.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from dlt import Pipeline
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from pipelines import recovery
from sources.common.concurrency import Once

log = logging.getLogger("pipelines.run")
ADOPTED = "adopted_from"  # in a unit's source state: the pipeline it started from


class Legacy:
    """The old layout's pipeline of one source, settled and read once per run by whichever
    unit asks first."""

    def __init__(self, name: str, pipelines_dir: Path, make: Callable[[], Pipeline]) -> None:
        self.name = name
        self._local = pipelines_dir / name
        self._make = make
        self._once: Once[dict[str, Any] | None] = Once()

    def sources(self, probe: Pipeline) -> dict[str, Any] | None:
        """Its `sources` state (every source's and resource's), None when this warehouse and
        folder never had it; `probe` is any pipeline of the dataset, to look in the warehouse."""
        return self._once.get(lambda: self._read(probe))

    def _read(self, probe: Pipeline) -> dict[str, Any] | None:
        if not self._local.exists() and not _in_warehouse(probe, self.name):
            return None
        pipeline = self._make()
        recovery.finish_pending(pipeline)
        return copy.deepcopy(dict(pipeline.state.get("sources", {})))


def adopt(pipeline: Pipeline, source: str, legacy: Legacy, others: Collection[str]) -> bool:
    """Give `pipeline` (a unit of `source`, synced with the warehouse) the old layout's state
    with the entries of the sellers `others` pruned, if it has none of its own yet."""
    if pipeline.state.get("sources", {}).get(source):
        return False
    found = legacy.sources(pipeline)
    if found is None:
        return False
    kept = prune(found, frozenset(others))
    kept.setdefault(source, {})[ADOPTED] = legacy.name
    with pipeline.managed_state() as state:
        state["sources"] = kept  # type: ignore[typeddict-item]
    log.info("%s: state adopted from %s", pipeline.pipeline_name, legacy.name)
    return True


def prune(value: Any, sellers: frozenset[str]) -> Any:
    """`value` without the keys and list items that belong to one of `sellers`: the seller id
    itself, or starting with it and a colon."""
    if isinstance(value, dict):
        return {k: prune(v, sellers) for k, v in value.items() if not _owned(k, sellers)}
    if isinstance(value, list):
        return [prune(v, sellers) for v in value if not _owned(v, sellers)]
    return value


def _owned(key: Any, sellers: frozenset[str]) -> bool:
    return isinstance(key, str) and (key in sellers or key.split(":", 1)[0] in sellers)


def _in_warehouse(probe: Pipeline, name: str) -> bool:
    """Whether the warehouse holds a state row of the pipeline `name` in `probe`'s dataset."""
    with probe.sql_client() as client:
        table = client.make_qualified_table_name(recovery.STATE_TABLE)
        try:
            rows = client.execute_sql(
                f"select 1 from {table} where pipeline_name = %s limit 1",
                name,
            )
        except DatabaseUndefinedRelation:
            return False
    return bool(rows)
