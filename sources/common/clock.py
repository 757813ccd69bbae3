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
    """The server's time on our clock, learned from the times its answers carry.

    Windows that end "now" must end at the server's now, and signed requests (MWS, ECS) must
    carry a Timestamp the server accepts: a client clock that is off (or the sandbox's world,
    which may stand still or jump) must not move a high-water mark past data the server has not
    served yet, nor get a request refused. Between answers the server's time moves with ours.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last: tuple[float, float] | None = None  # (server epoch, our monotonic time)

    @property
    def observed(self) -> bool:
        return self._last is not None

    def observe(self, header: str | None) -> None:
        """An HTTP date (`Date`) or an ISO time (`x-mws-timestamp`); others are ignored."""
        if not header:
            return
        try:
            iso = header[:4].isdigit()
            moment = pendulum.parse(header) if iso else parsedate_to_datetime(header)
            server = moment.timestamp()  # type: ignore[union-attr]
        except (TypeError, ValueError):
            return
        with self._lock:
            self._last = (server, self._clock.monotonic())

    def now(self) -> pendulum.DateTime:
        """Our clock's time when no answer has told the server's yet."""
        with self._lock:
            last = self._last
        if last is None:
            return self._clock.now()
        server, local = last
        return pendulum.from_timestamp(server + (self._clock.monotonic() - local), tz="UTC")

    def stamp(self) -> str:
        """`YYYY-MM-DDThh:mm:ssZ`, the Timestamp format both MWS and ECS accept."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
