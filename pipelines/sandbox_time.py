"""The sandbox's virtual clock seen from a client: waiting advances it instead of sleeping.

`run.py` and the tests give this clock to a source talking to the sandbox, so a wait for
Amzpecty callbacks moves virtual time and delivers the callbacks then due, at once.
"""

from __future__ import annotations

import threading
from typing import Any

import pendulum
import requests

from sources.common.clock import SYSTEM_CLOCK, Clock


class SandboxTime:
    """A `Clock` whose time is the sandbox's and whose sleep advances it.

    Between syncs it runs on its own at the sandbox's time scale (both follow a monotonic
    real clock), so reading the time costs no request.
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
            self._base = float(clock["timestamp"])
            self._scale = float(clock["time_scale"])
            self._real_base = self._real.monotonic()

    def monotonic(self) -> float:
        with self._lock:
            return self._base + (self._real.monotonic() - self._real_base) * self._scale

    def now(self) -> pendulum.DateTime:
        return pendulum.from_timestamp(self.monotonic(), tz="UTC")

    def sleep(self, seconds: float) -> None:
        """Advance the virtual clock and deliver every Amzpecty callback then due."""
        if seconds <= 0:
            return
        response = self._session.post(
            f"{self.url}/_sandbox/amzpecty/advance", json={"seconds": seconds}, timeout=600
        )
        response.raise_for_status()
        self._sync(response.json()["clock"])
