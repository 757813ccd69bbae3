"""`pool.Loads`: a unit settling what an earlier run left (which drops rows of loads not
completed) never runs while another unit's load of the same dataset is under way, in this
process or another (Dagster's partitions), while loads share the dataset and migrate its tables
one at a time. PostgreSQL lost report rows when a starting unit settled beside units loading."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import dlt
import pytest

from pipelines import locking
from pipelines.duckdb_file import DuckDbFile
from pipelines.pool import Loads
from pipelines.warehouse import Warehouse, choose
from tests.conftest import ROOT
from tests.warehouses import postgres  # noqa: F401

DATASET = "sp_api"
# another process loading the dataset until its input closes
HOLDER = """
import sys
from pathlib import Path
import dlt
from pipelines.pool import Loads
from pipelines.warehouse import Warehouse, choose
kind, home = sys.argv[1], Path(sys.argv[2])
if kind == "postgres":
    warehouse = choose("postgres", None, home)
else:
    warehouse = Warehouse(dlt.destinations.motherduck(), home / "motherduck")
with Loads(warehouse, "sp_api").loading():
    print("loading", flush=True)
    sys.stdin.read()
"""


@pytest.fixture(params=["lock files", "postgres"])
def warehouse(request, tmp_path, monkeypatch) -> tuple[Warehouse, Callable[[], int]]:
    """A warehouse of many writers, and how many of its dataset locks are being waited for:
    PostgreSQL (advisory locks), or one whose units coordinate through lock files."""
    if request.param == "postgres":
        server = request.getfixturevalue("postgres")
        database = server.create_database(f"loads_{uuid.uuid4().hex[:12]}")
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", server.dsn(database))
        waiting_sql = (
            "select count(*) from pg_locks where locktype = 'advisory' and not granted "
            f"and classid = {locking.DATASET_LOCK}"
        )
        return choose("postgres", None, tmp_path), lambda: server.query(database, waiting_sql)[0][0]
    found = Warehouse(dlt.destinations.motherduck(), tmp_path / "motherduck")
    return found, lambda: _file_lock_waiters(found.lock_path.parent)


def _file_lock_waiters(folder: Path) -> int:
    """Requests for the lock files in `folder` that wait (`->` in Linux's /proc/locks)."""
    inodes = {str(path.stat().st_ino) for path in folder.glob("*.lock.*")}
    lines = Path("/proc/locks").read_text().splitlines()
    return sum("->" in line and line.split()[-3].split(":")[-1] in inodes for line in lines)


def until(condition: Callable[[], bool]) -> None:
    """Yield to the other threads until `condition` holds (no sleep)."""
    while not condition():
        threading.Event().wait(0)


def test_a_unit_settles_only_after_another_process_loading_ends_and_loads_wait_for_it(
    warehouse, tmp_path
) -> None:
    found, waiting = warehouse
    loads, events = Loads(found, DATASET), []
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, found.kind, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout.readline() == "loading\n"
        settle_ends = threading.Event()

        def settle() -> None:
            with loads.settling():
                events.append("settles")
                settle_ends.wait()

        settler = threading.Thread(target=settle, daemon=True)
        settler.start()
        until(lambda: waiting() == 1 or events != [])
        assert events == []  # settling waits for the other process's load under way
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
        until(lambda: events == ["settles"])

        def load() -> None:
            with loads.loading(migrate=lambda: events.append("b migrates")):
                events.append("b loads")

        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        until(lambda: waiting() == 1 or len(events) > 1)
        assert events == ["settles"]  # a load waits for the settling
        settle_ends.set()
        settler.join()
        loader.join()
        assert events == ["settles", "b migrates", "b loads"]
    finally:
        holder.kill()
        holder.wait()


def test_loads_under_way_share_the_dataset_and_migrate_one_at_a_time(warehouse) -> None:
    found, waiting = warehouse
    loads, events = Loads(found, DATASET), []
    inside = threading.Barrier(2)  # both loads inside at once, or this never returns
    first_migrates, migrated = threading.Event(), threading.Event()

    def migrate(name: str) -> None:
        events.append(f"{name} migrates")
        if name == "a":
            first_migrates.set()
            migrated.wait()

    def load(name: str) -> None:
        with loads.loading(migrate=lambda: migrate(name)):
            inside.wait(timeout=60)

    first = threading.Thread(target=load, args=("a",), daemon=True)
    first.start()
    first_migrates.wait()
    second = threading.Thread(target=load, args=("b",), daemon=True)
    second.start()
    until(lambda: waiting() == 1 or len(events) > 1)
    assert events == ["a migrates"]  # the second migration waits for the first
    migrated.set()
    first.join()
    second.join()
    assert events == ["a migrates", "b migrates"]
    assert not inside.broken


def test_a_single_writer_needs_no_dataset_locks(tmp_path) -> None:
    """DuckDB's loads take turns at the run's writer lock, and a unit holds its file whole."""
    loads = Loads(Warehouse.of_file(DuckDbFile(tmp_path / "amazon.duckdb")), DATASET)
    with loads.settling():
        pass
    with loads.loading():
        pass
    assert list(tmp_path.iterdir()) == []  # no lock file
