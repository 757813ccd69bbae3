"""Row 10, two writers: while one run.py loads the warehouse, a second on the same file fails
at once, naming the run that holds it, before asking Amazon anything; a third with `--wait`
waits for it, then loads. The first is unaffected, and since runs never overlap, no two loads
share the dataset's staging tables (dlt#4297)."""

from __future__ import annotations

from tests.battery import runs
from tests.battery.killpoint import MARKER
from tests.e2e.runner import run_py


def test_a_second_writer_fails_fast_and_a_waiting_one_goes_after_the_first(
    sandbox_server, accounts, tmp_path
) -> None:
    first = runs.start(tmp_path, sandbox_server, point="load-first-merge")
    runs.read_until(first, MARKER)  # mid-load, holding the warehouse
    calls = len(sandbox_server.app.calls.calls())

    second = run_py(tmp_path, *runs.target(sandbox_server), **runs.ORDERS)

    assert second.returncode == 1
    assert (
        second.stderr.strip()
        .splitlines()[-1]
        .startswith(f"error: warehouse.duckdb is in use by another run.py (PID {first.pid}, since ")
    )
    assert len(sandbox_server.app.calls.calls()) == calls
    third = runs.start(tmp_path, sandbox_server, "--wait", "600")
    runs.read_until(
        third, f"waiting for warehouse.duckdb: in use by another run.py (PID {first.pid}"
    )
    runs.resume(first)
    assert first.returncode == 0
    runs.finish(third)
    assert third.returncode == 0
    runs.assert_clean(tmp_path, accounts)
