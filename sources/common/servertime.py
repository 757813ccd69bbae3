"""The server's clock as a client must sign with it: learned from response headers.

Signature Version 2 requests carry a Timestamp the server compares with its own clock. A
client that learns the server's time from each answer (as AWS SDKs correct clock skew) signs
correctly even when its own clock is off, and, with `scale` (the sandbox's time scale, 1 for
Amazon), even when the server's clock runs faster than real time.
"""

from __future__ import annotations

import threading
from email.utils import parsedate_to_datetime

import pendulum

from sources.common.clock import Clock


class ServerTime:
    """Now, on the server's clock, extrapolated from the last time it told us."""

    def __init__(self, clock: Clock, scale: float = 1.0) -> None:
        self._clock = clock
        self._scale = scale
        self._lock = threading.Lock()
        self._anchor: tuple[float, float] | None = None  # (server epoch, our monotonic)

    def learn(self, server_epoch: float) -> None:
        with self._lock:
            self._anchor = (server_epoch, self._clock.monotonic())

    def learn_header(self, value: str | None) -> None:
        """An ISO time (`x-mws-timestamp`) or an HTTP date (`Date`)."""
        if not value:
            return
        try:
            moment = pendulum.parse(value) if value[:4].isdigit() else parsedate_to_datetime(value)
        except (ValueError, TypeError):
            return
        self.learn(moment.timestamp())  # type: ignore[union-attr]

    def now(self) -> pendulum.DateTime:
        with self._lock:
            anchor = self._anchor
        if anchor is None:
            return self._clock.now()
        server, local = anchor
        return pendulum.from_timestamp(
            server + (self._clock.monotonic() - local) * self._scale, tz="UTC"
        )

    def stamp(self) -> str:
        """`YYYY-MM-DDThh:mm:ssZ`, the Timestamp format both MWS and ECS accept."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
