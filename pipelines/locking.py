"""One run at a time per warehouse: `run.py` holds `<warehouse>.lock` from start to finish.

dlt opens the DuckDB file only while it syncs and loads, so two runs on one warehouse would
not collide until both loaded at once (DuckDB's raw lock error, midway through the second),
and two pipelines of one dataset would share its `_staging` tables (dlt#4297). The lock file
names the run that holds it; a run that finds it taken fails at once saying so, or waits for
it (`--wait`). Another program holding DuckDB's own lock (a notebook, a SQL client) is named
the same way, from the process DuckDB's error names.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import duckdb

from sources.common.clock import Clock

log = logging.getLogger("pipelines.run")
POLL_SECONDS = 1.0  # how often a waiting run looks again
# DuckDB: 'Could not set lock on file "<path>": Conflicting lock is held in <program> (PID n)'
DUCKDB_LOCK = re.compile(
    r'Could not set lock on file "(?P<path>[^"]+)": '
    r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)"
)


class WarehouseBusyError(Exception):
    """The warehouse is in use by another run or program; the message names it."""


@contextmanager
def hold(duckdb_path: Path, wait_seconds: float, clock: Clock) -> Iterator[None]:
    """Hold the warehouse for one run: wait up to `wait_seconds` for whoever holds it (our
    lock file, then DuckDB's lock), or fail at once naming them when `wait_seconds` is 0."""
    lock_path = duckdb_path.with_name(duckdb_path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    deadline = clock.monotonic() + wait_seconds
    with lock_path.open("a+") as handle:
        _wait(lambda: _try_lock(handle, lock_path), deadline, clock, duckdb_path)
        try:
            _wait(lambda: _duckdb_holder(duckdb_path), deadline, clock, duckdb_path)
            handle.seek(0)
            handle.truncate()
            since = clock.now().in_timezone("UTC").strftime("%Y-%m-%d %H:%M:%S UTC")
            handle.write(json.dumps({"pid": os.getpid(), "since": since}))
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def conflict(error: BaseException) -> str | None:
    """The one line for DuckDB's lock conflict, if `error` is one (as raised, or as dlt
    wrapped its text)."""
    found = DUCKDB_LOCK.search(str(error))
    return _in_use(Path(found["path"]), _program(found)) if found else None


def _wait(take: Callable[[], str | None], deadline: float, clock: Clock, duckdb_path: Path) -> None:
    """Call `take` until it succeeds (None) or the deadline passes; else it says who holds
    what it tried to take."""
    said = False
    while True:
        held_by = take()
        if held_by is None:
            return
        if clock.monotonic() >= deadline:
            raise WarehouseBusyError(_in_use(duckdb_path, held_by))
        if not said:
            log.info("waiting for %s: in use by %s", duckdb_path.name, held_by)
            said = True
        clock.sleep(min(POLL_SECONDS, deadline - clock.monotonic()))


def _try_lock(handle: IO[str], lock_path: Path) -> str | None:
    """None once the lock file is ours, else the run that holds it."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
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


def _in_use(duckdb_path: Path, held_by: str) -> str:
    return (
        f"{duckdb_path.name} is in use by {held_by}; wait for it to finish or close it, or "
        "run with --wait"
    )
