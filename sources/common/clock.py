"""The one place in sources/ that reads real time or sleeps; everything else takes a Clock."""

from __future__ import annotations

import threading
import time
from email.utils import parsedate_to_datetime
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


class ServerClock:
    """The server's time on our clock, from the `Date` headers it sends, and how fast it runs.

    Windows that end "now" must end at the server's now: a client clock running ahead of
    the server's would move a high-water mark past data the server has not yet served. A
    simulated server may run faster than real time; once its clock has moved ten seconds, the
    speed is measured (1 at Amazon) and carries the server's now forward between answers.
    """

    SPEED_BASELINE = 10.0  # server seconds before the speed is trusted (Date is in seconds)

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._first: tuple[float, float] | None = None  # (server time, our monotonic time)
        self._last: tuple[float, float] | None = None
        self._speed = 1.0

    @property
    def observed(self) -> bool:
        return self._last is not None

    @property
    def speed(self) -> float:
        """Server seconds per second of ours (never below 1)."""
        return self._speed

    def observe(self, date_header: str | None) -> None:
        if not date_header:
            return
        try:
            server = parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError):
            return
        local = self._clock.monotonic()
        with self._lock:
            if self._first is None:
                self._first = (server, local)
            elif server - self._first[0] >= self.SPEED_BASELINE and local > self._first[1]:
                self._speed = max(1.0, (server - self._first[0]) / (local - self._first[1]))
            self._last = (server, local)

    def now(self) -> pendulum.DateTime:
        """Our clock's time when no response has told the server's yet."""
        with self._lock:
            last, speed = self._last, self._speed
        if last is None:
            return self._clock.now()
        server, local = last
        return pendulum.from_timestamp(server + (self._clock.monotonic() - local) * speed)
