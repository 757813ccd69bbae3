"""Runs units of work, at most `workers` at work at a time, each failing alone.

Threads, not processes: a unit mostly waits (on its sellers' usage plans, on reports being
made), DuckDB and Arrow release the GIL for the heavy parts, and sixteen workers then cost one
interpreter's memory instead of sixteen. A unit asleep lends its worker's turn to another, so
every started seller's waits overlap. Extraction and normalization run in parallel; loading
does too where the warehouse allows (each load first makes its new tables and columns, one
load at a time: loads side by side would race to make the same ones), and one at a time (the
`writer` lock) into a warehouse with a single writer (DuckDB), which no unit holds open between
its loads. Amzpecty's unit asks for the ASINs the others loaded, so it runs after them."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt

# imported once here: units' threads importing it at once race in dlt's lazy imports
import dlt.common.libs.pyarrow
import pendulum
from dlt.common.runtime import signals
from dlt.common.runtime.collector import Collector
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from pipelines import locking, migration, naming, recovery, retention
from pipelines.builders import BUILDERS, RunContext
from pipelines.errors import interruption
from pipelines.progress import Progress
from pipelines.timing import Timings, WaitingClock
from pipelines.units import Unit
from pipelines.warehouse import Warehouse
from sources.common.failures import Failures
from sources.common.stats import ApiStats

VERSIONS = "_dlt_version"  # dlt's table of the stored schema versions
log = logging.getLogger("pipelines.run")
LAST = frozenset({"amzpecty"})  # sources that read what the others loaded
WAITING = 8  # units started per worker: the others sleep, on Amazon's usage plans and reports


class Turn:
    """A unit's turn among the pool's workers, lent out while the unit sleeps (on its usage
    plans, on a report being made): workers bound the units at work, and the waits of every
    seller the pool holds overlap. A unit's threads sleeping at once lend it once."""

    def __init__(self, turns: threading.Semaphore) -> None:
        self._turns = turns
        self._lock = threading.Lock()
        self._asleep = 0

    def __enter__(self) -> Turn:
        self._turns.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._turns.release()

    @contextlib.contextmanager
    def lent(self) -> Iterator[None]:
        """Held while one of the unit's threads sleeps."""
        with self._lock:
            self._asleep += 1
            if self._asleep == 1:
                self._turns.release()
        try:
            yield
        finally:
            with self._lock:
                self._asleep -= 1
                woke = self._asleep == 0
            if woke:
                self._turns.acquire()


@dataclass(frozen=True)
class Loads:
    """A dataset's loads under way at once (shared) against a unit settling what an earlier
    run left (alone): settling drops rows of loads not completed, which another unit's load
    under way still is, in this process or another. Each load first migrates the dataset's
    tables to its schema, one load at a time: loads adding the same table or column side by
    side race to create it (PostgreSQL: column ... already exists). Into a single writer
    (DuckDB) loads take turns anyway, and a unit holds its file whole."""

    warehouse: Warehouse
    dataset: str

    @contextlib.contextmanager
    def loading(self, migrate: Callable[[], object] = lambda: None) -> Iterator[None]:
        with self._lock("loads", shared=True):
            with self._lock("migrations"):
                migrate()
            yield

    @contextlib.contextmanager
    def settling(self) -> Iterator[None]:
        with self._lock("loads"):
            yield

    def _lock(self, purpose: str, shared: bool = False) -> AbstractContextManager[None]:
        if self.warehouse.single_writer:
            return contextlib.nullcontext()
        return locking.dataset(self.warehouse, self.dataset, purpose, shared)


@dataclass
class Outcome:
    """What one unit's run did: the load ids it completed, or the error that stopped it."""

    unit: Unit
    loads: list[str] = field(default_factory=list)
    error: Exception | None = None


@dataclass
class Runner:
    """What every unit's run shares: the run's context and collectors, the warehouse, the
    progress display and the run's options."""

    context: RunContext
    mode: str
    warehouse: Warehouse
    pipelines_dir: Path
    arguments: Callable[[str], AbstractContextManager[dict[str, Any]]]
    now: Callable[[], pendulum.DateTime]
    recover: bool = False
    purge_only: bool = False
    adopt_old_folders: bool = False  # pipelines run.py kept in the project before
    progress: Progress = field(default_factory=lambda: Progress(sys.stderr, live=False, quiet=True))
    timings: Timings = field(default_factory=Timings)
    _writer: threading.Lock = field(default_factory=threading.Lock)
    _legacy: dict[str, migration.Legacy] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stats: dict[str, ApiStats] = field(default_factory=dict)
    _made: dict[str, tuple[dlt.Pipeline, dlt.Schema]] = field(default_factory=dict)
    # source -> when its newest stored schema version was stored, as the run began (None: none)
    _since: dict[str, Any] = field(default_factory=dict)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Held while a unit writes the warehouse (or syncs with it) when it has one writer,
        the file open for the turn's connections."""
        if not self.warehouse.single_writer:
            yield
            return
        with self._writer, self.warehouse.kept_open():
            yield

    def loads(self, source: str) -> Loads:
        """`source`'s dataset's loads, against its units settling."""
        return Loads(self.warehouse, source)

    def stats(self, source: str) -> ApiStats:
        """`source`'s API calls over all its units (inside the run's)."""
        with self._lock:
            return self._stats.setdefault(source, ApiStats(parent=self.context.stats))

    def pipeline(
        self, unit: Unit, name: str | None = None, progress: Collector | None = None
    ) -> dlt.Pipeline:
        """`unit`'s pipeline (or the pipeline `name` on its dataset)."""
        name = name or unit.pipeline_name
        if self.adopt_old_folders:
            naming.adopt_folder(name, self.pipelines_dir)
        options = {"progress": progress} if progress is not None else {}
        return dlt.pipeline(
            pipeline_name=name,
            destination=self.warehouse.destination(staging_dataset_name_layout=unit.staging_layout),
            dataset_name=unit.source,
            pipelines_dir=str(self.pipelines_dir),
            **options,
        )

    def legacy(self, unit: Unit) -> migration.Legacy | None:
        """The old layout's pipeline of `unit`'s source, one object per run."""
        if unit.legacy is None:
            return None
        with self._lock:
            if unit.source not in self._legacy:
                self._legacy[unit.source] = migration.Legacy(
                    unit.legacy,
                    self.pipelines_dir,
                    lambda: self.pipeline(dataclasses.replace(unit, account=None), unit.legacy),
                )
            return self._legacy[unit.source]

    def run(self, unit: Unit, turn: Turn | None = None) -> list[str]:
        """Settle, extract, normalize, load and purge `unit`, its line on the progress display,
        lending its `turn` while it sleeps; the load ids it completed."""
        stats = ApiStats(parent=self.stats(unit.source))
        failures = Failures(parent=self.context.failures)
        line = self.progress.source(unit.label, stats.calls)
        try:
            pipeline, loads = self.prepare(unit, line)
            if not self.purge_only:
                clock = WaitingClock(
                    self.context.clock, turn.lent if turn else contextlib.nullcontext
                )
                with self.source(unit, stats, failures, clock) as source:
                    info = pipeline.run(
                        source, loader_file_format=self.warehouse.loader_file_format
                    )
                loads += info.loads_ids
                self.made(unit.source, pipeline)
                self.timings.steps(unit.source, pipeline.last_trace)
                self.timings.wait(unit.source, clock.slept)
            with self.timings.phase("personal data purge"):
                self.purge(pipeline)
        except BaseException:
            line.finish(failed=True)
            raise
        line.finish(failed=len(failures) > 0)
        return loads

    def prepare(
        self, unit: Unit, progress: Collector | None = None
    ) -> tuple[dlt.Pipeline, list[str]]:
        """`unit`'s pipeline synced with the warehouse, its state adopted on its first run,
        what an interrupted run left settled, its loads gated; the load ids that completed."""
        with self.writing(), self.loads(unit.source).settling():
            pipeline = self.pipeline(unit, progress=progress)
            pipeline.sync_destination()
            self.begin(unit.source)
            self.share_schema(pipeline, unit.source)
            legacy = self.legacy(unit)
            if legacy is not None and migration.adopt(pipeline, unit.source, legacy, unit.others):
                pipeline.activate()  # reading the old pipeline made that one the active one
            settled = [] if self.purge_only else recovery.settle(pipeline, drop=self.recover)
            return self._gated(pipeline, unit.source), settled

    def share_schema(self, pipeline: dlt.Pipeline, source: str) -> None:
        """Merge the dataset's newest stored schema into `pipeline`'s: every unit of a source
        loads one dataset, and the schema each stores must hold every table and column the
        others made (a seller with no rows for a table, or a new seller, stores one without
        them; dlt's readers of the dataset take the newest)."""
        stored = self.warehouse.dataset(source).schema
        if not stored.data_table_names():
            return
        if pipeline.default_schema_name is None:
            pipeline._inject_schema(stored.clone())  # dlt's own way to give a pipeline a schema
        else:
            pipeline.default_schema.update_schema(stored)

    def begin(self, source: str) -> None:
        """Note when this run first met `source`'s dataset (its newest stored schema version):
        `store_schemas` takes in it and every version stored after it."""
        with self._lock:  # asked once, before any of this run's units of `source` loads
            if source not in self._since:
                versions = self._versions(source)
                self._since[source] = max((at for _, at in versions), default=None)

    def _versions(self, source: str) -> list[tuple[str, Any]]:
        """(hash, inserted_at) of every schema version stored in `source`'s dataset."""
        with self.warehouse.sql_client(source) as client:
            versions = client.make_qualified_table_name(VERSIONS)
            try:
                rows = client.execute_sql(f"select version_hash, inserted_at from {versions}")
            except DatabaseUndefinedRelation:  # nothing stored yet
                return []
        return [(version_hash, inserted_at) for version_hash, inserted_at in rows or []]

    def made(self, source: str, pipeline: dlt.Pipeline) -> None:
        """Add what `pipeline` loaded to the tables and columns `source`'s units made in this
        run."""
        with self._lock:
            if source in self._made:
                self._made[source][1].update_schema(pipeline.default_schema)
            else:
                self._made[source] = (pipeline, pipeline.default_schema.clone())

    def store_schemas(self) -> None:
        """Store, per source, one schema holding every table and column this run's units made,
        and every version stored since the run began (other processes' units: Dagster's
        partitions, runs of other accounts): units under way at once each stored one without the
        tables the others' loads made meanwhile, and dlt's readers of the dataset take the
        newest."""
        for source, (pipeline, made) in self._made.items():
            store = functools.partial(self._store_schema, pipeline, source, made)
            with self.writing(), self.loads(source).loading(migrate=store):
                pass  # stored as a load migrates: alone, never while a unit settles
        self._made.clear()

    def _store_schema(self, pipeline: dlt.Pipeline, source: str, made: dlt.Schema) -> None:
        since = self._since.get(source)  # the newest stored version is one of those since
        with pipeline.destination_client() as client:
            for version_hash, inserted_at in self._versions(source):
                if since is None or inserted_at >= since:
                    stored = client.get_stored_schema_by_hash(version_hash)
                    if stored is not None and stored.schema_name == made.name:
                        schema = dlt.Schema.from_dict(json.loads(stored.schema))
                        pipeline.default_schema.update_schema(schema)
        pipeline.default_schema.update_schema(made)
        pipeline.sync_schema()

    @contextlib.contextmanager
    def source(
        self,
        unit: Unit,
        stats: ApiStats | None = None,
        failures: Failures | None = None,
        clock: WaitingClock | None = None,
        resources: list[str] | None = None,
    ) -> Iterator[Any]:
        """`unit`'s dlt source, valid while the context is open (Amzpecty's receiver), counting
        into `stats` and `failures` (else the run's), sleeping on `clock`, with only
        `resources` (SP-API's) when given."""
        with self.arguments(unit.source) as arguments:
            context = dataclasses.replace(
                self.context,
                accounts=unit.accounts,
                overrides={**self.context.overrides, unit.source: arguments},
                stats=stats or self.stats(unit.source),
                failures=failures or self.context.failures,
                clock=clock or self.context.clock,
                resources=resources or self.context.resources,
            )
            yield BUILDERS[unit.source](context)

    def purge(self, pipeline: dlt.Pipeline) -> None:
        """Personal data past its retention, after every load; a dataset without personal
        columns needs no turn at the warehouse."""
        if not retention.personal_columns(pipeline):
            return
        with self.writing():
            retention.purge(pipeline, self.now(), retention.retention_days())

    def _gated(self, pipeline: dlt.Pipeline, source: str) -> dlt.Pipeline:
        """`pipeline`, its loads taking turns: dlt's `run` extracts and normalizes, then calls
        the pipeline's `load`, which waits here for the warehouse (one trace, as dlt keeps it).
        Where loads run side by side, each first syncs its schema alone (`Loads`); the load then
        finds its tables and columns made."""
        load = pipeline.load
        migrate = (lambda: None) if self.warehouse.single_writer else pipeline.sync_schema

        def gated(*args: Any, **kwargs: Any) -> Any:
            with self.writing(), self.loads(source).loading(migrate):
                return load(*args, **kwargs)

        pipeline.load = gated  # type: ignore[method-assign]
        return pipeline


def run_units(units: Sequence[Unit], runner: Runner, workers: int) -> list[Outcome]:
    """Every unit's outcome, in `units`' order: at most `workers` at work at once, and up to
    `WAITING` times as many started (the others asleep); one worker runs them one after
    another in this thread."""
    outcomes = {}
    for batch in (
        [u for u in units if u.source not in LAST],
        [u for u in units if u.source in LAST],
    ):
        if workers <= 1 or len(batch) <= 1:
            outcomes.update((id(u), _attempt(runner, u)) for u in batch)
            continue
        turns = threading.Semaphore(workers)
        threads = min(len(batch), workers * WAITING)
        # Ctrl-C reaches this thread only: dlt's flag tells the units' extracts and loads
        with (
            signals.intercepted_signals(),
            ThreadPoolExecutor(max_workers=threads, thread_name_prefix="unit") as pool,
        ):
            futures = [pool.submit(_attempt, runner, u, Turn(turns)) for u in batch]
            try:
                for unit, future in zip(batch, futures, strict=True):
                    outcomes[id(unit)] = future.result()
            except BaseException:
                for future in futures:
                    future.cancel()  # units not started never start
                raise
        runner.store_schemas()
    return [outcomes[id(u)] for u in units]


def _attempt(runner: Runner, unit: Unit, turn: Turn | None = None) -> Outcome:
    """`unit`'s run, at work only in its `turn`; an error stops only this unit (an
    interruption stops the run)."""
    try:
        with turn or contextlib.nullcontext():
            signals.raise_if_signalled()  # a unit that got its turn after Ctrl-C never starts
            return Outcome(unit, runner.run(unit, turn))
    except Exception as error:  # the unit fails alone; run.py reports it
        if interruption(error) is not None:
            raise  # Ctrl-C (dlt wraps it in its step's error) stops the run
        log.error("%s failed", unit.label)
        return Outcome(unit, error=error)
