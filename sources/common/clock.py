"""The one place in sources/ that reads real time or sleeps; everything else takes a Clock."""

from __future__ import annotations

import time
from typing import Protocol

import pendulum


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def now(self) -> pendulum.DateTime: ...


class SystemClock:
    """Real time."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def now(self) -> pendulum.DateTime:
        return pendulum.now("UTC")


SYSTEM_CLOCK = SystemClock()
