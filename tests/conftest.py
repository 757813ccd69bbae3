"""One sandbox per test session on port 0, reset before every test; telemetry off.

The sandboxes' world clocks are frozen: they move only when a test advances them, so what a
test sees never depends on how fast the machine runs; waits (usage plans, report processing,
callbacks) still run, at the time scale."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["DLT_PROJECT_DIR"] = str(ROOT)
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
os.environ["DO_NOT_TRACK"] = "1"

import pendulum  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402

import sandbox  # noqa: E402
from tests.fakes import FakeClock  # noqa: E402

WORLD_ORIGIN = pendulum.datetime(2026, 11, 1, tz="UTC")
TEST_ORDERS = 3000  # ~15 pages for the largest seller: inside every burst, so no pacing waits
TEST_TIME_SCALE = 3600.0  # waits run an hour a second: usage plans never make a test wait long
START_DATE = "2024-10-01"  # before the seeded history (two years before the origin)
BIG_CATALOG_PRODUCTS = 2000
TEST_WORLD = {
    "seed": 42,
    "orders": TEST_ORDERS,
    "time_scale": TEST_TIME_SCALE,
    "start": WORLD_ORIGIN,
    "origin": WORLD_ORIGIN,
    "frozen": True,
}


@pytest.fixture(scope="session")
def sandbox_server():
    running = sandbox.start(**TEST_WORLD)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def tls_sandbox():
    """The same world served over HTTPS, for clients that only speak HTTPS; trust `ca_file`."""
    running = sandbox.start(**TEST_WORLD, tls=True)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def big_catalog_sandbox():
    """A catalog large enough that the North America seller has over 1,000 listings (the most
    a listings search pages through) and FBA summaries take several pages."""
    running = sandbox.start(**{**TEST_WORLD, "seed": 7}, products=BIG_CATALOG_PRODUCTS)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _reset_sandbox(request: pytest.FixtureRequest) -> None:
    for name in ("sandbox_server", "big_catalog_sandbox", "tls_sandbox"):
        if name in request.fixturenames:
            server = request.getfixturevalue(name)
            requests.post(
                f"{server.url}/_sandbox/reset", timeout=10, verify=server.ca_file or True
            ).raise_for_status()


@pytest.fixture
def accounts(sandbox_server) -> dict:
    return sandbox_server.accounts()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
