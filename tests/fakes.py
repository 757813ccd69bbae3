"""Test doubles of our own: a clock whose sleep advances time instead of waiting."""

from __future__ import annotations

import threading

import pendulum


class FakeClock:
    """Monotonic time that moves only when something sleeps or a test advances it."""

    def __init__(self, start: float = 1000.0, sleep_advances: bool = True) -> None:
        self._lock = threading.Lock()
        self._now = start
        self._sleep_advances = sleep_advances
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if self._sleep_advances:
                self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def now(self) -> pendulum.DateTime:
        return pendulum.from_timestamp(self.monotonic() + 1.7e9, tz="UTC")
