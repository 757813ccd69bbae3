"""pipelines/locking.py: one run at a time per warehouse, and who holds it, in one line."""

from __future__ import annotations

import os
import uuid
from contextlib import ExitStack

import pytest

from pipelines import locking
from pipelines.duckdb_file import DuckDbFile
from pipelines.warehouse import Warehouse, choose
from tests.fakes import FakeClock
from tests.warehouses import postgres  # noqa: F401

DUCKDB_TEXT = (
    'IO Error: Could not set lock on file "/data/amazon.duckdb": Conflicting lock is held in '
    "/usr/bin/python3.12 (PID 4242). See also https://duckdb.org/docs/current/connect/concurrency"
)


def test_a_held_warehouse_fails_at_once_naming_the_run_that_holds_it(tmp_path) -> None:
    warehouse = Warehouse.of_file(DuckDbFile(tmp_path / "amazon.duckdb"))
    clock = FakeClock()
    with (
        locking.hold(warehouse, 0, clock),
        pytest.raises(locking.WarehouseBusyError) as busy,
        locking.hold(warehouse, 0, clock),
    ):
        pass
    since = clock.now().strftime("%Y-%m-%d %H:%M:%S UTC")
    assert str(busy.value) == (
        f"amazon.duckdb is in use by another run.py (PID {os.getpid()}, since {since}); wait "
        "for it to finish or close it, or run with --wait"
    )
    assert clock.sleeps == []
    with locking.hold(warehouse, 0, clock):  # released
        pass


def test_a_waiting_run_gives_up_at_its_deadline(tmp_path) -> None:
    warehouse = Warehouse.of_file(DuckDbFile(tmp_path / "amazon.duckdb"))
    clock = FakeClock()
    with (
        locking.hold(warehouse, 0, clock),
        pytest.raises(locking.WarehouseBusyError),
        locking.hold(warehouse, 2.5, clock),
    ):
        pass
    assert clock.sleeps == [1.0, 1.0, 0.5]


class _Releasing(FakeClock):
    """A clock whose first sleep is when the other run ends."""

    def __init__(self, holder: ExitStack) -> None:
        super().__init__()
        self.holder = holder

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.holder.close()


def test_a_waiting_run_goes_on_once_the_other_ends(tmp_path) -> None:
    holder = ExitStack()
    warehouse = Warehouse.of_file(DuckDbFile(tmp_path / "amazon.duckdb"))
    holder.enter_context(locking.hold(warehouse, 0, FakeClock()))
    clock = _Releasing(holder)
    with locking.hold(warehouse, 60, clock):
        assert '"pid": ' in (tmp_path / "amazon.duckdb.lock").read_text()
    assert clock.sleeps == [1.0]
    assert (tmp_path / "amazon.duckdb.lock").read_text() == ""


def test_duckdbs_own_lock_error_becomes_one_line_naming_the_process() -> None:
    assert locking.conflict(RuntimeError(DUCKDB_TEXT)) == (
        "amazon.duckdb is in use by python3.12 (PID 4242); wait for it to finish or close it, "
        "or run with --wait"
    )
    assert locking.conflict(RuntimeError("IO Error: No space left on device")) is None


def test_units_hold_a_server_warehouse_side_by_side_but_never_with_a_whole_run(
    tmp_path,
    request,
    monkeypatch,
) -> None:
    """Dagster's partitions: two sellers' runs load PostgreSQL at once; the same seller's
    second run, or a whole run.py run, is refused while they do (and they while it does)."""
    server = request.getfixturevalue("postgres")
    database = server.create_database(f"locks_{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", server.dsn(database))
    warehouse = choose("postgres", None, tmp_path)
    clock = FakeClock()
    with ExitStack() as held:
        held.enter_context(locking.hold(warehouse, 0, clock, unit="sandbox_sp_api__one__w"))
        held.enter_context(locking.hold(warehouse, 0, clock, unit="sandbox_sp_api__two__w"))
        for unit in ("sandbox_sp_api__one__w", None):
            with pytest.raises(locking.WarehouseBusyError), locking.hold(warehouse, 0, clock, unit):
                pass
    with (
        locking.hold(warehouse, 0, clock),
        pytest.raises(locking.WarehouseBusyError) as busy,
        locking.hold(warehouse, 0, clock, unit="sandbox_sp_api__one__w"),
    ):
        pass
    assert str(busy.value).startswith(f"{warehouse.label} is in use by another run.py")
    with locking.hold(warehouse, 0, clock, unit="sandbox_sp_api__one__w"):  # all released
        pass
