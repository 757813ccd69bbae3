"""One run at a time per warehouse: `run.py` holds it from start to finish.

dlt opens the warehouse only while it syncs and loads, so two runs on one warehouse would not
collide until both loaded at once (DuckDB's raw lock error, midway through the second), and on
a server they would not collide at all: both would merge into one dataset's `_staging` tables
(dlt#4297) and write its state, each from its own local copy. So a run takes a lock file
(`amazon.duckdb.lock` beside the file, else `<destination>.lock` in the pipelines folder),
which names the run that holds it, and then the warehouse's own lock: DuckDB's on the file
(another program holding it, a notebook or a SQL client, is named from DuckDB's error), or on
PostgreSQL a session advisory lock on the database, which runs from other machines or
pipelines folders take too. BigQuery, Snowflake and MotherDuck have no such lock: runs into one
of them are kept apart on one machine only. A run that finds the warehouse taken fails at once
naming the holder, or waits for it (`--wait`).

A run of one unit (a Dagster partition: one seller's pipeline) holds a server warehouse shared
and its unit alone exclusively, so partitions of different sellers load side by side, never
with a whole run nor with another run of their seller; DuckDB (one writer) is held whole.
Units side by side, in one process or several, coordinate on each dataset (`dataset`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import duckdb

from pipelines.warehouse import Warehouse
from sources.common.clock import Clock

log = logging.getLogger("pipelines.run")
POLL_SECONDS = 1.0  # how often a waiting run looks again
# pg_try_advisory_lock(RUN_LOCK, 0): one run per database ("amzn" as a number)
RUN_LOCK = 0x616D7A6E
DATASET_LOCK = 0x616D7A64  # pg_advisory_lock(DATASET_LOCK, <dataset and purpose>): "amzd"
# DuckDB: 'Could not set lock on file "<path>": Conflicting lock is held in <program> (PID n)'
DUCKDB_LOCK = re.compile(
    r'Could not set lock on file "(?P<path>[^"]+)": '
    r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)"
)


class WarehouseBusyError(Exception):
    """The warehouse is in use by another run or program; the message names it."""


@contextmanager
def hold(
    warehouse: Warehouse, wait_seconds: float, clock: Clock, unit: str | None = None
) -> Iterator[None]:
    """Hold the warehouse for one run (of the unit `unit` alone, when named): wait up to
    `wait_seconds` for whoever holds it (our lock file, then the warehouse's own lock), or
    fail at once naming them when `wait_seconds` is 0."""
    shared = unit is not None and not warehouse.single_writer
    lock_path = warehouse.lock_path
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    deadline = clock.monotonic() + wait_seconds
    with contextlib.ExitStack() as held:
        locks = [(lock_path, shared)]
        if shared:
            locks.append((lock_path.with_name(f"{lock_path.name}.{unit}"), False))
        for path, mode in locks:
            handle = held.enter_context(path.open("a+"))
            _wait(
                lambda h=handle, p=path, m=mode: _try_lock(h, p, m),
                deadline,
                clock,
                warehouse.label,
            )
            held.callback(_release, handle)
        take = held.enter_context(_warehouse_lock(warehouse, unit if shared else None))
        _wait(take, deadline, clock, warehouse.label)
        if not shared:
            since = clock.now().in_timezone("UTC").strftime("%Y-%m-%d %H:%M:%S UTC")
            handle.write(json.dumps({"pid": os.getpid(), "since": since}))
            handle.flush()
        yield


@contextmanager
def dataset(warehouse: Warehouse, name: str, purpose: str, shared: bool = False) -> Iterator[None]:
    """`purpose`'s lock on dataset `name`, shared or alone, between the units of every process
    on it (Dagster's partitions run in processes of their own), waiting as long as it takes: on
    PostgreSQL a session advisory lock, which processes on other machines take too; elsewhere
    a lock file beside the run's, which keeps apart the processes of one machine."""
    if warehouse.kind == "postgres":
        key = zlib.crc32(f"{name}.{purpose}".encode()) & 0x7FFFFFFF
        take = (
            "select pg_advisory_lock_shared(%s, %s)"
            if shared
            else "select pg_advisory_lock(%s, %s)"
        )
        with warehouse.sql_client("public") as client:
            client.execute_sql(take, DATASET_LOCK, key)
            yield  # closing the session lets the lock go
        return
    path = warehouse.lock_path.with_name(f"{warehouse.lock_path.name}.{name}.{purpose}")
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield


def _release(handle: IO[str]) -> None:
    """Forget who held the lock file (a shared holder wrote nothing) and let it go."""
    handle.seek(0)
    handle.truncate()
    fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _warehouse_lock(warehouse: Warehouse, unit: str | None) -> Iterator[Callable[[], str | None]]:
    """A way to take the warehouse's own lock (None once taken, else its holder), held until
    the context closes (shared, with `unit`'s own, when a unit is named); a warehouse without
    one is always free."""
    if warehouse.file is not None:
        yield lambda: _duckdb_holder(warehouse.file.path)  # type: ignore[union-attr]
    elif warehouse.kind == "postgres":
        with warehouse.sql_client("public") as client:
            yield lambda: _postgres_holder(client, unit)
    else:
        yield lambda: None


def _postgres_holder(client: Any, unit: str | None = None) -> str | None:
    """None once this session holds the database's run lock (shared, and `unit`'s alone, when
    a unit is named), else the session holding it."""
    if unit is None:
        ((taken,),) = client.execute_sql(f"select pg_try_advisory_lock({RUN_LOCK}, 0)")
    else:
        ((taken,),) = client.execute_sql(f"select pg_try_advisory_lock_shared({RUN_LOCK}, 0)")
        if taken:
            key = zlib.crc32(unit.encode()) & 0x7FFFFFFF or 1  # a number of this unit's own
            ((mine,),) = client.execute_sql("select pg_try_advisory_lock(%s, %s)", RUN_LOCK, key)
            if not mine:
                client.execute_sql(f"select pg_advisory_unlock_shared({RUN_LOCK}, 0)")
                return f"another run of {unit}"
    if taken:
        return None
    found = client.execute_sql(
        "select a.pid, coalesce(host(a.client_addr), 'this server'), "
        "to_char(a.backend_start at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"') "
        "from pg_locks as l join pg_stat_activity as a on a.pid = l.pid "
        f"where l.locktype = 'advisory' and l.granted and l.classid = {RUN_LOCK} "
        "and l.objid = 0 and l.objsubid = 2"
    )
    if not found:
        return "another run.py"
    pid, client_address, since = found[0]
    return f"another run.py (PostgreSQL session {pid} from {client_address}, since {since})"


def conflict(error: BaseException) -> str | None:
    """The one line for DuckDB's lock conflict, if `error` is one (as raised, or as dlt
    wrapped its text)."""
    found = DUCKDB_LOCK.search(str(error))
    return _in_use(Path(found["path"]).name, _program(found)) if found else None


def _wait(take: Callable[[], str | None], deadline: float, clock: Clock, label: str) -> None:
    """Call `take` until it succeeds (None) or the deadline passes; else it says who holds
    what it tried to take."""
    said = False
    while True:
        held_by = take()
        if held_by is None:
            return
        if clock.monotonic() >= deadline:
            raise WarehouseBusyError(_in_use(label, held_by))
        if not said:
            log.info("waiting for %s: in use by %s", label, held_by)
            said = True
        clock.sleep(min(POLL_SECONDS, deadline - clock.monotonic()))


def _try_lock(handle: IO[str], lock_path: Path, shared: bool = False) -> str | None:
    """None once the lock file is ours (or ours too, `shared`), else the run that holds it."""
    try:
        fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        return _holder(lock_path)
    return None


def _holder(lock_path: Path) -> str:
    """The run that holds the lock file, as it wrote itself there."""
    try:
        found = json.loads(lock_path.read_text() or "{}")
    except (OSError, ValueError):
        found = {}
    if "pid" not in found:
        return "another run.py"
    return f"another run.py (PID {found['pid']}, since {found['since']})"


def _duckdb_holder(duckdb_path: Path) -> str | None:
    """The process holding DuckDB's own lock on the file, if another one does."""
    if not duckdb_path.exists():
        return None
    try:
        duckdb.connect(str(duckdb_path)).close()
    except duckdb.IOException as error:
        found = DUCKDB_LOCK.search(str(error))
        if found:
            return _program(found)
    except duckdb.Error:
        return None  # not ours to judge (dlt reports whatever it is)
    return None


def _program(found: re.Match[str]) -> str:
    return f"{Path(found['program']).name} (PID {found['pid']})"


def _in_use(label: str, held_by: str) -> str:
    return f"{label} is in use by {held_by}; wait for it to finish or close it, or run with --wait"
