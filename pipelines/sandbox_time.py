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
    """A `Clock` whose time is the sandbox's and whose sleep advances it.

    `monotonic` is the sandbox's pace (where waits run, at its time scale) and `now` its
    world's time; between syncs both run on their own from a real monotonic clock, so reading
    them costs no request.
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
            self._pace = float(clock["pace"])
            self._scale = float(clock["time_scale"])
            self._world_rate = 0.0 if clock["frozen"] else 1.0
            self._real_base = self._real.monotonic()

    def monotonic(self) -> float:
        with self._lock:
            return self._pace + (self._real.monotonic() - self._real_base) * self._scale

    def now(self) -> pendulum.DateTime:
        with self._lock:
            elapsed = self._real.monotonic() - self._real_base
            return pendulum.from_timestamp(self._world + elapsed * self._world_rate, tz="UTC")

    def sleep(self, seconds: float) -> None:
        """Advance the sandbox's clock and deliver every Amzpecty callback then due."""
        if seconds <= 0:
            return
        response = self._session.post(
            f"{self.url}/_sandbox/amzpecty/advance", json={"seconds": seconds}, timeout=600
        )
        response.raise_for_status()
        self._sync(response.json()["clock"])
