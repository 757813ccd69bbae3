"""The sandbox's clock seen from a client: waiting advances it instead of sleeping.

`run.py` and the tests give this clock to a source talking to the sandbox, so a wait for
Amzpecty callbacks moves the sandbox's clock and delivers the callbacks then due, at once.
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
    while frozen), so reading the time costs no request. A sleep advances both of the
    sandbox's timelines, so whatever a client waits for (callbacks, queues) comes due.
    """

    def __init__(self, url: str, real: Clock = SYSTEM_CLOCK) -> None:
        self.url = url.rstrip("/")
        self._real = real
        self._session = requests.Session()
        self._lock = threading.Lock()
        response = self._session.get(f"{self.url}/_sandbox/clock", timeout=30)
        response.raise_for_status()
        self._sync(response.json())

    def _sync(self, clock: dict[str, Any]) -> None:
        with self._lock:
            self._world = float(clock["timestamp"])
            self._rate = 0.0 if clock["frozen"] else 1.0
            self._real_base = self._real.monotonic()

    def monotonic(self) -> float:
        with self._lock:
            return self._world + (self._real.monotonic() - self._real_base) * self._rate

    def now(self) -> pendulum.DateTime:
        return pendulum.from_timestamp(self.monotonic(), tz="UTC")

    def sleep(self, seconds: float) -> None:
        """Advance the sandbox's clock and deliver every Amzpecty callback then due."""
        if seconds <= 0:
            return
        response = self._session.post(
            f"{self.url}/_sandbox/amzpecty/advance", json={"seconds": seconds}, timeout=600
        )
        response.raise_for_status()
        self._sync(response.json()["clock"])
