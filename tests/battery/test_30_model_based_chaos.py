"""Row 30, model-based chaos: Hypothesis drives random sequences of runs, runs killed after k
calls, clock moves (new orders, changed statuses) and injected faults (429s, 5xx bursts,
connections reset mid-answer) against one sandbox; after every completed run the warehouse
equals the model: the world as the Orders API shows it, each order once, at its latest
version, every row from a completed load.

The suite runs a small budget; a long run takes more examples from the environment:

    CHAOS_EXAMPLES=200 CHAOS_STEPS=12 python -m pytest tests/battery/test_30_model_based_chaos.py

A failure prints the blob that replays it (`@reproduce_failure`) and the seed
(`--hypothesis-seed`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

import sandbox
from tests.battery.fingerprint import unfinished_loads
from tests.conftest import TEST_TIME_SCALE, WORLD_ORIGIN
from tests.e2e.runner import environment, run_py, run_py_command

LAG = 120.0  # the Orders API shows nothing updated in the last two minutes
ORDERS_ONLY = {
    "SOURCES__SP_API__RESOURCES": '["orders", "order_items"]',
    "SOURCES__SP_API__REPORT_TYPES": "[]",
    "SOURCES__SP_API__FINANCES": "false",
    "SOURCES__SP_API__RETRY_BACKOFF_SECONDS": "0.01",
}
SEARCH = "orders_2026-01-01.searchOrders"
FAULTS = {
    "throttles": {"operation": SEARCH, "status": 429},
    "server_errors": {"operation": SEARCH, "status": 503},
    "resets": {"operation": SEARCH, "cut": "reset", "at": 0.5},
}


@pytest.fixture(scope="module")
def chaos_sandbox() -> Iterator[sandbox.Sandbox]:
    running = sandbox.start(
        seed=30,
        orders=2_000,
        time_scale=TEST_TIME_SCALE,
        start=WORLD_ORIGIN,
        origin=WORLD_ORIGIN,
        frozen=True,
    )
    yield running
    running.stop()


def model(running: sandbox.Sandbox) -> set[tuple[str, str, int]]:
    """(seller, order id, last update) of every order the Orders API shows now."""
    shown = running.app.world_time() - LAG
    truth = set()
    for seller_id, book in running.app.world.order_books.items():
        visible = book.visible_count(shown)
        updated = book.last_updated(shown, 0, visible)
        truth |= {(seller_id, book.order_id(i), int(updated[i])) for i in range(visible)}
    return truth


def warehouse(path: Path) -> tuple[list[tuple[str, str, int]], int]:
    """Every order row (seller, id, last update) and how many order-item keys repeat."""
    with duckdb.connect(str(path), read_only=True) as connection:
        orders = connection.execute(
            "select seller_id, order_id, epoch(last_updated_time::timestamptz)::bigint "
            "from sp_api.orders"
        ).fetchall()
        repeated = connection.execute(
            "select count(*) - count(distinct (seller_id, order_id, order_item_id)) "
            "from sp_api.order_items"
        ).fetchone()[0]
    return orders, repeated


class Chaos(RuleBasedStateMachine):
    """One warehouse against one sandbox world, through whatever the rules do to it."""

    running: sandbox.Sandbox

    @initialize()
    def fresh(self) -> None:
        requests.post(f"{self.running.url}/_sandbox/reset", timeout=30).raise_for_status()
        self.workdir = Path(tempfile.mkdtemp(prefix="chaos-"))
        self.arguments = ["--sandbox-url", self.running.url, "--sources", "sp_api", "--no-dbt"]

    def teardown(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _control(self, path: str, body: dict) -> None:
        response = requests.post(f"{self.running.url}/_sandbox/{path}", json=body, timeout=30)
        response.raise_for_status()

    @rule()
    def run(self) -> None:
        result = run_py(self.workdir, *self.arguments, name="chaos", **ORDERS_ONLY)
        assert result.returncode == 0, result.stderr[-2000:]
        orders, repeated = warehouse(self.workdir / "chaos.duckdb")
        assert len(orders) == len(set(orders)) and repeated == 0
        assert set(orders) == model(self.running)
        assert not unfinished_loads(self.workdir / "chaos.duckdb", "sp_api")

    def _killed(self, due: Callable[[], bool]) -> None:
        """A run SIGKILLed as soon as `due()` says so (or left to finish if it never does)."""
        process = subprocess.Popen(
            run_py_command(self.workdir, *self.arguments, name="chaos"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment(**ORDERS_ONLY),
        )
        try:
            while process.poll() is None:
                if due():
                    process.send_signal(signal.SIGKILL)
                    break
        finally:
            process.wait(timeout=120)

    @rule(calls=st.integers(min_value=1, max_value=30))
    def killed_while_extracting(self, calls: int) -> None:
        """Killed once the sandbox has answered `calls` more requests."""
        ledger = f"{self.running.url}/_sandbox/calls"
        before = requests.get(ledger, timeout=30).json()["total"]
        self._killed(lambda: requests.get(ledger, timeout=30).json()["total"] - before >= calls)

    @rule()
    def killed_while_loading(self) -> None:
        """Killed while a load package loads: it waits for the next run."""
        pipelines = self.workdir / "chaos-pipelines"
        self._killed(lambda: any(pipelines.glob("*/load/normalized/*/started_jobs/*")))

    @rule(seconds=st.sampled_from([300, 3_600, 86_400, 7 * 86_400]))
    def time_passes(self, seconds: int) -> None:
        """New orders arrive and statuses move on."""
        self._control("clock/advance", {"seconds": seconds})

    @rule(kind=st.sampled_from(sorted(FAULTS)), count=st.integers(min_value=1, max_value=3))
    def faults_ahead(self, kind: str, count: int) -> None:
        """The next requests of the next run fail; retries must absorb them."""
        self._control("faults", {**FAULTS[kind], "count": count})


def test_random_runs_kills_clock_moves_and_faults_keep_the_model(chaos_sandbox) -> None:
    Chaos.running = chaos_sandbox
    budget = settings(
        max_examples=int(os.environ.get("CHAOS_EXAMPLES", "2")),
        stateful_step_count=int(os.environ.get("CHAOS_STEPS", "5")),
        deadline=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
    Chaos.TestCase.settings = budget
    Chaos.TestCase().runTest()
