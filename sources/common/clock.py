"""The one place in sources/ that reads real time or sleeps; everything else takes a Clock."""

from __future__ import annotations

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
    """The server's time on our clock, from the `Date` headers it sends.

    Windows that end "now" must end at the server's now: a client clock running ahead of
    the server's would move a high-water mark past data the server has not yet served.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._offset: float | None = None  # server time minus our time, in seconds

    @property
    def observed(self) -> bool:
        return self._offset is not None

    def observe(self, date_header: str | None) -> None:
        if not date_header:
            return
        try:
            server = parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError):
            return
        self._offset = server - self._clock.now().timestamp()

    def now(self) -> pendulum.DateTime:
        """Our clock's time when no response has told the server's yet."""
        return self._clock.now().add(seconds=self._offset or 0.0)
