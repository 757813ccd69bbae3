"""Runs units of work, at most `workers` at a time, each failing alone.

Threads, not processes: a unit mostly waits (on its sellers' usage plans, on reports being
made), DuckDB and Arrow release the GIL for the heavy parts, and sixteen workers then cost one
interpreter's memory instead of sixteen. Extraction and normalization run in parallel; loading
does too where the warehouse allows (after a first unit per source has created its tables,
which concurrent first loads would race to create), and one at a time (the `writer` lock) into
a warehouse with a single writer (DuckDB), which no unit holds open between its loads.
Amzpecty's unit asks for the ASINs the others loaded, so it runs after them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import dlt.common.libs.pandas
import dlt.common.libs.pyarrow
import pendulum

from pipelines import migration, recovery, retention
from pipelines.builders import BUILDERS, RunContext
from pipelines.interrupts import interruption
from pipelines.naming import legacy_name
from pipelines.units import Unit

log = logging.getLogger("pipelines.run")
LAST = frozenset({"amzpecty"})  # sources that read what the others loaded


@dataclass
class Outcome:
    """What one unit's run did: the load ids it completed, or the error that stopped it."""

    unit: Unit
    loads: list[str] = field(default_factory=list)
    error: Exception | None = None


@dataclass
class Runner:
    """What every unit's run shares: the run's context and collectors, the warehouse (a dlt
    destination, and whether it takes one writer at a time) and the run's options."""

    context: RunContext
    mode: str
    destination: Callable[..., Any]  # a dlt destination, given options of its configuration
    pipelines_dir: Path
    single_writer: bool
    arguments: Callable[[str], AbstractContextManager[dict[str, Any]]]
    now: Callable[[], pendulum.DateTime]
    recover: bool = False
    purge_only: bool = False
    _writer: threading.Lock = field(default_factory=threading.Lock)
    _legacy: dict[str, migration.Legacy] = field(default_factory=dict)
    _legacy_lock: threading.Lock = field(default_factory=threading.Lock)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Held while a unit writes the warehouse (or syncs with it) when it has one writer."""
        if not self.single_writer:
            yield
            return
        with self._writer:
            yield

    def pipeline(self, unit: Unit, name: str | None = None) -> dlt.Pipeline:
        """`unit`'s pipeline (or the pipeline `name` on its dataset)."""
        return dlt.pipeline(
            pipeline_name=name or unit.pipeline_name,
            destination=self.destination(staging_dataset_name_layout=unit.staging_layout),
            dataset_name=unit.source,
            pipelines_dir=str(self.pipelines_dir),
        )

    def legacy(self, unit: Unit) -> migration.Legacy:
        """The old layout's pipeline of `unit`'s source, one object per run."""
        name = legacy_name(self.mode, unit.source)
        with self._legacy_lock:
            if unit.source not in self._legacy:
                self._legacy[unit.source] = migration.Legacy(
                    name, self.pipelines_dir, lambda: self.pipeline(unit, name)
                )
            return self._legacy[unit.source]

    def run(self, unit: Unit) -> list[str]:
        """Settle, extract, normalize, load and purge `unit`; the load ids it completed."""
        pipeline, loads = self.prepare(unit)
        if not self.purge_only:
            with self.source(unit) as source:
                loads += self._gated(pipeline).run(source, loader_file_format="parquet").loads_ids
        self.purge(pipeline)
        return loads

    def prepare(self, unit: Unit) -> tuple[dlt.Pipeline, list[str]]:
        """`unit`'s pipeline synced with the warehouse, its state adopted on its first run,
        what an interrupted run left settled; the load ids that completed."""
        pipeline = self.pipeline(unit)
        with self.writing():
            pipeline.sync_destination()
            if migration.adopt(pipeline, unit.source, self.legacy(unit), unit.others):
                pipeline.activate()  # reading the old pipeline made that one the active one
            if self.purge_only:
                return pipeline, []
            return pipeline, recovery.settle(pipeline, drop=self.recover)

    @contextlib.contextmanager
    def source(self, unit: Unit) -> Iterator[Any]:
        """`unit`'s dlt source, valid while the context is open (Amzpecty's receiver)."""
        context = dataclasses.replace(self.context, accounts=unit.accounts)
        with self.arguments(unit.source) as arguments:
            context.overrides[unit.source] = arguments
            yield BUILDERS[unit.source](context)

    def purge(self, pipeline: dlt.Pipeline) -> None:
        """Personal data past its retention, after every load."""
        with self.writing():
            retention.purge(pipeline, self.now(), retention.retention_days())

    def _gated(self, pipeline: dlt.Pipeline) -> dlt.Pipeline:
        """`pipeline`, its loads taking turns: dlt's `run` extracts and normalizes, then calls
        the pipeline's `load`, which waits here for the warehouse (one trace, as dlt keeps it)."""
        load = pipeline.load

        def gated(*args: Any, **kwargs: Any) -> Any:
            with self.writing():
                return load(*args, **kwargs)

        pipeline.load = gated  # type: ignore[method-assign]
        return pipeline


def run_units(units: Sequence[Unit], runner: Runner, workers: int) -> list[Outcome]:
    """Every unit's outcome, in `units`' order; one worker runs them in this thread."""
    outcomes = {}
    for batch in (
        [u for u in units if u.source not in LAST],
        [u for u in units if u.source in LAST],
    ):
        if workers <= 1 or len(batch) <= 1:
            outcomes.update((id(u), _attempt(runner, u)) for u in batch)
            continue
        if not runner.single_writer:  # loads in parallel: one first, creating the tables
            firsts = list({u.source: u for u in reversed(batch)}.values())
            outcomes.update((id(u), _attempt(runner, u)) for u in firsts)
            batch = [u for u in batch if id(u) not in outcomes]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="unit") as pool:
            for unit, outcome in zip(
                batch, pool.map(lambda u: _attempt(runner, u), batch), strict=True
            ):
                outcomes[id(unit)] = outcome
    return [outcomes[id(u)] for u in units]


def _attempt(runner: Runner, unit: Unit) -> Outcome:
    """`unit`'s run; an error stops only this unit (an interruption stops the run)."""
    try:
        return Outcome(unit, runner.run(unit))
    except Exception as error:  # the unit fails alone; run.py reports it
        if interruption(error) is not None:
            raise  # Ctrl-C (dlt wraps it in its step's error) stops the run
        log.error("%s failed", unit.label)
        return Outcome(unit, error=error)
