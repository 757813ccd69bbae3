"""The sandbox's clock seen from a client: waiting hurries it instead of sleeping.

`run.py` and the tests give this clock to a source talking to the sandbox, so a wait for
Amzpecty callbacks makes the callbacks then due come at once.
"""

from __future__ import annotations

import threading
from typing import Any

import pendulum
import requests

from sources.common.clock import SYSTEM_CLOCK, Clock


class SandboxTime:
    """A `Clock` whose time is the sandbox world's and whose sleep advances it.

    Between syncs it runs on its own as the world does (with the real clock, or not at all
    while frozen), so reading the time costs no request. A sleep is a wait on the sandbox's
    clock, so whatever a client waits for (callbacks, queues) comes due: a frozen world moves
    by it; a world on the real clock stays there, and only `monotonic` counts the wait.
    """

    def __init__(self, url: str, real: Clock = SYSTEM_CLOCK) -> None:
        self.url = url.rstrip("/")
        self._real = real
        self._session = requests.Session()
        self._lock = threading.Lock()
        self._waited = 0.0  # waits that hurried a world on the real clock
        response = self._session.get(f"{self.url}/_sandbox/clock", timeout=30)
        response.raise_for_status()
        self._sync(response.json())

    def _sync(self, clock: dict[str, Any]) -> None:
        with self._lock:
            self._world = float(clock["timestamp"])
            self._rate = 0.0 if clock["frozen"] else 1.0
            self._real_base = self._real.monotonic()

    def _world_time(self) -> float:
        with self._lock:
            return self._world + (self._real.monotonic() - self._real_base) * self._rate

    def monotonic(self) -> float:
        return self._world_time() + self._waited

    def now(self) -> pendulum.DateTime:
        return pendulum.from_timestamp(self._world_time(), tz="UTC")

    def sleep(self, seconds: float) -> None:
        """Wait on the sandbox's clock and deliver every Amzpecty callback then due."""
        if seconds <= 0:
            return
        response = self._session.post(
            f"{self.url}/_sandbox/amzpecty/advance", json={"seconds": seconds}, timeout=600
        )
        response.raise_for_status()
        clock = response.json()["clock"]
        self._sync(clock)
        if not clock["frozen"]:
            self._waited += seconds
