"""What the battery's SP-API fetch rows share: faults, the sandbox's call log and clean runs.

A clean run is a load of the same frozen world without faults; a faulty run must end with the
same fingerprint (or, where a row says so, with exactly one named failure).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.core.calls import Call
from tests.battery.fingerprint import TablePrint, fingerprint, unfinished_loads
from tests.loading import Load, load_sp_api
from tests.sandbox.wire import control

SEARCH_ORDERS = "orders_2026-01-01.searchOrders"
CREATE_REPORT = "reports_2021-06-30.createReport"
GET_REPORT = "reports_2021-06-30.getReport"
GET_REPORT_DOCUMENT = "reports_2021-06-30.getReportDocument"


def frozen(url: str) -> None:
    """Hold the world's data still, so that every run of a test sees the same orders."""
    control(url, "world/freeze", {"at": "now"})


def faults(url: str, *specs: dict[str, Any]) -> None:
    """Generic faults (`/_sandbox/faults`): a status, a body, a cut, an expiry..."""
    control(url, "faults", {"faults": list(specs)})


def report_faults(url: str, *specs: dict[str, Any]) -> None:
    """Report faults (`/_sandbox/reports/faults`): FATAL, stuck, a spoiled or given document."""
    control(url, "reports/faults", {"faults": list(specs)})


def clear_calls(url: str) -> None:
    requests.delete(f"{url}/_sandbox/calls", timeout=30).raise_for_status()


def calls(url: str, operation: str | None = None, seller_id: str | None = None) -> list[Call]:
    """The call log in order, optionally of one operation (`<service>.<operation>` or the bare
    operation) and one seller."""
    response = requests.get(f"{url}/_sandbox/calls", params={"detail": 1}, timeout=30)
    response.raise_for_status()
    found = [Call(**call) for call in response.json()["calls"]]
    return [
        call
        for call in found
        if operation in (None, call.operation, f"{call.service}.{call.operation}")
        and seller_id in (None, call.seller_id)
    ]


def sandbox_reports(url: str) -> list[dict[str, Any]]:
    """Every report the sandbox has made (settlements aside)."""
    response = requests.get(f"{url}/_sandbox/reports", timeout=30)
    response.raise_for_status()
    return response.json()["reports"]


def reset(url: str) -> None:
    """The sandbox as seeded: no reports, faults, calls or tokens, the clock at its origin."""
    requests.post(f"{url}/_sandbox/reset", timeout=30).raise_for_status()


def clean(load: Load) -> dict[str, TablePrint]:
    """The load's fingerprint, once every load id in it is a completed load. Report ids are
    left out: the sandbox numbers reports in the order runs happen to create them."""
    assert not unfinished_loads(load.duckdb_path, "sp_api")
    return fingerprint(load.duckdb_path, "sp_api", ignore=frozenset({"report_id"}))


def clean_run(accounts: dict[str, Any], workdir: Path, **options: Any) -> dict[str, TablePrint]:
    """The fingerprint a run without faults leaves."""
    load = load_sp_api(accounts, workdir, **options)
    assert not list(load.failures), [str(f) for f in load.failures]
    return clean(load)


def expected_fixture(**options: Any) -> Any:
    """A module's `expected` fixture: the fingerprint of a run with `options` and no faults,
    made once per module from the seeded sandbox (each test starts from the same world)."""

    @pytest.fixture(scope="module")
    def expected(sandbox_server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict:
        reset(sandbox_server.url)
        return clean_run(sandbox_server.accounts(), tmp_path_factory.mktemp("clean"), **options)

    return expected


def state(load: Load, resource: str) -> dict[str, Any]:
    """A resource's dlt state after the load."""
    return load.pipeline.state["sources"]["sp_api"]["resources"].get(resource, {})


def peak_rss_growth(action: Callable[[], object]) -> int:
    """Bytes the process's resident set grew by, at its peak, while `action` ran (Linux: the
    peak is reset to the current size first)."""
    before = _memory("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    action()
    return _memory("VmHWM") - before


def _memory(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)
